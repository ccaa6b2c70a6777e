"""RLE, polygon rasterising, merge and IoU against the COCO API itself (pycocotools)."""

import numpy as np
import pycocotools.mask as coco_mask
import pytest

from vistakit.structures import RLE, Polygons, merge, polygon_to_rle, rle_iou

# pycocotools 2.0.x calls np.asarray(copy=False) on its RLE objects under numpy 2
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

N_MASKS = 400
N_POLYGONS = 1000


def _random_mask(rng, i):
    h, w = (int(v) for v in rng.integers(1, 48, 2))
    kind = i % 5
    if kind == 0:
        return np.full((h, w), bool(i % 2))  # empty or full
    if kind == 1:  # blobs: long runs, some crossing columns
        m = np.zeros((h, w), bool)
        y0, x0 = rng.integers(0, h), rng.integers(0, w)
        m[y0 : y0 + rng.integers(1, h + 1), x0 : x0 + rng.integers(1, w + 1)] = True
        return m
    return rng.random((h, w)) < rng.random()


def _coco(m):
    return coco_mask.encode(np.asfortranarray(m.astype(np.uint8)))


def test_hand_worked_example():
    # column-major pixels of [[0, 1], [1, 1]] are 0, 1, 1, 1: one background run, three foreground
    r = RLE.encode(np.array([[0, 1], [1, 1]], dtype=bool))
    assert r.counts.tolist() == [1, 3] and r.area == 3
    np.testing.assert_array_equal(r.bbox, [0, 0, 2, 2])
    # a mask starting with foreground starts with an empty background run
    assert RLE.encode(np.array([[1, 0]], dtype=bool)).counts.tolist() == [0, 1, 1]
    assert RLE.encode(np.zeros((3, 2), bool)).counts.tolist() == [6]


def test_encode_decode_area_bbox_string_match_pycocotools():
    rng = np.random.default_rng(0)
    for i in range(N_MASKS):
        m = _random_mask(rng, i)
        ref = _coco(m)
        r = RLE.encode(m)
        assert r.size == tuple(ref["size"])
        assert r.to_coco()["counts"] == ref["counts"].decode("ascii")
        np.testing.assert_array_equal(r.decode(), coco_mask.decode(ref).astype(bool))
        assert r.area == int(coco_mask.area(ref))
        np.testing.assert_array_equal(r.bbox, coco_mask.toBbox(ref))
        # both ways: pycocotools' compressed bytes, the str form, and the uncompressed list form
        assert RLE.from_coco(ref) == r
        assert RLE.from_coco(r.to_coco()) == r
        plain = r.to_coco(compressed=False)
        assert RLE.from_coco(plain) == r
        assert coco_mask.frPyObjects(plain, *plain["size"])["counts"] == ref["counts"]


def test_large_counts_round_trip_through_the_string():
    # deltas far from the previous counts need several 5-bit groups and negative values
    counts = [0, 5_000_000, 3, 17, 2_000_000, 1, 40]
    total = sum(counts)
    r = RLE((1, total), counts)
    ref = {"size": [1, total], "counts": counts}
    assert r.to_coco()["counts"] == coco_mask.frPyObjects(ref, 1, total)["counts"].decode()
    assert RLE.from_coco(r.to_coco()) == r


def _random_ring(rng, i, h, w):
    k = int(rng.integers(3, 14))
    if i % 4 == 0:  # on a grid of halves / fifths / tenths: many ties in the rounding
        q = float(rng.choice([1, 2, 5, 10]))
        return np.round(rng.uniform(-3, max(h, w) + 3, (k, 2)) * q) / q
    if i % 4 == 1:  # well outside the image on some sides
        return rng.uniform(-20, max(h, w) + 20, (k, 2))
    if i % 4 == 2:  # a repeated vertex (a zero-length edge)
        pts = rng.uniform(0, max(h, w), (k, 2))
        pts[1] = pts[0]
        return pts
    return rng.uniform(0, 1, (k, 2)) * [w, h]


def test_polygon_rasterising_matches_frPyObjects_bit_for_bit():
    rng = np.random.default_rng(1)
    for i in range(N_POLYGONS):
        h, w = (int(v) for v in rng.integers(1, 60, 2))
        ring = _random_ring(rng, i, h, w)
        ref = coco_mask.frPyObjects([ring.ravel().tolist()], h, w)[0]
        mine = polygon_to_rle(ring, height=h, width=w)
        assert mine.to_coco()["counts"] == ref["counts"].decode(), (h, w, ring.tolist())
        # the flat [x1, y1, ...] form reads the same
        assert polygon_to_rle(ring.ravel(), height=h, width=w) == mine


def test_polygons_with_several_rings_match_annToRLE():
    rng = np.random.default_rng(2)
    for i in range(300):
        h, w = (int(v) for v in rng.integers(2, 50, 2))
        rings = [_random_ring(rng, i + j, h, w) for j in range(int(rng.integers(1, 4)))]
        seg = [r.ravel().tolist() for r in rings]
        ref = coco_mask.merge(coco_mask.frPyObjects(seg, h, w))  # what COCO.annToRLE does
        p = Polygons.from_coco(seg)
        r = p.to_rle(height=h, width=w)
        assert r.to_coco()["counts"] == ref["counts"].decode()
        assert p.area(height=h, width=w) == int(coco_mask.area(ref))
        np.testing.assert_array_equal(p.to_mask(height=h, width=w), coco_mask.decode(ref).astype(bool))


def test_merge_matches_pycocotools():
    rng = np.random.default_rng(3)
    for i in range(200):
        h, w = (int(v) for v in rng.integers(1, 30, 2))
        masks = [rng.random((h, w)) < rng.random() for _ in range(int(rng.integers(1, 5)))]
        if i % 7 == 0:
            masks.append(np.zeros((h, w), bool))
        refs = [_coco(m) for m in masks]
        for intersect in (False, True):
            ref = coco_mask.merge(refs, intersect=intersect)
            got = merge([RLE.encode(m) for m in masks], intersect=intersect)
            assert got.to_coco()["counts"] == ref["counts"].decode()


def test_iou_matches_pycocotools_with_and_without_crowd():
    rng = np.random.default_rng(4)
    for _i in range(60):
        h, w = (int(v) for v in rng.integers(1, 40, 2))
        dts = [_random_mask(rng, int(rng.integers(0, 5))) for _ in range(int(rng.integers(0, 6)))]
        gts = [_random_mask(rng, int(rng.integers(0, 5))) for _ in range(int(rng.integers(0, 5)))]
        # _random_mask picks its own size: bring everything to (h, w)
        dts = [np.resize(m, (h, w)) for m in dts]
        gts = [np.resize(m, (h, w)) for m in gts]
        crowd = rng.random(len(gts)) < 0.4
        got = rle_iou([RLE.encode(m) for m in dts], [RLE.encode(m) for m in gts], iscrowd=crowd)
        assert got.shape == (len(dts), len(gts))
        if dts and gts:
            ref = coco_mask.iou([_coco(m) for m in dts], [_coco(m) for m in gts], crowd.astype(np.uint8).tolist())
            np.testing.assert_array_equal(got, np.asarray(ref).reshape(len(dts), len(gts)))


def test_crowd_iou_is_intersection_over_detection_area():
    gt = np.zeros((4, 4), bool)
    gt[:, :2] = True  # 8 pixels
    dt = np.zeros((4, 4), bool)
    dt[:2, :] = True  # 8 pixels, 4 of them on the gt
    a, b = RLE.encode(dt), RLE.encode(gt)
    assert rle_iou([a], [b], iscrowd=[False])[0, 0] == 4 / 12
    assert rle_iou([a], [b], iscrowd=[True])[0, 0] == 4 / 8


@pytest.mark.parametrize(
    "make, field",
    [
        (lambda: RLE((2, 2), [1, 2]), "RLE.counts"),
        (lambda: RLE((2, 2), [1, -1, 4]), "RLE.counts"),
        (lambda: RLE((2,), [4]), "RLE.size"),
        (lambda: RLE.encode(np.zeros((2, 2, 1), bool)), "mask"),
        (lambda: RLE.encode(np.full((2, 2), 2)), "mask"),
        (lambda: RLE.from_coco({"size": [2, 2], "counts": "0:"}), "RLE.counts"),
        (lambda: merge([RLE.encode(np.ones((2, 2), bool)), RLE.encode(np.ones((2, 3), bool))]), "rles[1]"),
        (lambda: merge([]), "rles"),
        (
            lambda: rle_iou([RLE.encode(np.ones((2, 2), bool))], [RLE.encode(np.ones((2, 2), bool))], iscrowd=[0, 1]),
            "iscrowd",
        ),
        (lambda: polygon_to_rle(np.zeros((0, 2)), height=2, width=2), "polygon"),
    ],
)
def test_errors_name_the_field(make, field):
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        make()


def test_degenerate_rings_of_one_and_two_points_match_rleFrPoly():
    # frPyObjects sends every ring through rleFrPoly when the first ring has more than 4 numbers
    rng = np.random.default_rng(5)
    for _ in range(100):
        h, w = (int(v) for v in rng.integers(1, 30, 2))
        lead = rng.uniform(0, max(h, w), (3, 2))
        short = rng.uniform(-2, max(h, w) + 2, (int(rng.integers(1, 3)), 2))
        refs = coco_mask.frPyObjects([lead.ravel().tolist(), short.ravel().tolist()], h, w)
        assert polygon_to_rle(short, height=h, width=w).to_coco()["counts"] == refs[1]["counts"].decode()


def test_coco_sized_polygons_match():
    # COCO-like: a 480 x 640 image, star-shaped outlines of 20 to 120 float vertices
    rng = np.random.default_rng(6)
    for _ in range(30):
        k = int(rng.integers(20, 120))
        angle = np.sort(rng.uniform(0, 2 * np.pi, k))
        radius = rng.uniform(5, 200, k)
        centre = rng.uniform([0, 0], [640, 480])
        ring = centre + np.stack([np.cos(angle), np.sin(angle)], 1) * radius[:, None]
        ref = coco_mask.frPyObjects([ring.ravel().tolist()], 480, 640)[0]
        got = polygon_to_rle(ring, height=480, width=640)
        assert got.to_coco()["counts"] == ref["counts"].decode()
        assert got.area == int(coco_mask.area(ref))
        np.testing.assert_array_equal(got.bbox, coco_mask.toBbox(ref))
