"""Quality metrics, pure array maths: classification scores, calibration, streaming metrics, reports, generation scores.

Pure functions follow scikit-learn's names, argument order and edge cases
(``y_true`` first, keyword-only options, ``zero_division``) and agree with it
to float64 rounding; they take numpy arrays or torch tensors: labels as
integers, scores as probabilities or logits as each function states. Bad
input raises ``ValueError`` saying what and where, never a silent NaN. This
package builds no network: it imports nothing from :mod:`vistakit.models` or
:mod:`vistakit.engine` (``tests/metrics/test_boundary.py`` holds it to that).

* labels: :func:`accuracy`, :func:`balanced_accuracy`, :func:`precision`,
  :func:`recall`, :func:`f1_score`, :func:`fbeta_score`,
  :func:`precision_recall_fscore_support`, :func:`confusion_matrix`,
  :func:`multilabel_confusion_matrix`, :func:`matthews_corrcoef`,
  :func:`cohen_kappa`, :func:`hamming_loss`;
* scores: :func:`top_k_accuracy`, :func:`roc_auc`, :func:`average_precision`,
  :func:`roc_curve`, :func:`precision_recall_curve`;
* probabilities: :func:`log_loss` / :func:`cross_entropy` (and
  :func:`cross_entropy_reading`), :func:`expected_calibration_error`,
  :func:`reliability_curve`, :func:`calibration_curve`;
* streaming: :class:`Accuracy`, :class:`ConfusionMatrix`, :class:`Precision`,
  :class:`Recall`, :class:`F1Score`, ... with ``update / compute / reset /
  merge / sync``;
* reports: :func:`classification_report`, :func:`html_report` /
  :class:`HtmlReport`, :func:`load_predictions`;
* generated images, from network features: :func:`frechet_distance` (of
  :func:`feature_statistics`), :func:`fid_from_features`, :func:`kid_from_features`,
  :func:`inception_score_from_probs` (the images -> features side, with the Inception
  networks and their cache, is :mod:`vistakit.features`);
* perceptual similarity, from feature maps: :func:`feature_map_distance` (the
  VGG16 network that makes them: :class:`vistakit.features.PerceptualLoss`);
* embeddings: :func:`cosine_knn`, :func:`near_duplicates`;
* detection: :func:`box_iou`, :func:`mask_iou`, :func:`match_detections` (greedy matching
  at an IoU threshold: :class:`DetectionMatches` with precision / recall),
  :func:`average_precision_at` (VOC all-point AP of the matches);
* detection benchmarks: :func:`coco_evaluate` (:class:`CocoEvaluation`: pycocotools'
  ``COCOeval`` numbers, boxes or decoded masks); :func:`voc_average_precision` (:class:`VocAveragePrecision`:
  Pascal VOC AP, 11-point or all-point, with difficult objects);
* semantic segmentation: :func:`pixel_confusion_matrix`, :func:`pixel_accuracy`,
  :func:`per_class_iou`, :func:`mean_iou`, :func:`segmentation_scores` (IoU, mIoU, pixel
  accuracy, frequency-weighted IoU: :class:`SegmentationResult`) and its streaming
  :class:`SegmentationScores`, :func:`segmentation_scores_of_folders`;
* panoptic segmentation: :func:`panoptic_quality` (PQ = SQ x RQ for all / things / stuff
  and per class, the COCO panoptic rules: :class:`PanopticQualityResult`) and its
  streaming :class:`PanopticQuality`, :func:`panoptic_quality_of_files`;
* scene text: :func:`text_detection_scores` (the ICDAR 2015 protocol: precision, recall,
  h-mean with don't-care regions, :class:`TextDetectionResult`), :func:`polygon_iou`,
  :func:`read_icdar2015`, :func:`read_icdar2015_folders`, :func:`word_accuracy`;
* image captions (tokenized): :func:`bleu`, :func:`rouge_l`, :func:`cider_d`,
  :func:`caption_scores` (equal to pycocoevalcap's), :func:`tokenize_caption`,
  :func:`read_coco_captions`.
"""

from ._calibration import ReliabilityCurve, calibration_curve, expected_calibration_error, reliability_curve
from ._captions import bleu, caption_scores, cider_d, read_coco_captions, rouge_l, tokenize_caption
from ._classification import (
    accuracy,
    balanced_accuracy,
    cohen_kappa,
    confusion_matrix,
    f1_score,
    fbeta_score,
    hamming_loss,
    matthews_corrcoef,
    multilabel_confusion_matrix,
    precision,
    precision_recall_fscore_support,
    recall,
)
from ._coco import CocoEvaluation, coco_evaluate
from ._crossentropy import CROSS_ENTROPY_BANDS, cross_entropy, cross_entropy_reading, log_loss
from ._detection import DetectionMatches, average_precision_at, box_iou, mask_iou, match_detections
from ._generation import (
    FeatureStatisticsWarning,
    feature_statistics,
    fid_from_features,
    frechet_distance,
    inception_score_from_probs,
    kid_from_features,
    rank_deficiency_message,
)
from ._html import (
    HtmlReport,
    add_classification_sections,
    confusion_matrix_figure,
    html_report,
    mistakes_figure,
    per_class_figure,
    reliability_figure,
)
from ._io import Predictions, load_images, load_predictions
from ._panoptic import PanopticQuality, PanopticQualityResult, PQScores, panoptic_quality, panoptic_quality_of_files
from ._perceptual import feature_map_distance
from ._ranking import average_precision, precision_recall_curve, roc_auc, roc_curve, top_k_accuracy
from ._report import classification_report
from ._segmentation import (
    SegmentationResult,
    SegmentationScores,
    mean_iou,
    per_class_iou,
    pixel_accuracy,
    pixel_confusion_matrix,
    segmentation_scores,
    segmentation_scores_of_folders,
)
from ._similarity import cosine_knn, near_duplicates
from ._streaming import (
    ROCAUC,
    Accuracy,
    AveragePrecision,
    BalancedAccuracy,
    CalibrationError,
    CohenKappa,
    ConfusionMatrix,
    CrossEntropy,
    F1Score,
    FBetaScore,
    MatthewsCorrCoef,
    Metric,
    Precision,
    PrecisionRecallFScoreSupport,
    Recall,
)
from ._text import (
    TextDetectionResult,
    polygon_iou,
    read_icdar2015,
    read_icdar2015_folders,
    text_detection_scores,
    word_accuracy,
)
from ._validation import UndefinedMetricWarning
from ._voc import VocAveragePrecision, voc_average_precision

__all__ = [
    "CocoEvaluation",
    "coco_evaluate",
    "VocAveragePrecision",
    "voc_average_precision",
    "DetectionMatches",
    "average_precision_at",
    "box_iou",
    "mask_iou",
    "match_detections",
    "mean_iou",
    "per_class_iou",
    "pixel_accuracy",
    "pixel_confusion_matrix",
    "SegmentationResult",
    "SegmentationScores",
    "segmentation_scores",
    "segmentation_scores_of_folders",
    "PQScores",
    "PanopticQuality",
    "PanopticQualityResult",
    "panoptic_quality",
    "panoptic_quality_of_files",
    "TextDetectionResult",
    "polygon_iou",
    "read_icdar2015",
    "read_icdar2015_folders",
    "text_detection_scores",
    "word_accuracy",
    "bleu",
    "caption_scores",
    "cider_d",
    "read_coco_captions",
    "rouge_l",
    "tokenize_caption",
    "Accuracy",
    "AveragePrecision",
    "BalancedAccuracy",
    "CROSS_ENTROPY_BANDS",
    "CalibrationError",
    "CohenKappa",
    "ConfusionMatrix",
    "CrossEntropy",
    "F1Score",
    "FBetaScore",
    "FeatureStatisticsWarning",
    "HtmlReport",
    "MatthewsCorrCoef",
    "Metric",
    "Precision",
    "PrecisionRecallFScoreSupport",
    "Predictions",
    "ROCAUC",
    "Recall",
    "ReliabilityCurve",
    "UndefinedMetricWarning",
    "accuracy",
    "add_classification_sections",
    "average_precision",
    "balanced_accuracy",
    "calibration_curve",
    "classification_report",
    "cohen_kappa",
    "confusion_matrix",
    "confusion_matrix_figure",
    "cosine_knn",
    "cross_entropy",
    "cross_entropy_reading",
    "expected_calibration_error",
    "f1_score",
    "fbeta_score",
    "feature_map_distance",
    "feature_statistics",
    "fid_from_features",
    "frechet_distance",
    "hamming_loss",
    "html_report",
    "inception_score_from_probs",
    "kid_from_features",
    "load_images",
    "load_predictions",
    "log_loss",
    "matthews_corrcoef",
    "mistakes_figure",
    "multilabel_confusion_matrix",
    "near_duplicates",
    "per_class_figure",
    "precision",
    "precision_recall_curve",
    "precision_recall_fscore_support",
    "rank_deficiency_message",
    "recall",
    "reliability_curve",
    "reliability_figure",
    "roc_auc",
    "roc_curve",
    "top_k_accuracy",
]
