"""COCO detection evaluation against pycocotools' COCOeval on many random sets, plus hand-worked cases.

pycocotools is the independent reference (a test-only dependency); every random set
compares the twelve summary numbers and the full precision / recall / scores arrays.
"""

from __future__ import annotations

import contextlib
import copy
import io

import numpy as np
import pytest

from vistakit.metrics import CocoEvaluation, coco_evaluate

pytest.importorskip("pycocotools")
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

CATEGORY_IDS = [1, 3, 7, 18, 44, 67, 90]  # non-contiguous, like COCO's 1..90 with gaps


def random_set(seed: int, *, n_images: int = 6, n_categories: int = 5, integer_boxes: bool = False):
    """A small random ground truth and results list exercising COCOeval's rules.

    Crowd regions, tiny / medium / large objects (their ``area`` differs from the box's, as a
    segment's does), images without ground truth, categories without detections, more than
    100 detections on one image, tied scores, detections that copy or shift ground truth
    (exact IoU ties with integer boxes), ``ignore`` flags, annotation ids not in order.
    """
    rng = np.random.default_rng(seed)
    cats = sorted(rng.choice(CATEGORY_IDS, n_categories, replace=False).tolist())
    image_ids = sorted(rng.choice(np.arange(1, 1000), n_images, replace=False).tolist())
    images = [{"id": i, "width": 640, "height": 480} for i in image_ids]

    def box(scale):
        w, h = rng.uniform(0.5, 1.5, 2) * scale
        x, y = rng.uniform(0, 400, 2)
        b = [x, y, w, h]
        return [float(np.round(v)) for v in b] if integer_boxes else [float(v) for v in b]

    anns = []
    for img in image_ids[1:]:  # the first image has no ground truth
        for _ in range(rng.integers(0, 9)):
            scale = rng.choice([6.0, 20.0, 45.0, 80.0, 150.0])  # around the 32 and 96 area edges
            b = box(scale)
            anns.append(
                {
                    "image_id": img,
                    "category_id": int(rng.choice(cats[:-1])),  # the last category: no gt
                    "bbox": b,
                    "area": float(b[2] * b[3] * rng.uniform(0.6, 1.0)),
                    "iscrowd": int(rng.random() < 0.15),
                    "ignore": int(rng.random() < 0.1),
                }
            )
    # Two objects symmetric about a box: a detection there has equal IoU with both (pycocotools
    # then takes the later one), and a second detection can match only one of them.
    for img in image_ids[3:5]:
        x, y, size, shift = *rng.integers(0, 300, 2).tolist(), int(rng.integers(20, 60)), int(rng.integers(2, 8))
        cat, crowd = int(cats[0]), int(img == image_ids[4])  # in the second image: two crowd regions
        for dx in (-shift, shift):
            b = [float(x + dx), float(y), float(size), float(size)]
            anns.append({"image_id": img, "category_id": cat, "bbox": b, "area": float(size * size), "iscrowd": crowd})
    # Objects and detections whose areas sit exactly on the small / medium / large edges (32**2, 96**2).
    for side in (32.0, 96.0):
        x, y = rng.integers(0, 300, 2).tolist()
        anns.append(
            {
                "image_id": image_ids[-1],
                "category_id": int(cats[1]),
                "bbox": [x, y, side, side],
                "area": side * side,
                "iscrowd": 0,
            }
        )
    ids = rng.permutation(len(anns)) + 1
    for a, i in zip(anns, ids):
        a["id"] = int(i)

    results = []
    score_levels = np.round(rng.uniform(0, 1, 12), 2)  # few distinct values: many tied scores
    for img in image_ids[3:5]:
        a, b = [a for a in anns if a["image_id"] == img][-2:]
        centre = [(a["bbox"][0] + b["bbox"][0]) / 2, *a["bbox"][1:]]
        shifted = [a["bbox"][0] - rng.integers(0, 3), *a["bbox"][1:]]  # nearer the first object
        for bbox, score in ((centre, 0.99), (shifted, 0.98)):
            results.append(
                {"image_id": img, "category_id": a["category_id"], "bbox": [float(v) for v in bbox], "score": score}
            )
    for a in anns[-2:]:
        x, y, side, _ = a["bbox"]
        for bbox in ([x, y, side, side], [x + side / 8, y, side, side], [x + 500, y, side, side]):
            results.append(
                {"image_id": image_ids[-1], "category_id": a["category_id"], "bbox": bbox, "score": float(rng.random())}
            )
    for img in image_ids:
        own = [a for a in anns if a["image_id"] == img]
        n = 150 if img == image_ids[2] else int(rng.integers(0, 25))  # > 100 detections on one image
        for _ in range(n):
            if own and rng.random() < 0.6:
                a = own[rng.integers(len(own))]
                x, y, w, h = a["bbox"]
                if rng.random() < 0.3:
                    b = [x, y, w, h]  # an exact copy (IoU 1, ties between detections)
                else:
                    jitter = rng.normal(0, 0.15, 4) * [w, h, w, h]
                    b = [x + jitter[0], y + jitter[1], max(0.0, w + jitter[2]), max(0.0, h + jitter[3])]
                    if integer_boxes:
                        b = [float(np.round(v)) for v in b]
                cat = a["category_id"] if rng.random() < 0.85 else int(rng.choice(cats))
            else:
                b = box(rng.choice([8.0, 40.0, 120.0]))
                cat = int(rng.choice(cats[:-2] + cats[-1:]))
            score = float(rng.choice(score_levels)) if rng.random() < 0.5 else float(rng.random())
            results.append({"image_id": img, "category_id": cat, "bbox": [float(v) for v in b], "score": score})
    results = [r for r in results if r["category_id"] != cats[-2]]  # the second-to-last: gt, no detection
    categories = [{"id": c, "name": f"c{c}"} for c in cats]
    return {"images": images, "annotations": anns, "categories": categories}, results


def pycocotools_eval(
    gt, results, *, use_cats=True, iou_thrs=None, rec_thrs=None, max_dets=None, area_rng=None, area_lbl=None
):
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        coco = COCO()
        coco.dataset = copy.deepcopy(gt)
        coco.createIndex()
        dets = coco.loadRes(copy.deepcopy(results))
        ev = COCOeval(coco, dets, iouType="bbox")
        ev.params.useCats = int(use_cats)
        if iou_thrs is not None:
            ev.params.iouThrs = np.asarray(iou_thrs, dtype=float)
        if rec_thrs is not None:
            ev.params.recThrs = np.asarray(rec_thrs, dtype=float)
        if max_dets is not None:
            ev.params.maxDets = list(max_dets)
        if area_rng is not None:
            ev.params.areaRng, ev.params.areaRngLbl = area_rng, area_lbl
        ev.evaluate()
        ev.accumulate()
        printed.truncate(0)
        printed.seek(0)
        ev.summarize()
    return ev, printed.getvalue()


def assert_same(ours: CocoEvaluation, ev, printed: str) -> None:
    np.testing.assert_allclose(ours.stats, ev.stats, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.precision, ev.eval["precision"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.recall, ev.eval["recall"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.scores, ev.eval["scores"], rtol=0, atol=1e-6)
    assert ours.summary() + "\n" == printed


@pytest.mark.parametrize("seed", range(40))
def test_matches_pycocotools_on_random_sets(seed):
    gt, results = random_set(seed, integer_boxes=seed % 2 == 1)
    ev, printed = pycocotools_eval(gt, results)
    assert_same(coco_evaluate(gt, results), ev, printed)


@pytest.mark.parametrize("seed", range(40, 50))
def test_matches_pycocotools_without_categories(seed):
    gt, results = random_set(seed, integer_boxes=seed % 2 == 1)
    ev, printed = pycocotools_eval(gt, results, use_cats=False)
    ours = coco_evaluate(gt, results, use_categories=False)
    assert ours.precision.shape[2] == 1 and ours.category_ids.tolist() == [-1]
    assert_same(ours, ev, printed)


@pytest.mark.parametrize("seed", range(50, 56))
def test_matches_pycocotools_with_other_parameters(seed):
    gt, results = random_set(seed, integer_boxes=seed % 2 == 1)
    iou_thrs = [0.3, 0.5, 0.75, 0.9, 1.0]
    max_dets = [3, 1, 20, 50]  # unsorted on purpose: both sort them
    area_rng = [[0, 1e10], [0, 500], [500, 3000], [3000, 1e10], [100, 100]]
    area_lbl = ["all", "small", "medium", "large", "point"]
    rec_thrs = [0.0, 0.1, 0.25, 0.5, 0.9, 1.0]
    ev, printed = pycocotools_eval(
        gt, results, iou_thrs=iou_thrs, rec_thrs=rec_thrs, max_dets=max_dets, area_rng=area_rng, area_lbl=area_lbl
    )
    ours = coco_evaluate(
        gt,
        results,
        iou_thresholds=iou_thrs,
        recall_thresholds=rec_thrs,
        max_dets=max_dets,
        area_ranges=dict(zip(area_lbl, map(tuple, area_rng))),
    )
    assert ours.max_dets == (1, 3, 20, 50)
    assert_same(ours, ev, printed)


def test_a_larger_set_matches_pycocotools():
    gt, results = random_set(1234, n_images=40, n_categories=5)
    ev, printed = pycocotools_eval(gt, results)
    assert_same(coco_evaluate(gt, results), ev, printed)


# ---------------------------------------------------------------------------------------------
# hand-worked cases


def _gt(anns, n_images=1, cats=(1,)):
    for i, a in enumerate(anns):
        a.setdefault("id", i + 1)
        a.setdefault("iscrowd", 0)
        a.setdefault("image_id", 1)
        a.setdefault("category_id", cats[0])
        a.setdefault("area", a["bbox"][2] * a["bbox"][3])
    return {
        "images": [{"id": i + 1} for i in range(n_images)],
        "annotations": anns,
        "categories": [{"id": c} for c in cats],
    }


def _det(bbox, score, image_id=1, category_id=1):
    return {"image_id": image_id, "category_id": category_id, "bbox": bbox, "score": score}


def test_perfect_detections_score_one():
    gt = _gt([{"bbox": [10, 10, 50, 50]}, {"bbox": [100, 100, 20, 30]}])
    res = coco_evaluate(gt, [_det([10, 10, 50, 50], 0.9), _det([100, 100, 20, 30], 0.8)])
    one = pytest.approx(1.0, abs=1e-15)  # precision is tp / (tp + fp + eps), as in pycocotools
    assert res.ap == one and res.ap50 == one and res.ap75 == one and res.ar100 == 1.0
    assert res.ar1 == 0.5  # one detection per image finds one of the two objects
    assert res.ap_small == one and res.ap_medium == one and res.ap_large == -1.0  # no large object
    assert res.as_dict()["AR10"] == 1.0 and list(res.as_dict())[:3] == ["AP", "AP50", "AP75"]


def test_half_overlap_counts_only_at_iou_half():
    # detection [0,0,10,10] against gt [0,0,10,20]: IoU = 100 / 200 = 0.5 exactly
    gt = _gt([{"bbox": [0, 0, 10, 20]}])
    res = coco_evaluate(gt, [_det([0, 0, 10, 10], 0.9)])
    assert res.ap50 == pytest.approx(1.0) and res.ap75 == 0.0
    assert res.ap == pytest.approx(0.1)  # matched at 1 of the 10 thresholds


def test_crowd_region_swallows_detections_without_counting():
    # a crowd region; detections inside it are ignored (neither tp nor fp), however many
    gt = _gt([{"bbox": [0, 0, 100, 100], "iscrowd": 1}, {"bbox": [200, 200, 40, 40]}])
    inside = [_det([10 * i, 10, 20, 20], 0.95 - 0.01 * i) for i in range(5)]  # IoU with crowd: 400/400
    res = coco_evaluate(gt, inside + [_det([200, 200, 40, 40], 0.5)])
    assert res.ap == pytest.approx(1.0)  # the crowd hits do not lower precision
    res_no_crowd = coco_evaluate(
        _gt([{"bbox": [0, 0, 100, 100]}, {"bbox": [200, 200, 40, 40]}]), inside + [_det([200, 200, 40, 40], 0.5)]
    )
    assert res_no_crowd.ap50 < 1.0


def test_absent_categories_are_minus_one_and_empty_results_are_zero():
    gt = _gt([{"bbox": [0, 0, 10, 10]}], cats=(1, 5))
    res = coco_evaluate(gt, [])  # pycocotools itself crashes on an empty results list
    assert res.ap == 0.0 and res.ar100 == 0.0
    assert np.all(res.precision[:, :, 1] == -1) and np.all(res.recall[:, 1] == -1)
    assert res.per_category_ap() == {1: 0.0, 5: -1.0}
    none = coco_evaluate(_gt([], cats=(1,)), [_det([0, 0, 1, 1], 0.5)])
    assert np.all(none.stats == -1)


def test_ignore_field_has_no_effect_as_in_pycocotools():
    gt = _gt([{"bbox": [0, 0, 10, 10], "ignore": 1}])
    res = coco_evaluate(gt, [_det([50, 50, 10, 10], 0.9)])
    assert res.ap == 0.0 and res.ar100 == 0.0  # the object still counts, the detection is a false positive
    ev, printed = pycocotools_eval(gt, [_det([50, 50, 10, 10], 0.9)])
    assert_same(res, ev, printed)


def test_annotation_id_zero_is_matched_unlike_pycocotools():
    # pycocotools keeps matches as annotation ids, so a match to id 0 reads as "unmatched"
    gt = _gt([{"bbox": [0, 0, 10, 10], "id": 0}])
    res = coco_evaluate(gt, [_det([0, 0, 10, 10], 0.9)])
    assert res.ap == pytest.approx(1.0)
    renumbered = _gt([{"bbox": [0, 0, 10, 10], "id": 1}])
    ev, printed = pycocotools_eval(renumbered, [_det([0, 0, 10, 10], 0.9)])
    assert_same(res, ev, printed)
    ev_zero, _ = pycocotools_eval(gt, [_det([0, 0, 10, 10], 0.9)])
    assert ev_zero.stats[0] == 0.0  # the pycocotools quirk this module does not copy


def test_summary_format():
    gt = _gt([{"bbox": [0, 0, 10, 10]}])
    lines = coco_evaluate(gt, [_det([0, 0, 10, 10], 0.9)]).summary().splitlines()
    assert len(lines) == 12
    assert lines[0] == " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 1.000"
    assert lines[5] == " Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = -1.000"
    assert lines[6] == " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 1.000"


# ---------------------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda gt, r: gt["annotations"][1].pop("area"), r"annotations\[1\]\.area is missing"),
        (lambda gt, r: gt["annotations"][0].update(bbox=[0, 0, -1, 5]), r"annotations\[0\]\.bbox: expected a width"),
        (lambda gt, r: gt["annotations"][1].update(bbox=[0, 0, 5]), r"annotations\[1\]\.bbox: expected \[x, y"),
        (lambda gt, r: gt["annotations"][1].update(category_id=2), r"annotations\[1\]\.category_id: 2 is not"),
        (lambda gt, r: gt["annotations"][0].update(image_id=9), r"annotations\[0\]\.image_id: 9 is not"),
        (lambda gt, r: gt["annotations"][1].update(iscrowd=2), r"annotations\[1\]\.iscrowd: expected 0 or 1"),
        (lambda gt, r: gt["annotations"][1].update(id=1), r"annotations: id 1 appears 2 times"),
        (lambda gt, r: gt["images"].append({"id": 1}), r"images: id 1 appears 2 times"),
        (lambda gt, r: gt.pop("categories"), r"no 'categories' list"),
        (lambda gt, r: r[1].pop("score"), r"predictions\[1\]\.score is missing"),
        (lambda gt, r: r[0].update(score=float("nan")), r"predictions\[0\]\.score: expected a finite number"),
        (lambda gt, r: r[1].update(image_id=3), r"predictions\[1\]\.image_id: 3 is not"),
        (lambda gt, r: r[1].update(category_id=4), r"predictions\[1\]\.category_id: 4 is not"),
        (lambda gt, r: r[0].update(bbox=None), r"predictions\[0\]\.bbox: expected \[x, y"),
        (lambda gt, r: r[1].update(image_id="1"), r"predictions\[1\]\.image_id: expected an integer id"),
    ],
)
def test_bad_records_name_the_record_and_field(mutate, message):
    gt = _gt([{"bbox": [0, 0, 10, 10]}, {"bbox": [5, 5, 10, 10]}])
    results = [_det([0, 0, 10, 10], 0.9), _det([5, 5, 10, 10], 0.8)]
    mutate(gt, results)
    with pytest.raises(ValueError, match=message):
        coco_evaluate(gt, results)


def test_bad_options():
    gt = _gt([{"bbox": [0, 0, 10, 10]}])
    with pytest.raises(ValueError, match="iou_type must be 'bbox' or 'segm'"):
        coco_evaluate(gt, [], iou_type="keypoints")
    with pytest.raises(ValueError, match="max_dets"):
        coco_evaluate(gt, [], max_dets=(1, 100))
    with pytest.raises(ValueError, match="iou_thresholds"):
        coco_evaluate(gt, [], iou_thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="iou_thresholds"):
        coco_evaluate(gt, [], iou_thresholds=["a"])
    with pytest.raises(ValueError, match="recall_thresholds must be increasing"):
        coco_evaluate(gt, [], recall_thresholds=[0.5, 0.2])
    with pytest.raises(ValueError, match="area_ranges"):
        coco_evaluate(gt, [], area_ranges={"all": (10, 0)})


def test_inputs_are_left_untouched_and_huge_max_dets_cost_nothing():
    gt, results = random_set(7)
    gt_before, results_before = copy.deepcopy(gt), copy.deepcopy(results)
    big = coco_evaluate(gt, results, max_dets=(1, 10, 10**9))  # pycocotools writes area, id, ... into both
    assert gt == gt_before and results == results_before
    same = coco_evaluate(gt, results, max_dets=(1, 10, 1000))  # no image holds 1000 detections
    np.testing.assert_array_equal(big.precision, same.precision)
    np.testing.assert_array_equal(big.stats[1:], same.stats[1:])
    assert big.stats[0] == -1.0  # pycocotools' first line reads maxDets=100, absent here


# ---------------------------------------------------------------------------------------------
# iou_type="segm" with decoded masks (pycocotools gets the same masks run-length encoded)


def random_mask_set(seed: int, *, with_boxes: bool):
    """Masks of odd shapes (blobs with holes), crowd regions, shifted / grown / exact copies, empty masks."""
    from pycocotools import mask as mask_utils

    rng = np.random.default_rng(seed)
    cats = [2, 9, 40]
    images, anns, results, ours_gt, ours_res = [], [], [], [], []

    def blob(h, w):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        ry, rx = rng.uniform(2, h / 2), rng.uniform(2, w / 2)
        yy, xx = np.mgrid[:h, :w]
        m = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
        return m & (rng.random((h, w)) > 0.1)  # holes

    for img in range(1, 6):
        h, w = int(rng.integers(20, 130)), int(rng.integers(20, 130))  # small, medium and large objects
        images.append({"id": img, "height": h, "width": w})
        gts = []
        for _ in range(int(rng.integers(0 if img == 1 else 1, 6))):
            m = blob(h, w)
            a = {
                "image_id": img,
                "category_id": int(rng.choice(cats[:2])),
                "iscrowd": int(rng.random() < 0.15),
                "area": float(m.sum() * rng.uniform(0.9, 1.0)),
            }
            gts.append((a, m))
        for _ in range(int(rng.integers(0, 20))):
            if gts and rng.random() < 0.7:
                a, m = gts[rng.integers(len(gts))]
                kind = rng.integers(4)
                d = (
                    m
                    if kind == 0
                    else np.roll(m, tuple(rng.integers(-3, 4, 2)), (0, 1))
                    if kind == 1
                    else (m | np.roll(m, 1, 0))
                    if kind == 2
                    else np.zeros_like(m)
                )
                cat = a["category_id"]
            else:
                d, cat = blob(h, w), int(rng.choice(cats))
            score = float(np.round(rng.random(), 1))
            rle = mask_utils.encode(np.asfortranarray(d.astype(np.uint8)))
            r = {"image_id": img, "category_id": cat, "score": score}
            if with_boxes:
                r["bbox"] = mask_utils.toBbox(rle).tolist()
            results.append({**r, "segmentation": rle})
            ours_res.append({**r, "segmentation": d})
        for a, m in gts:
            a["id"] = len(anns) + 1
            anns.append({**a, "segmentation": mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))})
            ours_gt.append({**a, "segmentation": m})
    categories = [{"id": c} for c in cats]
    return (
        {"images": images, "annotations": anns, "categories": categories},
        results,
        {"images": images, "annotations": ours_gt, "categories": categories},
        ours_res,
    )


def pycocotools_segm(gt, results, *, use_cats=True):
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(results), iouType="segm")
        ev.params.useCats = int(use_cats)
        ev.evaluate()
        ev.accumulate()
        printed.truncate(0)
        printed.seek(0)
        ev.summarize()
    return ev, printed.getvalue()


@pytest.mark.parametrize("seed", range(12))
def test_segm_matches_pycocotools(seed):
    gt, results, our_gt, our_results = random_mask_set(seed, with_boxes=seed % 2 == 0)
    use_cats = seed % 4 != 3
    ev, printed = pycocotools_segm(gt, results, use_cats=use_cats)
    assert_same(coco_evaluate(our_gt, our_results, iou_type="segm", use_categories=use_cats), ev, printed)


def test_segm_mask_iou_and_crowd_by_hand():
    m = np.zeros((10, 10), bool)
    m[:4, :5] = True  # 20 pixels
    half = np.zeros_like(m)
    half[:2, :5] = True  # 10 of them: IoU 0.5
    gt = {
        "images": [{"id": 1}],
        "categories": [{"id": 1}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": m, "area": 20.0}],
    }
    res = coco_evaluate(gt, [{"image_id": 1, "category_id": 1, "segmentation": half, "score": 0.9}], iou_type="segm")
    assert res.ap50 == pytest.approx(1.0) and res.ap75 == 0.0
    gt["annotations"][0]["iscrowd"] = 1  # inside a crowd region: IoU = 10 / 10, the detection is ignored
    res = coco_evaluate(gt, [{"image_id": 1, "category_id": 1, "segmentation": half, "score": 0.9}], iou_type="segm")
    assert np.all(res.stats == -1)  # nothing left to find


@pytest.mark.parametrize("seed", range(4))
def test_segm_from_run_length_encodings_and_polygons_matches_pycocotools(seed):
    """The same sets given as COCO gives them: compressed RLE (pycocotools' bytes), and polygons."""
    gt, results, _, _ = random_mask_set(seed, with_boxes=False)
    ev, printed = pycocotools_segm(copy.deepcopy(gt), copy.deepcopy(results))  # pycocotools edits its inputs
    assert_same(coco_evaluate(gt, results, iou_type="segm"), ev, printed)
    rng = np.random.default_rng(seed)
    for a in gt["annotations"]:  # polygons for the non-crowd objects (as COCO stores them)
        if not a["iscrowd"]:
            h, w = a["segmentation"]["size"]
            ring = [float(v) for _ in range(int(rng.integers(3, 8))) for v in (rng.uniform(0, w), rng.uniform(0, h))]
            a["segmentation"] = [ring]
    ev, printed = pycocotools_segm(copy.deepcopy(gt), copy.deepcopy(results))
    assert_same(coco_evaluate(gt, results, iou_type="segm"), ev, printed)


def test_segm_errors_name_the_record():
    m = np.zeros((4, 4), bool)
    gt = {
        "images": [{"id": 1}],
        "categories": [{"id": 1}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "segmentation": {"counts": 7, "size": [4, 4]}, "area": 1.0}
        ],
    }
    with pytest.raises(ValueError, match=r"annotations\[0\]\.segmentation: not a COCO run-length encoding"):
        coco_evaluate(gt, [], iou_type="segm")
    gt["annotations"][0]["segmentation"] = m
    bad = [{"image_id": 1, "category_id": 1, "segmentation": np.zeros((5, 4), bool), "score": 0.5}]
    with pytest.raises(
        ValueError,
        match=r"predictions\[0\]\.segmentation: .*5x4 mask on a 4x4 image|"
        r"predictions\[0\]\.segmentation: shape \(5, 4\) differs",
    ):
        coco_evaluate(gt, bad, iou_type="segm")
    gt["annotations"][0]["segmentation"] = [[1, 2, 3, 4, 5, 6]]
    with pytest.raises(ValueError, match=r"annotations\[0\]\.segmentation: polygons need the image's height"):
        coco_evaluate(gt, [], iou_type="segm")
    gt["images"][0].update(height=4, width=4)
    gt["annotations"][0]["segmentation"] = [[1, 2, 3, 4]]
    with pytest.raises(ValueError, match=r"annotations\[0\]\.segmentation: not COCO polygons"):
        coco_evaluate(gt, [], iou_type="segm")
