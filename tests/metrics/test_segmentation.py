"""Semantic segmentation scores from the pixel confusion matrix, against scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sk_confusion
from sklearn.metrics import jaccard_score

from vistakit.metrics import (
    SegmentationScores,
    mean_iou,
    per_class_iou,
    pixel_accuracy,
    pixel_confusion_matrix,
    segmentation_scores,
)


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


def _maps(seed, k=5, shape=(6, 12, 10), ignored=0.1):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, shape)
    p = np.where(rng.random(shape) < 0.6, y, rng.integers(0, k, shape))
    y[rng.random(shape) < ignored] = 255
    return y, p


def test_segmentation_scores_against_scikit_learn_and_the_closed_form():
    for seed in range(5):
        y, p = _maps(seed)
        res = segmentation_scores(y, p, num_classes=5)
        keep = y.reshape(-1) != 255
        t, q = y.reshape(-1)[keep], p.reshape(-1)[keep]
        np.testing.assert_array_equal(res.confusion_matrix, sk_confusion(t, q, labels=range(5)))
        np.testing.assert_allclose(res.iou, jaccard_score(t, q, average=None, labels=range(5)))
        assert res.miou == pytest.approx(jaccard_score(t, q, average="macro", labels=range(5)))
        assert res.pixel_accuracy == pytest.approx((t == q).mean())
        # FCN (Long et al. 2015): (sum_k t_k)^-1 sum_i t_i n_ii / (t_i + sum_j n_ji - n_ii)
        fw = (
            sum(
                (t == i).sum() * ((t == i) & (q == i)).sum() / ((t == i) | (q == i)).sum()
                for i in range(5)
                if (t == i).any()
            )
            / t.size
        )
        assert res.fw_iou == pytest.approx(fw)


def test_segmentation_scores_keyword_order_of_the_issue():
    y, p = _maps(1)
    a = segmentation_scores(y_pred=p, y_true=y, num_classes=5)
    b = segmentation_scores(y, p, num_classes=5)
    np.testing.assert_array_equal(a.confusion_matrix, b.confusion_matrix)
    y0, p0 = _maps(1, ignored=0)
    straight = segmentation_scores(y_pred=p0, y_true=y0, num_classes=5)
    np.testing.assert_array_equal(straight.confusion_matrix, sk_confusion(y0.ravel(), p0.ravel(), labels=range(5)))


def test_fw_iou_by_hand():
    # truth: 3 pixels of class 0, 1 of class 1; prediction gets one class-0 pixel wrong (as 1)
    res = segmentation_scores(np.array([[0, 0], [0, 1]]), np.array([[0, 0], [1, 1]]), num_classes=3)
    # iou0 = 2/3, iou1 = 1/2, class 2 absent: NaN
    np.testing.assert_allclose(res.iou[:2], [2 / 3, 1 / 2])
    assert np.isnan(res.iou[2])
    assert res.fw_iou == pytest.approx(3 / 4 * 2 / 3 + 1 / 4 * 1 / 2)
    assert res.pixel_accuracy == pytest.approx(3 / 4)
    assert res.miou == pytest.approx((2 / 3 + 1 / 2) / 2)


def test_everything_ignored_gives_nan():
    res = segmentation_scores(np.full((2, 2), 255), np.zeros((2, 2), int), num_classes=2)
    assert np.isnan(res.miou) and np.isnan(res.pixel_accuracy) and np.isnan(res.fw_iou)


def test_streaming_equals_one_pass_and_merges():
    y, p = _maps(3)
    whole = segmentation_scores(y, p, num_classes=5)
    a, b = SegmentationScores(5), SegmentationScores(5)
    a.update(p[:2], y[:2])
    b.update(p[2:4], y[2:4])
    b.update(p[4:], y[4:])
    res = a.merge(b).compute()
    np.testing.assert_array_equal(res.confusion_matrix, whole.confusion_matrix)
    np.testing.assert_array_equal(res.iou, whole.iou)
    assert (res.miou, res.pixel_accuracy, res.fw_iou) == (whole.miou, whole.pixel_accuracy, whole.fw_iou)
    a.reset()
    with pytest.raises(ValueError, match="no pixels"):
        a.compute()


def test_streaming_takes_class_scores():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, (2, 5, 4))
    logits = rng.normal(size=(2, 3, 5, 4))
    m = SegmentationScores(3, ignore_index=None)
    m.update(logits, y)
    np.testing.assert_array_equal(
        m.compute().confusion_matrix, sk_confusion(y.ravel(), logits.argmax(1).ravel(), labels=range(3))
    )
    with pytest.raises(ValueError, match="num_classes=3"):
        m.update(rng.normal(size=(2, 4, 5, 4)), y)


def test_streaming_merge_needs_same_options():
    with pytest.raises(ValueError, match="cannot merge"):
        SegmentationScores(3).merge(SegmentationScores(3, ignore_index=None))


def _dist_worker(rank, world, init_file, out_dir):
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        y, p = _maps(7)
        metric = SegmentationScores(5)
        metric.update(p[rank::world], y[rank::world])
        metric.sync()
        res = metric.compute()
        np.save(
            f"{out_dir}/rank{rank}.npy",
            np.concatenate([res.confusion_matrix.ravel(), res.iou, [res.miou, res.fw_iou, res.pixel_accuracy]]),
        )
    finally:
        dist.destroy_process_group()


def test_streaming_sync_over_torch_distributed(tmp_path):
    import torch.multiprocessing as mp

    mp.start_processes(
        _dist_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True, start_method="spawn"
    )
    y, p = _maps(7)
    res = segmentation_scores(y, p, num_classes=5)
    expected = np.concatenate([res.confusion_matrix.ravel(), res.iou, [res.miou, res.fw_iou, res.pixel_accuracy]])
    for rank in range(2):
        assert np.array_equal(np.load(tmp_path / f"rank{rank}.npy"), expected)
