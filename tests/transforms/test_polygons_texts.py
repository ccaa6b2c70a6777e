"""Polygons and text instances move with the image through every geometric transform."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vistakit.transforms as T
from vistakit.structures import Boxes, Keypoints, Polygons, Sample, TextInstance
from vistakit.transforms import _functional_geometric as G

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TRI = np.array([[2.0, 3.0], [9.0, 3.0], [9.0, 8.0]])
QUAD = np.array([[2.0, 3.0], [9.0, 3.0], [9.0, 8.0], [2.0, 8.0]])


def _sample(h=20, w=30, *, boxes=True):
    image = np.zeros((h, w, 3), np.uint8)
    return Sample(
        image=image,
        boxes=Boxes(np.array([[2.0, 3.0, 9.0, 8.0]])) if boxes else None,
        labels=np.array([1]) if boxes else None,
        polygons=[Polygons((TRI,))],
        text_instances=[TextInstance(QUAD, "abc", "Latin")],
    )


# ----------------------------------------------------------------------------- closed forms


def test_horizontal_flip_mirrors_polygons_and_quads():
    out = T.HorizontalFlip(p=1.0)(_sample())
    np.testing.assert_array_equal(out.polygons[0].rings[0], [[28, 3], [21, 3], [21, 8]])  # x -> 30 - x
    np.testing.assert_array_equal(out.text_instances[0].points, [[28, 3], [21, 3], [21, 8], [28, 8]])
    assert out.text_instances[0].transcription == "abc" and out.text_instances[0].language == "Latin"
    np.testing.assert_array_equal(out.boxes.data, [[21, 3, 28, 8]])


def test_quarter_turn_moves_points_like_np_rot90():
    s = _sample()
    out = T.RandomRotate90(turns=[1], p=1.0)(s)  # counter-clockwise: x' = y, y' = W - x
    assert out.image.shape[:2] == (30, 20)
    np.testing.assert_array_equal(out.polygons[0].rings[0], [[3, 28], [3, 21], [8, 21]])
    np.testing.assert_array_equal(out.text_instances[0].points, [[3, 28], [3, 21], [8, 21], [8, 28]])
    # the rasterised polygon turns like the image
    before = s.polygons[0].to_mask(height=20, width=30)
    after = out.polygons[0].to_mask(height=30, width=20)
    assert np.array_equal(after, np.rot90(before, 1))


def test_resize_scales_and_crop_translates_and_clips():
    out = T.Resize((40, 60))(_sample())
    np.testing.assert_array_equal(out.polygons[0].rings[0], TRI * 2)
    np.testing.assert_array_equal(out.text_instances[0].points, QUAD * 2)
    out = T.Crop((5, 0, 30, 20))(_sample())
    # the edge (9, 8) -> (2, 3) crosses x = 5 at y = 3 + 5 * 3 / 7: the clipped ring starts there
    np.testing.assert_allclose(out.polygons[0].rings[0], [[0, 3 + 5 * 3 / 7], [0, 3], [4, 3], [4, 8]], atol=1e-12)
    # text quads keep their four points (reading order), even outside the frame
    np.testing.assert_array_equal(out.text_instances[0].points, QUAD - [5, 0])
    np.testing.assert_array_equal(out.boxes.data, [[0, 3, 4, 8]])


def test_rotation_gives_boxes_from_the_clipped_polygon():
    s = _sample(boxes=True)
    s = s.replace(polygons=[Polygons((QUAD,))])
    out = T.Rotate(limit=(45, 45), p=1.0)(s)
    ring = out.polygons[0].rings[0]
    np.testing.assert_allclose(out.boxes.data[0], [*ring.min(axis=0), *ring.max(axis=0)])
    # tighter than (or equal to) the rotated corners' box, which is what boxes give without polygons
    plain = T.Rotate(limit=(45, 45), p=1.0)(s.replace(polygons=None))
    np.testing.assert_allclose(plain.boxes.data, out.boxes.data)  # a rectangle: the same box


def test_instances_leaving_the_image_are_dropped_everywhere():
    for boxes in (True, False):
        out = T.Crop((15, 0, 30, 20))(_sample(boxes=boxes))
        assert out.polygons == [] and out.text_instances == []
        if boxes:
            assert len(out.boxes) == 0 and len(out.labels) == 0


def test_min_visibility_uses_polygon_area_without_boxes():
    # the crop cuts the triangle's corner off: (35/2 - 3 * (15/7) / 2) / (35/2) of its area is left
    s = _sample(boxes=False).replace(text_instances=None)
    kept = T.Crop((5, 0, 30, 20))(s)
    frac = kept.polygons[0].shoelace_area() / s.polygons[0].shoelace_area()
    assert frac == pytest.approx((35 / 2 - 3 * (15 / 7) / 2) / (35 / 2))
    keep = T.Compose([T.Crop((5, 0, 30, 20))], min_visibility=frac - 1e-6)(s)
    drop = T.Compose([T.Crop((5, 0, 30, 20))], min_visibility=frac + 1e-6)(s)
    assert len(keep.polygons) == 1 and drop.polygons == []


def test_keyword_form_and_errors():
    img = np.zeros((10, 10, 3), np.uint8)
    out = T.HorizontalFlip(p=1.0)(image=img, polygons=[Polygons((TRI,))])
    np.testing.assert_array_equal(out["polygons"][0].rings[0], [[8, 3], [1, 3], [1, 8]])
    with pytest.raises(ValueError, match=r"polygons\[0\]"):
        T.HorizontalFlip(p=1.0)(image=img, polygons=[TRI])
    with pytest.raises(ValueError, match="polygons"):
        T.HorizontalFlip(p=1.0)(image=img, boxes=np.zeros((2, 4)), polygons=[Polygons((TRI,))])
    with pytest.raises(ValueError, match="text_instances"):
        T.HorizontalFlip(p=1.0)(image=img, boxes=np.zeros((0, 4)), text_instances=[TextInstance(QUAD)])


# ----------------------------------------------------------------------------- properties

GEOMETRIC = [
    T.HorizontalFlip(p=1.0),
    T.VerticalFlip(p=1.0),
    T.RandomRotate90(p=1.0),
    T.Rotate(limit=40, p=1.0),
    T.Affine(scale=(0.8, 1.2), translate=(-0.1, 0.1), rotate=(-20, 20), shear=(-10, 10), p=1.0),
    T.Perspective(scale=(0.05, 0.15), p=1.0),
    T.Resize((17, 23)),
    T.RandomResizedCrop((16, 16)),
    T.RandomCrop((12, 12)),
    T.CenterCrop((12, 14)),
    T.Pad((3, 1)),
    T.Letterbox((32, 32)),
    T.ElasticTransform(alpha=8.0, sigma=3.0, p=1.0),
    T.GridDistortion(p=1.0),
]


@st.composite
def outline_samples(draw):
    # at least the largest fixed crop of GEOMETRIC (CenterCrop 12 x 14): no crop needs padding
    h = draw(st.integers(12, 40))
    w = draw(st.integers(14, 40))
    n = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    pts = rng.uniform(0, 1, (n, 4, 2)) * [w, h]
    return Sample(
        image=rng.integers(0, 256, (h, w, 3), dtype=np.uint8),
        keypoints=Keypoints(pts),
        polygons=[Polygons((p,)) for p in pts],
        text_instances=[TextInstance(p, f"t{i}") for i, p in enumerate(pts)],
    )


@SETTINGS
@given(outline_samples(), st.sampled_from(GEOMETRIC), st.integers(0, 2**31 - 1))
def test_outlines_move_exactly_like_keypoints(s, t, seed):
    # the same points as keypoints alone (never dropped: no boxes) under the same replayed parameters:
    # texts carry the keypoints' exact coordinates, polygons are those coordinates clipped to the
    # image, and an instance is dropped exactly when nothing of its polygon is left inside
    ref = T.Compose([t], seed=seed)(Sample(image=s.image, keypoints=s.keypoints))
    out = T.Compose([t], seed=seed)(s.replace(keypoints=None))
    h, w = out.image.shape[:2]
    kp = ref.keypoints.data
    survivors = [int(ti.transcription[1:]) for ti in out.text_instances]
    assert len(out.polygons) == len(survivors) and survivors == sorted(survivors)
    for i in range(len(s.polygons)):
        left = G.clip_polygon(kp[i], h, w)
        inside = len(left) >= 3 and Polygons((left,)).shoelace_area() > 0
        assert (i in survivors) == inside
        if inside:
            j = survivors.index(i)
            np.testing.assert_array_equal(out.text_instances[j].points, kp[i])
            np.testing.assert_array_equal(out.polygons[j].rings[0], left)


@st.composite
def rectangle_samples(draw):
    h = draw(st.integers(6, 30))
    w = draw(st.integers(6, 30))
    n = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    x0, y0 = rng.integers(0, w - 1, n), rng.integers(0, h - 1, n)
    x1 = np.array([rng.integers(a + 1, w + 1) for a in x0])
    y1 = np.array([rng.integers(a + 1, h + 1) for a in y0])
    boxes = np.stack([x0, y0, x1, y1], 1).astype(np.float64)
    masks = np.zeros((n, h, w), np.uint8)
    polys = []
    for i, (a, b, c, d) in enumerate(boxes.astype(int)):
        masks[i, b:d, a:c] = 1
        polys.append(Polygons((np.array([[a, b], [c, b], [c, d], [a, d]], float),)))
    return Sample(image=np.zeros((h, w, 1), np.uint8), boxes=Boxes(boxes), masks=masks, polygons=polys)


@SETTINGS
@given(
    rectangle_samples(),
    st.sampled_from(
        [T.HorizontalFlip(p=1.0), T.VerticalFlip(p=1.0), T.RandomRotate90(p=1.0), T.Pad((2, 3)), T.RandomCrop((5, 5))]
    ),
    st.integers(0, 2**31 - 1),
)
def test_rasterised_polygons_follow_the_masks_exactly(s, t, seed):
    # integer rectangles rasterise (COCO's way) onto exactly their pixels, so after a lossless
    # transform the moved polygon's mask is the moved instance mask, pixel for pixel
    for poly, m in zip(s.polygons, s.masks):
        assert np.array_equal(poly.to_mask(height=s.image.shape[0], width=s.image.shape[1]), m.astype(bool))
    out = T.Compose([t], seed=seed)(s)
    h, w = out.image.shape[:2]
    assert len(out.polygons) == len(out.masks) == len(out.boxes)
    for poly, m, box in zip(out.polygons, out.masks, out.boxes.data):
        assert np.array_equal(poly.to_mask(height=h, width=w), m.astype(bool))
        np.testing.assert_array_equal(poly.bbox, box)


@SETTINGS
@given(outline_samples(), st.sampled_from(GEOMETRIC), st.integers(0, 2**31 - 1))
def test_replay_moves_outlines_identically(s, t, seed):
    a = T.Compose([t], seed=seed)(s)
    b = T.Compose([t], seed=seed)(s)
    assert a.polygons == b.polygons and a.text_instances == b.text_instances


def test_mosaic_carries_polygons_and_texts_with_their_instances():
    samples = []
    for i in range(4):
        boxes = np.array([[2.0, 2.0, 12.0, 10.0], [14.0, 4.0, 30.0, 20.0]])
        polys = [Polygons((np.array([[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]]]),)) for b in boxes]
        texts = [TextInstance(p.rings[0], f"{i}-{j}") for j, p in enumerate(polys)]
        samples.append(
            Sample(
                image=np.full((24, 32, 3), 10 * i, np.uint8),
                boxes=Boxes(boxes),
                labels=np.array([i, i]),
                polygons=polys,
                text_instances=texts,
            )
        )
    op = T.Compose([T.Mosaic(40, center_range=(0.5, 0.5), p=1.0)], seed=0)
    out = op(samples[0].replace(meta={"mix_samples": samples[1:]}))
    n = len(out.boxes)
    assert n > 0 and len(out.polygons) == len(out.text_instances) == len(out.labels) == n
    for box, poly, text, label in zip(out.boxes.data, out.polygons, out.text_instances, out.labels):
        # a rectangle under a crop-and-resize: its clipped polygon's box is the clipped box
        np.testing.assert_allclose(poly.bbox, box, atol=1e-9)
        assert text.transcription.startswith(f"{label}-")


def test_structures_transform_agrees_with_the_transform_kernel():
    rng = np.random.default_rng(0)
    for _ in range(20):
        m = np.eye(3) + rng.normal(0, 0.1, (3, 3))
        m[2, 2] = 1.0
        pts = rng.uniform(0, 50, (7, 2))
        np.testing.assert_allclose(
            Polygons((pts,)).transform(m).rings[0], G.transform_points(pts, m), rtol=1e-12, atol=1e-9
        )
        np.testing.assert_allclose(
            TextInstance(pts).transform(m).points, G.transform_points(pts, m), rtol=1e-12, atol=1e-9
        )


def test_captions_pass_through_untouched():
    from vistakit.structures import Caption

    caps = [Caption("a red box", 1)]
    out = T.Compose([T.HorizontalFlip(p=1.0), T.Resize((10, 15))], seed=0)(_sample().replace(captions=caps))
    assert out.captions == caps
    with pytest.raises(ValueError, match=r"captions\[0\]"):
        T.HorizontalFlip(p=1.0)(image=np.zeros((4, 4, 3), np.uint8), captions=["a string, not a Caption"])
