"""Pascal VOC AP: against a line-by-line transcription of the devkit's voc_eval.py, and hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest

from vistakit.metrics import UndefinedMetricWarning, average_precision_at, match_detections, voc_average_precision


def devkit_voc_eval(targets, predictions, classname, ovthresh=0.5, use_07_metric=False):
    """``voc_eval.py`` (py-faster-rcnn, Bharath Hariharan's), its loop as written, on in-memory data.

    Only two changes: the records come from dicts instead of XML files, and the sort by
    confidence is stable (``voc_eval.py``'s default quicksort orders ties arbitrarily).
    """
    class_recs, npos = {}, 0
    for i, t in enumerate(targets):
        sel = np.asarray(t["labels"]) == classname
        bbox = np.asarray(t["boxes"], dtype=float).reshape(-1, 4)[sel]
        difficult = np.asarray(t.get("difficult", np.zeros(len(sel))), dtype=bool)[sel]
        det = [False] * len(bbox)
        npos = npos + sum(~difficult)
        class_recs[i] = {"bbox": bbox, "difficult": difficult, "det": det}
    image_ids, confidence, BB = [], [], []
    for i, p in enumerate(predictions):
        for b, s, lab in zip(np.asarray(p["boxes"]).reshape(-1, 4), p["scores"], p["labels"]):
            if lab == classname:
                image_ids.append(i)
                confidence.append(s)
                BB.append(b)
    confidence, BB = np.array(confidence), np.array(BB, dtype=float).reshape(-1, 4)
    sorted_ind = np.argsort(-confidence, kind="stable")
    BB = BB[sorted_ind, :]
    image_ids = [image_ids[x] for x in sorted_ind]
    nd = len(image_ids)
    tp, fp = np.zeros(nd), np.zeros(nd)
    for d in range(nd):
        R = class_recs[image_ids[d]]
        bb = BB[d, :].astype(float)
        ovmax = -np.inf
        BBGT = R["bbox"].astype(float)
        if BBGT.size > 0:
            ixmin = np.maximum(BBGT[:, 0], bb[0])
            iymin = np.maximum(BBGT[:, 1], bb[1])
            ixmax = np.minimum(BBGT[:, 2], bb[2])
            iymax = np.minimum(BBGT[:, 3], bb[3])
            iw = np.maximum(ixmax - ixmin + 1.0, 0.0)
            ih = np.maximum(iymax - iymin + 1.0, 0.0)
            inters = iw * ih
            uni = (
                (bb[2] - bb[0] + 1.0) * (bb[3] - bb[1] + 1.0)
                + (BBGT[:, 2] - BBGT[:, 0] + 1.0) * (BBGT[:, 3] - BBGT[:, 1] + 1.0)
                - inters
            )
            overlaps = inters / uni
            ovmax = np.max(overlaps)
            jmax = np.argmax(overlaps)
        if ovmax > ovthresh:
            if not R["difficult"][jmax]:
                if not R["det"][jmax]:
                    tp[d] = 1.0
                    R["det"][jmax] = 1
                else:
                    fp[d] = 1.0
        else:
            fp[d] = 1.0
    fp = np.cumsum(fp)
    tp = np.cumsum(tp)
    rec = tp / float(npos)
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    return devkit_voc_ap(rec, prec, use_07_metric)


def devkit_voc_ap(rec, prec, use_07_metric=False):
    """``voc_ap`` of voc_eval.py, as written."""
    if use_07_metric:
        ap = 0.0
        for t in np.arange(0.0, 1.1, 0.1):
            if np.sum(rec >= t) == 0:
                p = 0
            else:
                p = np.max(prec[rec >= t])
            ap = ap + p / 11.0
    else:
        mrec = np.concatenate(([0.0], rec, [1.0]))
        mpre = np.concatenate(([0.0], prec, [0.0]))
        for i in range(mpre.size - 1, 0, -1):
            mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])
        i = np.where(mrec[1:] != mrec[:-1])[0]
        ap = np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])
    return ap


def random_voc(seed: int, n_images: int = 8, n_classes: int = 3):
    """Integer pixel boxes (as VOC's), difficult objects, images without objects, crowded images, tied scores."""
    rng = np.random.default_rng(seed)
    targets, predictions = [], []
    for i in range(n_images):
        n = 0 if i == 0 else int(rng.integers(0, 8))
        xy = rng.integers(1, 300, (n, 2))
        wh = rng.integers(5, 120, (n, 2))
        boxes = np.concatenate([xy, xy + wh], 1).astype(float)
        labels = rng.integers(0, n_classes, n)
        difficult = rng.random(n) < 0.2
        if n and i % 2:  # the same object annotated twice: equal IoUs, the devkit takes the first
            boxes, labels = np.concatenate([boxes, boxes[:1]]), np.concatenate([labels, labels[:1]])
            difficult = np.concatenate([difficult, [not difficult[0]]])
            n += 1
        targets.append({"boxes": boxes, "labels": labels, "difficult": difficult})
        m = int(rng.integers(0, 25))
        src = rng.integers(0, max(n, 1), m)
        near = (rng.random(m) < 0.7) & (n > 0)
        jitter = rng.integers(-12, 13, (m, 4))
        xy = rng.integers(1, 300, (m, 2))
        rand = np.concatenate([xy, xy + rng.integers(5, 120, (m, 2))], 1)
        pb = np.where(near[:, None], boxes[np.minimum(src, max(n - 1, 0))] + jitter if n else rand, rand)
        pb[:, 2:] = np.maximum(pb[:, 2:], pb[:, :2])
        pl = np.where(
            near & (rng.random(m) < 0.9),
            labels[np.minimum(src, max(n - 1, 0))] if n else 0,
            rng.integers(0, n_classes, m),
        )
        scores = np.where(rng.random(m) < 0.3, np.round(rng.random(m), 1), rng.random(m))
        if n:  # a box covering exactly half of an object's pixels: IoU 0.5, not above it
            x1, y1, x2, y2 = boxes[-1]
            half = [x1, y1, x2, y1 + (y2 - y1 + 1) / 2 - 1] if (y2 - y1 + 1) % 2 == 0 else [x1, y1, x2, y2]
            pb, pl = np.concatenate([pb, [half]]), np.concatenate([pl, labels[-1:]])
            scores = np.concatenate([scores, [rng.random()]])
        predictions.append({"boxes": pb.astype(float), "labels": pl, "scores": scores})
    return targets, predictions


@pytest.mark.parametrize("use_07_metric", [False, True])
@pytest.mark.parametrize("seed", range(25))
def test_matches_the_devkit_on_random_sets(seed, use_07_metric):
    targets, predictions = random_voc(seed)
    res = voc_average_precision(targets, predictions, use_07_metric=use_07_metric)
    assert res.per_class  # every random set has a class with a non-difficult object
    for c, ap in res.per_class.items():
        assert ap == pytest.approx(devkit_voc_eval(targets, predictions, c, use_07_metric=use_07_metric), abs=1e-12)
    assert res.mean == pytest.approx(np.mean(list(res.per_class.values())))
    for t in targets:
        labels = np.asarray(t["labels"])[~np.asarray(t["difficult"])]
        for c in np.unique(labels):
            assert int(c) in res.per_class


def tp_fp_tp():
    # one class, 2 objects; ranked: TP (0.9), FP (0.8), TP (0.7)
    targets = [{"boxes": [[0, 0, 9, 9], [20, 0, 29, 9]], "labels": [1, 1]}]
    predictions = [
        {"boxes": [[0, 0, 9, 9], [50, 50, 59, 59], [20, 0, 29, 9]], "scores": [0.9, 0.8, 0.7], "labels": [1, 1, 1]}
    ]
    return targets, predictions


def test_eleven_point_and_all_point_differ_by_hand():
    targets, predictions = tp_fp_tp()
    # recall 1/2, 1/2, 1; precision 1, 1/2, 2/3
    # all-point: 1/2 * 1 + 1/2 * 2/3 = 5/6
    assert voc_average_precision(targets, predictions).per_class == {1: pytest.approx(5 / 6)}
    # 11-point: t = 0 .. 0.5 (6 points) reach precision 1, t = 0.6 .. 1 (5 points) reach 2/3
    res07 = voc_average_precision(targets, predictions, use_07_metric=True)
    assert res07.per_class == {1: pytest.approx((6 + 5 * 2 / 3) / 11)}
    assert res07.num_positives == {1: 2}


def test_eleven_point_thresholds_are_the_devkits_floats():
    # 3 of 10 objects found at precision 1: recall 0.3 is below np.arange's 0.30000000000000004
    targets = [{"boxes": [[20 * k, 0, 20 * k + 9, 9] for k in range(10)], "labels": [0] * 10}]
    predictions = [
        {"boxes": [[20 * k, 0, 20 * k + 9, 9] for k in range(3)], "scores": [0.9, 0.8, 0.7], "labels": [0] * 3}
    ]
    assert voc_average_precision(targets, predictions, use_07_metric=True).mean == pytest.approx(3 / 11)


def test_difficult_objects_are_neither_positives_nor_false_positives():
    targets = [{"boxes": [[0, 0, 9, 9], [40, 0, 49, 9]], "labels": [0, 0], "difficult": [False, True]}]
    predictions = [
        {"boxes": [[40, 0, 49, 9], [0, 0, 9, 9], [80, 0, 89, 9]], "scores": [0.9, 0.8, 0.7], "labels": [0, 0, 0]}
    ]
    res = voc_average_precision(targets, predictions)
    # the hit on the difficult object is dropped; then TP, FP: recall 1, 1; precision 1, 1/2
    assert res.per_class == {0: 1.0} and res.num_positives == {0: 1}
    # without the flag the same detections rank TP, TP, FP over 2 objects
    targets[0]["difficult"] = [False, False]
    assert voc_average_precision(targets, predictions).per_class == {0: 1.0}
    assert voc_average_precision(targets, predictions).num_positives == {0: 2}
    # a second detection on the difficult object is dropped too, never a false positive
    predictions[0]["boxes"].insert(0, [40, 0, 49, 9])
    predictions[0]["scores"].insert(0, 0.95)
    predictions[0]["labels"].insert(0, 0)
    targets[0]["difficult"] = [False, True]
    assert voc_average_precision(targets, predictions).per_class == {0: 1.0}


def test_a_detection_does_not_fall_back_to_its_second_best_object():
    # objects A = [0..9] and B = [4..13] (IoU 6/14); the second detection's best object is A (taken),
    # so it is a false positive although B is free and overlaps it by more than 0.5
    targets = [{"boxes": [[0, 0, 9, 9], [4, 0, 13, 9]], "labels": [0, 0]}]
    predictions = [{"boxes": [[0, 0, 9, 9], [1, 0, 10, 9]], "scores": [0.9, 0.8], "labels": [0, 0]}]
    res = voc_average_precision(targets, predictions)
    assert res.per_class == {0: pytest.approx(0.5)}  # recall stops at 1/2
    m = match_detections([[0, 0, 9, 9], [1, 0, 10, 9]], [0.9, 0.8], [0, 0], [[0, 0, 9, 9], [4, 0, 13, 9]], [0, 0])
    assert m.matched.tolist() == [True, True]  # the COCO-style greedy matching takes B


def test_iou_threshold_is_strict_and_pixels_inclusive():
    # [0, 0, 9, 9] against [0, 0, 9, 19]: 100 / 200 pixels = 0.5 exactly, not above 0.5
    targets = [{"boxes": [[0, 0, 9, 19]], "labels": [3]}]
    predictions = [{"boxes": [[0, 0, 9, 9]], "scores": [0.5], "labels": [3]}]
    assert voc_average_precision(targets, predictions).per_class == {3: 0.0}
    assert voc_average_precision(targets, predictions, iou_threshold=0.49).per_class == {3: 1.0}
    # continuous coordinates: 90 / 190 < 0.49
    assert voc_average_precision(targets, predictions, iou_threshold=0.49, inclusive_pixels=False).mean == 0.0


def test_classes_without_objects_and_empty_inputs():
    targets = [{"boxes": np.zeros((0, 4)), "labels": np.zeros(0, int)}, {"boxes": [[0, 0, 9, 9]], "labels": [2]}]
    predictions = [
        {"boxes": [[0, 0, 9, 9]], "scores": [0.3], "labels": [5]},
        {"boxes": np.zeros((0, 4)), "scores": [], "labels": np.zeros(0, int)},
    ]
    res = voc_average_precision(targets, predictions)
    assert res.per_class == {2: 0.0}  # class 5 has no object: left out; class 2 is never detected
    with pytest.warns(UndefinedMetricWarning):
        assert np.isnan(voc_average_precision(targets[:1], predictions[:1]).mean)


def test_average_precision_at_still_agrees_with_the_all_point_ap():
    targets, predictions = tp_fp_tp()
    p, t = predictions[0], targets[0]
    # continuous-coordinate boxes far apart: both matchings agree, so both APs do
    m = match_detections(p["boxes"], p["scores"], p["labels"], t["boxes"], t["labels"])
    assert average_precision_at(m) == pytest.approx(voc_average_precision(targets, predictions).mean)


def test_bad_inputs_name_the_image_and_field():
    targets, predictions = tp_fp_tp()
    with pytest.raises(ValueError, match="1 images but predictions 2"):
        voc_average_precision(targets, predictions * 2)
    with pytest.raises(ValueError, match=r"predictions\[0\] has no 'scores'"):
        voc_average_precision(targets, [{"boxes": [[0, 0, 1, 1]], "labels": [0]}])
    with pytest.raises(ValueError, match=r"targets\[0\]\.difficult must be 2 bools"):
        voc_average_precision([{**targets[0], "difficult": [1]}], predictions)
    with pytest.raises(ValueError, match=r"predictions\[0\]\.boxes must be \(N, 4\)"):
        voc_average_precision(targets, [{"boxes": [[0, 0, 1]], "labels": [0], "scores": [1.0]}])
    with pytest.raises(ValueError, match="iou_threshold"):
        voc_average_precision(targets, predictions, iou_threshold=2)
