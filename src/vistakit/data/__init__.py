"""Data sets: cards, readers of the official formats, and tools to look at them.

>>> from vistakit.data import SampleDataset, dataset_info, load_dataset
>>> ds = load_dataset("digits", "train")        # ships with scikit-learn: no download
>>> image, label = ds[0]                          # uint8 (1, 8, 8), int
>>> ds.data.shape, ds.targets.shape               # (1500, 1, 8, 8), (1500,)
>>> SampleDataset(ds)[0]                          # Sample(image=..., label=..., meta={'index': 0})

* :func:`list_datasets`, :func:`dataset_info`, :func:`dataset_options`: the one
  registry; each reader registers its :class:`DatasetInfo` card(s) with
  :func:`register_dataset` next to its code.
* :func:`load_dataset`: one split as a ``torch.utils.data.Dataset`` of
  ``(image, target)``, images uint8 (C, H, W). Small data sets are
  :class:`TensorImageDataset` with every image in ``.data`` (N, C, H, W), so
  training can slice and augment whole batches on tensors.
* ``ds.get_sample(i)``: the same item as a typed :class:`~vistakit.structures.Sample`
  (image, label and any other targets); :class:`SampleDataset` turns a data set,
  a ``Subset`` of one, any ``(image, label)`` data set or a list of samples into a
  data set of samples, with transforms that move every target with the image.
* :func:`fetch_dataset`: files from ``root``, the cache (``$VISTAKIT_DATA``),
  system folders, or a verified atomic download.
* annotation formats: every format reads into one :class:`AnnotationSet` (categories with
  their own ids, :class:`AnnotatedImage` s with :class:`Instance` s: box, polygons or RLE,
  crowd flag, keypoints, attributes) and writes from it; :func:`register_format`,
  :func:`list_formats`, :func:`read_annotations`, :func:`write_annotations`, and
  :func:`convert` (whose :class:`ConversionReport` lists what the target format cannot hold);
  :class:`CocoFormat` (``"coco"``: instances, keypoints, stuff, panoptic, captions) and the
  ``coco`` data set (``load_dataset("coco", split="val2017", root=..., task="instances")``).
  Also registered: ``voc`` (Pascal VOC devkit; :data:`VOC_CLASSES`, :func:`voc_palette`), ``yolo``
  (Ultralytics txt + data.yaml), ``labelme``, ``cvat`` (CVAT for images 1.1), ``labelstudio``
  (Label Studio JSON export).
* scene data sets and scene-text formats: Cityscapes (:data:`CITYSCAPES_LABELS`, the
  official label table; semantic masks in train ids, instances, the polygons JSON), ADE20K
  SceneParsing (:func:`ade20k_classes`; the full release's ``*_seg.png`` with
  :func:`read_full_seg`), ICDAR 2013 / 2015, MLT, COCO-Text v2, Total-Text and SynthText
  (every word a ``text`` instance: polygon, box, ``text``, ``dont_care``, ...);
  :class:`SemanticDataset` gives ``Sample(image, mask)`` items.
* :func:`dataset_stats`, :func:`check_dataset`, :func:`dataset_grid`: mean/std and
  class balance; unreadable files, duplicates, train/test leaks and (optionally)
  near-duplicate leaks by embedding similarity; a labelled grid.
"""

# The readers register their cards on import; this order is the order of list_datasets().
from . import _idx, _cifar, _imagefolder, _imagenet, _flowers, _celeba, _digits, _coco  # noqa: F401, I001
from . import _cityscapes, _ade20k, _icdar, _cocotext, _totaltext, _synthtext  # noqa: F401, I001  (scenes; scene text)

# The annotation formats register on import.
from . import _yolo, _voc, _labelme, _cvat, _labelstudio  # noqa: F401
from ._annotations import (
    AnnotatedImage,
    AnnotationDataset,
    AnnotationFormat,
    AnnotationSet,
    Category,
    ConversionReport,
    Instance,
    convert,
    get_format,
    list_formats,
    read_annotations,
    register_format,
    write_annotations,
)
from ._ade20k import ade20k_classes, full_seg_instances, read_full_seg
from ._base import ImageFileDataset, TensorImageDataset, VisionDataset, decode_image
from ._celeba import CelebA
from ._cityscapes import LABELS as CITYSCAPES_LABELS
from ._cityscapes import CityscapesLabel, label_ids_to_train_ids
from ._coco import COCO_KEYPOINT_NAMES, COCO_SKELETON, COCO_THING_CATEGORIES, CocoDataset, CocoFormat
from ._check import (
    CheckReport,
    DatasetStats,
    Leak,
    NearLeak,
    SplitCheck,
    check_dataset,
    check_splits,
    dataset_stats,
    duplicate_groups,
    find_leaks,
    find_near_leaks,
    thumbnail_embeddings,
)
from ._errors import DatasetError, DatasetNotFoundError
from ._imagefolder import ImageFolder
from ._imagenet import imagenet_classes, imagenet_wnids
from ._info import DataFile, DatasetInfo
from ._cifar import CIFAR100
from ._preview import dataset_grid, save_preview
from ._registry import dataset_info, dataset_options, list_datasets, load_dataset, register_dataset
from ._resolve import Located, fetch_dataset, locate
from ._samples import SampleDataset
from ._semantic import SemanticDataset
from ._voc import VOC_CLASSES, voc_palette

__all__ = [
    "CITYSCAPES_LABELS",
    "CityscapesLabel",
    "SemanticDataset",
    "ade20k_classes",
    "full_seg_instances",
    "label_ids_to_train_ids",
    "read_full_seg",
    "AnnotatedImage",
    "AnnotationDataset",
    "AnnotationFormat",
    "AnnotationSet",
    "Category",
    "ConversionReport",
    "Instance",
    "convert",
    "get_format",
    "list_formats",
    "read_annotations",
    "register_format",
    "write_annotations",
    "VOC_CLASSES",
    "voc_palette",
    "CIFAR100",
    "COCO_KEYPOINT_NAMES",
    "COCO_SKELETON",
    "COCO_THING_CATEGORIES",
    "CocoDataset",
    "CocoFormat",
    "CelebA",
    "CheckReport",
    "DataFile",
    "DatasetError",
    "DatasetInfo",
    "DatasetNotFoundError",
    "DatasetStats",
    "ImageFileDataset",
    "ImageFolder",
    "Leak",
    "Located",
    "NearLeak",
    "SampleDataset",
    "SplitCheck",
    "TensorImageDataset",
    "VisionDataset",
    "check_dataset",
    "check_splits",
    "dataset_grid",
    "dataset_info",
    "dataset_options",
    "dataset_stats",
    "decode_image",
    "duplicate_groups",
    "fetch_dataset",
    "find_leaks",
    "find_near_leaks",
    "imagenet_classes",
    "imagenet_wnids",
    "list_datasets",
    "load_dataset",
    "locate",
    "register_dataset",
    "save_preview",
    "thumbnail_embeddings",
]
