"""Detection matching: IoU against a brute-force reference, greedy matching, precision / recall, VOC AP."""

import numpy as np
import pytest

from vistakit.metrics import average_precision_at, box_iou, mask_iou, match_detections


def _iou_loop(a, b):
    out = np.zeros((len(a), len(b)))
    for i, p in enumerate(a):
        for j, q in enumerate(b):
            w = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
            h = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
            union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - w * h
            out[i, j] = w * h / union if union > 0 else 0.0
    return out


def test_box_iou_matches_a_loop():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 50, (2, 20, 2))
    a = np.concatenate([xy[0], xy[0] + rng.uniform(0, 30, (20, 2))], 1)
    b = np.concatenate([xy[1], xy[1] + rng.uniform(0, 30, (20, 2))], 1)
    np.testing.assert_allclose(box_iou(a, b), _iou_loop(a, b), rtol=1e-12)
    assert box_iou([[0, 0, 2, 2]], [[1, 1, 3, 3]])[0, 0] == pytest.approx(1 / 7)
    assert box_iou(np.zeros((0, 4)), a).shape == (0, 20)
    with pytest.raises(ValueError, match="boxes1 must have shape"):
        box_iou([[0, 0, 1]], a)


def test_mask_iou():
    m = np.zeros((2, 4, 4), bool)
    m[0, :2], m[1, :, :2] = True, True  # 8 pixels each, 4 shared
    np.testing.assert_allclose(mask_iou(m, m), [[1, 4 / 12], [4 / 12, 1]])
    with pytest.raises(ValueError, match="one size"):
        mask_iou(m, np.zeros((1, 3, 3)))


def test_greedy_matching_by_score_class_and_threshold():
    gt = [[0, 0, 10, 10], [20, 20, 30, 30]]
    pred = [[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]]
    m = match_detections(pred, [0.6, 0.9, 0.8, 0.7], [1, 1, 2, 1], gt, [1, 1])
    # by score: p1 (0.9) takes gt0 (IoU 0.81); p2 (0.8) is class 2; p3 (0.7) finds nothing; p0 (0.6): gt0 is taken
    np.testing.assert_array_equal(m.pred_index, [1, 2, 3, 0])
    np.testing.assert_array_equal(m.matched, [True, False, False, False])
    np.testing.assert_array_equal(m.gt_index, [0, -1, -1, -1])
    assert m.num_gt == {1: 2}
    assert m.precision_recall(score_threshold=0.0) == (0.25, 0.5)
    assert m.precision_recall(score_threshold=0.85) == (1.0, 0.5)
    strict = match_detections(pred, [0.6, 0.9, 0.8, 0.7], [1, 1, 2, 1], gt, [1, 1], iou_threshold=0.9)
    assert strict.matched.tolist() == [False, False, False, True]  # p0 matches gt0 exactly once p1 fails


def test_average_precision_hand_worked():
    # one class, 3 ground truths; ranked predictions: TP, FP, TP, FP -> precision 1, 1/2, 2/3, 1/2 at recall 1/3, 1/3, 2/3, 2/3
    gt = [[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]]
    pred = [[0, 0, 10, 10], [60, 0, 70, 10], [20, 0, 30, 10], [80, 0, 90, 10]]
    m = match_detections(pred, [0.9, 0.8, 0.7, 0.6], [0] * 4, gt, [0] * 3)
    # all-point interpolation: 1/3 * 1 + 1/3 * 2/3 + 1/3 * 0
    assert average_precision_at(m) == pytest.approx(1 / 3 + 2 / 9)
    assert np.isnan(average_precision_at(match_detections(pred, [0.5] * 4, [0] * 4, np.zeros((0, 4)), [])))


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="differ in length"):
        match_detections([[0, 0, 1, 1]], [0.5, 0.4], [0], [], [])
    with pytest.raises(ValueError, match="iou_threshold"):
        match_detections([], [], [], [], [], iou_threshold=1.5)
