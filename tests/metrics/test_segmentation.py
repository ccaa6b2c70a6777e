"""Semantic segmentation scores from the pixel confusion matrix, against scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sk_confusion
from sklearn.metrics import jaccard_score

from vistakit.metrics import mean_iou, per_class_iou, pixel_accuracy, pixel_confusion_matrix


def test_against_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 5, (4, 16, 16))
    p = np.where(rng.random(y.shape) < 0.7, y, rng.integers(0, 5, y.shape))
    y[0, :3] = 255  # ignored pixels
    cm = pixel_confusion_matrix(y, p, num_classes=5)
    keep = y.reshape(-1) != 255
    t, q = y.reshape(-1)[keep], p.reshape(-1)[keep]
    np.testing.assert_array_equal(cm, sk_confusion(t, q, labels=range(5)))
    assert pixel_accuracy(cm) == pytest.approx((t == q).mean())
    np.testing.assert_allclose(per_class_iou(cm), jaccard_score(t, q, average=None, labels=range(5)))
    assert mean_iou(cm) == pytest.approx(jaccard_score(t, q, average="macro", labels=range(5)))


def test_absent_classes_are_left_out_of_the_mean():
    cm = pixel_confusion_matrix(np.array([[0, 0], [1, 1]]), np.array([[0, 1], [1, 1]]), num_classes=3)
    iou = per_class_iou(cm)
    assert iou[0] == pytest.approx(1 / 2) and iou[1] == pytest.approx(2 / 3) and np.isnan(iou[2])
    assert mean_iou(cm) == pytest.approx((1 / 2 + 2 / 3) / 2)


def test_errors():
    with pytest.raises(ValueError, match="outside \\[0, 2\\).*ignore_index"):
        pixel_confusion_matrix(np.array([[3]]), np.array([[0]]), num_classes=2)
    with pytest.raises(ValueError, match="differ in shape"):
        pixel_confusion_matrix(np.zeros((2, 2)), np.zeros((2, 3)), num_classes=2)
    with pytest.raises(ValueError, match="square"):
        pixel_accuracy(np.zeros((2, 3)))
