"""Panoptic quality against a straightforward re-implementation of the official COCO rules
(``panopticapi/evaluation.py``: ``pq_compute_single_core`` and ``PQStat.pq_average``), and by hand."""

import math

import numpy as np
import pytest

from vistakit.metrics import PanopticQuality, panoptic_quality
from vistakit.structures import PanopticSegment

CATEGORIES = [{"id": 1, "isthing": 1}, {"id": 2, "isthing": 1}, {"id": 7, "isthing": 0}, {"id": 9, "isthing": 0}]


def reference_stats(gt_map, pred_map, gt_segs, pred_segs):
    """Per category [tp, fp, fn, iou sum], segment by segment with boolean masks."""
    stats = {c["id"]: [0, 0, 0, 0.0] for c in CATEGORIES}
    void = gt_map == 0
    matched_gt, matched_pred = set(), set()
    for gs in gt_segs:
        if gs["iscrowd"]:
            continue  # crowd regions never match
        g_mask = gt_map == gs["id"]
        for ps in pred_segs:
            if ps["category_id"] != gs["category_id"]:
                continue
            p_mask = pred_map == ps["id"]
            inter = np.sum(g_mask & p_mask)
            union = np.sum(p_mask) + np.sum(g_mask) - inter - np.sum(p_mask & void)
            if inter and inter / union > 0.5:
                stats[gs["category_id"]][0] += 1
                stats[gs["category_id"]][3] += inter / union
                matched_gt.add(gs["id"])
                matched_pred.add(ps["id"])
    crowd = {}
    for gs in gt_segs:
        if gs["id"] in matched_gt:
            continue
        if gs["iscrowd"]:
            crowd[gs["category_id"]] = gs["id"]
        else:
            stats[gs["category_id"]][2] += 1
    for ps in pred_segs:
        if ps["id"] in matched_pred:
            continue
        p_mask = pred_map == ps["id"]
        ignored = np.sum(p_mask & void)
        if ps["category_id"] in crowd:
            ignored += np.sum(p_mask & (gt_map == crowd[ps["category_id"]]))
        if ignored / np.sum(p_mask) > 0.5:
            continue
        stats[ps["category_id"]][1] += 1
    return stats


def reference_average(stats, isthing):
    pq = sq = rq = 0.0
    n = 0
    per_class = {}
    for c in CATEGORIES:
        if isthing is not None and (c["isthing"] == 1) != isthing:
            continue
        tp, fp, fn, iou = stats[c["id"]]
        if tp + fp + fn == 0:
            per_class[c["id"]] = (0.0, 0.0, 0.0)
            continue
        n += 1
        p_c = iou / (tp + 0.5 * fp + 0.5 * fn)
        s_c = iou / tp if tp else 0.0
        r_c = tp / (tp + 0.5 * fp + 0.5 * fn)
        per_class[c["id"]] = (p_c, s_c, r_c)
        pq, sq, rq = pq + p_c, sq + s_c, rq + r_c
    avg = (pq / n, sq / n, rq / n, n) if n else (math.nan, math.nan, math.nan, 0)
    return avg, per_class


def random_image(rng, size=(12, 14)):
    """A coarse random ground truth (void, crowd, stray ids) and a prediction that is a noisy copy of it."""
    h, w = size
    coarse = rng.integers(0, 7, (h // 2 + 1, w // 2 + 1))
    gt = np.kron(coarse, np.ones((2, 2), int))[:h, :w]
    gt[rng.random((h, w)) < 0.08] = 0
    cats = [c["id"] for c in CATEGORIES]
    gt_segs = []
    for sid in range(1, 7):
        if sid == 6 and rng.random() < 0.5:
            continue  # a stray id in the map without a segment: skipped, not VOID
        gt_segs.append({"id": sid, "category_id": int(rng.choice(cats)), "iscrowd": int(rng.random() < 0.2)})
    # prediction: ids renamed (10 + gt id), some pixels moved to other ids, some categories changed
    pred = np.where(gt > 0, gt + 10, 0)
    noise = rng.random((h, w)) < rng.uniform(0.05, 0.45)
    pred[noise] = rng.choice([0, 11, 12, 13, 14, 15, 16, 20, 21], noise.sum())
    cat_of = {s["id"]: s["category_id"] for s in gt_segs}
    pred_segs = []
    for sid in np.unique(pred).tolist():
        if sid == 0:
            continue
        cat = cat_of.get(sid - 10, int(rng.choice(cats)))
        if rng.random() < 0.15:
            cat = int(rng.choice(cats))
        pred_segs.append({"id": sid, "category_id": cat})
    return gt, pred, gt_segs, pred_segs


def test_against_the_official_rules_on_random_images():
    rng = np.random.default_rng(0)
    for _trial in range(60):
        images = [random_image(rng) for _ in range(int(rng.integers(1, 5)))]
        gts, preds, gsegs, psegs = zip(*images)
        res = panoptic_quality(gts, preds, gsegs, psegs, categories=CATEGORIES)
        stats = {c["id"]: [0, 0, 0, 0.0] for c in CATEGORIES}
        for img in images:
            for c, s in reference_stats(*img).items():
                stats[c] = [a + b for a, b in zip(stats[c], s)]
        for group, isthing in ((res.all, None), (res.things, True), (res.stuff, False)):
            (pq, sq, rq, n), per_class = reference_average(stats, isthing)
            assert group.n == n
            np.testing.assert_allclose([group.pq, group.sq, group.rq], [pq, sq, rq], rtol=1e-12, atol=1e-15)
            for c, (p_c, s_c, r_c) in per_class.items():
                got = res.per_class[c]
                np.testing.assert_allclose([got.pq, got.sq, got.rq], [p_c, s_c, r_c], rtol=1e-12, atol=1e-15)
                assert (got.tp, got.fp, got.fn) == tuple(stats[c][:3])


def test_streaming_merge_equals_one_pass():
    rng = np.random.default_rng(1)
    images = [random_image(rng) for _ in range(6)]
    whole = PanopticQuality(CATEGORIES)
    a, b = PanopticQuality(CATEGORIES), PanopticQuality(CATEGORIES)
    for i, (gt, pred, gs, ps) in enumerate(images):
        whole.update(pred, ps, gt, gs)
        (a if i % 2 else b).update(pred, ps, gt, gs)
    assert a.merge(b).compute() == whole.compute()


def seg(sid, cat, crowd=0):
    return {"id": sid, "category_id": cat, "iscrowd": crowd}


def test_perfect_prediction_is_one():
    gt = np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 3, 3]])
    segs = [seg(1, 1), seg(2, 2), seg(3, 7)]
    res = panoptic_quality([gt], [gt * 5], [segs], [[seg(5, 1), seg(10, 2), seg(15, 7)]], categories=CATEGORIES)
    assert (res.all.pq, res.all.sq, res.all.rq, res.all.n) == (1.0, 1.0, 1.0, 3)
    assert (res.things.n, res.stuff.n) == (2, 1)
    assert res.per_class[9].n == 0 and res.per_class[9].pq == 0.0  # never seen: out of the mean


def test_overlap_above_and_below_one_half():
    gt = np.array([[1, 1, 1, 1, 0, 0]])
    # prediction on 3 of the 4 gt pixels plus 1 more: IoU 3 / 5 = 0.6, a match
    res = panoptic_quality([gt], [np.array([[0, 4, 4, 4, 4, 0]])], [[seg(1, 1)]], [[seg(4, 1)]], categories=CATEGORIES)
    # the extra pixel lies on VOID: the union leaves it out, IoU = 3 / 4
    assert res.per_class[1].pq == pytest.approx(0.75) and res.per_class[1].rq == 1.0
    gt2 = np.array([[1, 1, 1, 1, 2, 2]])
    res = panoptic_quality(
        [gt2], [np.array([[0, 4, 4, 4, 4, 0]])], [[seg(1, 1), seg(2, 7)]], [[seg(4, 1)]], categories=CATEGORIES
    )
    assert res.per_class[1].sq == pytest.approx(0.6) and res.per_class[1].pq == pytest.approx(0.6)
    # half overlap: IoU 2 / 6, no match: one FP and one FN, PQ = RQ = 0
    res = panoptic_quality(
        [np.array([[1, 1, 1, 1, 2, 2, 2, 2]])],
        [np.array([[2, 2, 4, 4, 4, 4, 2, 2]])],
        [[seg(1, 1), seg(2, 7)]],
        [[seg(4, 1), seg(2, 7)]],
        categories=CATEGORIES,
    )
    c = res.per_class[1]
    assert (c.tp, c.fp, c.fn, c.pq, c.rq) == (0, 1, 1, 0.0, 0.0)


def test_crowd_regions_are_not_counted():
    gt = np.array([[1, 1, 1, 1, 2, 2, 2, 2]])
    gsegs = [seg(1, 1, crowd=1), seg(2, 1)]
    # segment 5 lies on the crowd region of its own category: ignored, not a false positive
    res = panoptic_quality(
        [gt], [np.array([[5, 5, 5, 0, 6, 6, 6, 6]])], [gsegs], [[seg(5, 1), seg(6, 1)]], categories=CATEGORIES
    )
    c = res.per_class[1]
    assert (c.tp, c.fp, c.fn) == (1, 0, 0)  # the crowd segment is no false negative either
    # the same segment with another category: the crowd region does not excuse it
    res = panoptic_quality(
        [gt], [np.array([[5, 5, 5, 0, 6, 6, 6, 6]])], [gsegs], [[seg(5, 2), seg(6, 1)]], categories=CATEGORIES
    )
    assert res.per_class[2].fp == 1


def test_predictions_mostly_on_void_are_ignored():
    gt = np.array([[0, 0, 0, 1, 1, 1]])
    res = panoptic_quality([gt], [np.array([[3, 3, 3, 3, 0, 0]])], [[seg(1, 1)]], [[seg(3, 2)]], categories=CATEGORIES)
    assert (res.per_class[2].fp, res.per_class[1].fn) == (0, 1)
    res = panoptic_quality([gt], [np.array([[3, 3, 3, 3, 3, 3]])], [[seg(1, 1)]], [[seg(3, 2)]], categories=CATEGORIES)
    assert res.per_class[2].fp == 1  # exactly half on VOID: 3 / 6 is not above 0.5, a false positive


def test_empty_groups_are_nan_and_segment_objects_work():
    gt = np.array([[1, 1], [1, 1]])
    res = panoptic_quality(
        [gt],
        [gt],
        [[PanopticSegment(id=1, category_id=7)]],
        [[PanopticSegment(id=1, category_id=7)]],
        categories={7: False, 1: True},
    )
    assert res.stuff.pq == 1.0 and math.isnan(res.things.pq) and res.things.n == 0
    assert list(res.per_class) == [7, 1]


def test_errors():
    gt = np.array([[1, 1], [0, 0]])
    with pytest.raises(ValueError, match="image 0: pred_ids holds segment id 4"):
        panoptic_quality([gt], [gt * 4], [[seg(1, 1)]], [[seg(1, 1)]], categories=CATEGORIES)
    with pytest.raises(ValueError, match=r"\[3\] that do not occur"):
        panoptic_quality([gt], [gt], [[seg(1, 1)]], [[seg(1, 1), seg(3, 1)]], categories=CATEGORIES)
    with pytest.raises(ValueError, match="category_id 5, which is not in categories"):
        panoptic_quality([gt], [gt], [[seg(1, 1)]], [[seg(1, 5)]], categories=CATEGORIES)
    with pytest.raises(ValueError, match="differ in shape"):
        panoptic_quality([gt], [gt[:1]], [[seg(1, 1)]], [[seg(1, 1)]], categories=CATEGORIES)
    with pytest.raises(ValueError, match="appears twice"):
        panoptic_quality([gt], [gt], [[seg(1, 1)]], [[seg(1, 1), seg(1, 2)]], categories=CATEGORIES)
    with pytest.raises(ValueError, match="has 1 images but pred_ids has 2"):
        panoptic_quality([gt], [gt, gt], [[seg(1, 1)]], [[seg(1, 1)]], categories=CATEGORIES)
    with pytest.raises(ValueError, match="cannot merge"):
        PanopticQuality(CATEGORIES).merge(PanopticQuality({1: True}))
    with pytest.raises(ValueError, match="no segments"):
        PanopticQuality(CATEGORIES).compute()


def _images(seed=5, n=5):
    """Images of the distributed test (the same in every process)."""
    rng = np.random.default_rng(seed)
    return [random_image(rng) for _ in range(n)]


def _dist_worker(rank, world, init_file, out_dir):
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        metric = PanopticQuality(CATEGORIES)
        for gt, pred, gs, ps in _images()[rank::world]:
            metric.update(pred, ps, gt, gs)
        metric.sync()
        res = metric.compute()
        np.save(
            f"{out_dir}/rank{rank}.npy",
            np.array([[s.pq, s.sq, s.rq, s.tp, s.fp, s.fn] for s in res.per_class.values()] + [[res.all.pq] * 6]),
        )
    finally:
        dist.destroy_process_group()


def test_sync_over_torch_distributed_and_state_dict(tmp_path):
    import torch.multiprocessing as mp

    mp.start_processes(
        _dist_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True, start_method="spawn"
    )
    whole = PanopticQuality(CATEGORIES)
    for gt, pred, gs, ps in _images():
        whole.update(pred, ps, gt, gs)
    res = whole.compute()
    expected = np.array([[s.pq, s.sq, s.rq, s.tp, s.fp, s.fn] for s in res.per_class.values()] + [[res.all.pq] * 6])
    for rank in range(2):
        assert np.array_equal(np.load(tmp_path / f"rank{rank}.npy"), expected)
    restored = PanopticQuality(CATEGORIES)
    restored.load_state_dict(whole.state_dict())
    assert restored.compute() == res
