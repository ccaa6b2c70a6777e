"""ICDAR 2015 text detection protocol, polygon IoU and word accuracy: by hand and against rasterised areas."""

import numpy as np
import pytest

from vistakit.metrics import (
    polygon_iou,
    read_icdar2015,
    text_detection_scores,
    word_accuracy,
)
from vistakit.structures import TextInstance


def box(x0, y0, x1, y1):
    """Clockwise quadrilateral (image coordinates, y down), as ICDAR files give it."""
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def inside(poly, x, y):
    """Even-odd point-in-polygon test on arrays of points (an independent area reference)."""
    poly = np.asarray(poly, float)
    result = np.zeros(x.shape, bool)
    for (x0, y0), (x1, y1) in zip(poly, np.roll(poly, -1, axis=0)):
        crosses = (y0 > y) != (y1 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            xc = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        result ^= crosses & (x < xc)
    return result


def random_quad(rng):
    """A random simple quadrilateral (vertices in angle order around an inner centre: often non-convex)."""
    centre = rng.uniform(3, 7, 2)
    angles = rng.uniform(0, 2 * np.pi) + np.arange(4) * np.pi / 2 + rng.uniform(-0.6, 0.6, 4)  # gaps < pi
    radii = rng.uniform(0.2, 4, 4)
    pts = centre + np.stack([radii * np.cos(angles), radii * np.sin(angles)], 1)
    return pts if rng.random() < 0.5 else pts[::-1]


def is_convex(poly):
    d = np.roll(poly, -1, 0) - poly
    turns = d[:, 0] * np.roll(d, -1, 0)[:, 1] - d[:, 1] * np.roll(d, -1, 0)[:, 0]
    return turns.min() >= 0 or turns.max() <= 0


def test_polygon_iou_against_rasterised_areas():
    rng = np.random.default_rng(0)
    step = 0.01
    nonconvex = 0
    for _ in range(40):
        a, b = random_quad(rng), random_quad(rng)
        lo, hi = np.minimum(a.min(0), b.min(0)), np.maximum(a.max(0), b.max(0))
        x, y = np.meshgrid(np.arange(lo[0], hi[0], step) + step / 2, np.arange(lo[1], hi[1], step) + step / 2)
        ia, ib = inside(a, x, y), inside(b, x, y)
        expected = (ia & ib).sum() / (ia | ib).sum()
        assert polygon_iou(a, b) == pytest.approx(expected, abs=0.005)
        nonconvex += (not is_convex(a)) + (not is_convex(b))
    assert nonconvex > 5  # the non-convex path (ear clipping) was exercised


def test_polygon_iou_by_hand():
    assert polygon_iou(box(0, 0, 2, 2), box(1, 1, 3, 3)) == pytest.approx(1 / 7)
    assert polygon_iou(box(0, 0, 2, 2), box(0, 0, 2, 2)[::-1]) == pytest.approx(1.0)  # orientation does not matter
    assert polygon_iou(box(0, 0, 1, 1), box(2, 2, 3, 3)) == 0.0
    dart = [(0, 0), (4, 0), (2, 1), (4, 4)]  # area 4, inside the 4 x 4 square
    assert polygon_iou(dart, box(0, 0, 4, 4)) == pytest.approx(4 / 16)
    assert polygon_iou([0, 0, 2, 0, 2, 2, 0, 2], box(0, 0, 2, 1)) == pytest.approx(0.5)  # flat coordinates
    with pytest.raises(ValueError, match="intersects itself"):
        polygon_iou([(0, 0), (2, 2), (2, 0), (0, 2)], box(0, 0, 1, 1))


def test_protocol_by_hand():
    gt = [
        [
            (box(0, 0, 10, 10), "HELLO"),
            (box(20, 0, 30, 10), "WORLD"),
            (box(40, 0, 50, 10), "###"),  # don't care
            (box(60, 0, 70, 10), "MISSED"),
        ]
    ]
    pred = [
        [
            box(1, 0, 10, 10),  # IoU 0.9 with HELLO: match
            box(0, 0, 10, 10),  # also overlaps HELLO, but it is taken: a false positive
            box(25, 0, 35, 10),  # IoU 5 / 15 with WORLD: no match, a false positive
            box(41, 0, 52, 10),  # 9 / 11 of it on the don't-care region: dropped
            box(45, 0, 55, 10),  # exactly half on the don't-care region (not more): a false positive
        ]
    ]
    res = text_detection_scores(gt, pred)
    assert (res.matched, res.num_gt, res.num_det) == (1, 3, 4)
    assert res.recall == pytest.approx(1 / 3) and res.precision == pytest.approx(1 / 4)
    assert res.hmean == pytest.approx(2 * (1 / 3) * (1 / 4) / (1 / 3 + 1 / 4))


def test_greedy_first_match_in_file_order():
    # the first detection above the threshold wins even when a later one fits better
    gt = [[(box(0, 0, 10, 10), "a"), (box(4, 0, 14, 10), "b")]]
    pred = [[box(2, 0, 12, 10), box(0, 0, 10, 10)]]
    res = text_detection_scores(gt, pred)
    # gt a takes detection 0 (IoU 8/12); gt b: detection 1 has IoU 6/14, no match
    assert res.matched == 1 and res.recall == 0.5 and res.precision == 0.5
    assert text_detection_scores(gt, pred, iou_threshold=0.4).matched == 2


def test_images_add_up_and_per_image_rules():
    gt = [[(box(0, 0, 10, 10), "a")], [(box(0, 0, 5, 5), "###")], []]
    pred = [[box(0, 0, 10, 10)], [box(20, 20, 30, 30)], []]
    res = text_detection_scores(gt, pred)
    assert (res.matched, res.num_gt, res.num_det) == (1, 1, 2)
    assert res.per_image == ((1.0, 1.0, 1.0), (0.0, 1.0, 0.0), (1.0, 1.0, 1.0))
    assert (res.recall, res.precision) == (1.0, 0.5)
    empty = text_detection_scores([[]], [[]])
    assert (empty.precision, empty.recall, empty.hmean) == (0.0, 0.0, 0.0)


def test_errors():
    with pytest.raises(ValueError, match="gt has 1 images but pred has 2"):
        text_detection_scores([[]], [[], []])
    with pytest.raises(ValueError, match="pred image 0, region 1"):
        text_detection_scores([[]], [[box(0, 0, 1, 1), [(0, 0), (1, 1)]]])


def test_read_icdar2015(tmp_path):
    f = tmp_path / "gt_img_1.txt"
    f.write_bytes(
        "\ufeff377,117,463,117,465,130,378,130,Genaxis Theatre\r\n"
        "374,155,409,155,409,170,374,170,###\r\n\r\n"
        "1,2,3,4,5,6,7,8,a,b\n".encode("utf-8")
    )
    regions = read_icdar2015(f)
    assert [t for _, t in regions] == ["Genaxis Theatre", "###", "a,b"]
    np.testing.assert_array_equal(regions[0][0], [[377, 117], [463, 117], [465, 130], [378, 130]])
    r = tmp_path / "res_img_1.txt"
    r.write_text("1,2,3,4,5,6,7,8\n")
    assert read_icdar2015(r)[0][1] is None
    r.write_text("1,2,3,4,5,6,7\n")
    with pytest.raises(ValueError, match="res_img_1.txt, line 1"):
        read_icdar2015(r)


def test_word_accuracy():
    true = ["Hello", "world", "TEXT", "a"]
    pred = ["hello", "world", "TEXT", "b"]
    assert word_accuracy(true, pred) == 0.5
    assert word_accuracy(true, pred, case_sensitive=False) == 0.75
    assert word_accuracy(y_pred=["Straße"], y_true=["STRASSE"], case_sensitive=False) == 1.0  # case folding
    with pytest.raises(ValueError, match="2 words but y_pred has 1"):
        word_accuracy(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="empty"):
        word_accuracy([], [])
    with pytest.raises(ValueError, match=r"y_pred\[0\] must be a string"):
        word_accuracy(["a"], [1])


def test_text_instances_and_dicts_are_regions():
    gt = [
        [
            TextInstance(np.array(box(0, 0, 10, 10)), "a"),
            TextInstance(np.array(box(20, 0, 30, 10)), "###"),
            {"points": box(40, 0, 50, 10), "transcription": "b"},
        ]
    ]
    pred = [[box(0, 0, 10, 10), box(20, 0, 30, 10), (box(40, 0, 50, 10), "b")]]
    res = text_detection_scores(gt, pred)
    assert (res.matched, res.num_gt, res.num_det) == (2, 2, 2)
