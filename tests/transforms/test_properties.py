"""Property tests over random images, boxes and masks (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vistakit.transforms as T
from vistakit.structures import Boxes, Keypoints, Sample
from vistakit.transforms import _functional_geometric as G

from ._helpers import random_boxes, rect_masks

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def samples(draw, *, integer_boxes: bool = False, channels=(1, 3)):
    h = draw(st.integers(6, 40))
    w = draw(st.integers(6, 40))
    c = draw(st.sampled_from(channels))
    n = draw(st.integers(0, 4))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (h, w, c), dtype=np.uint8)
    boxes = random_boxes(rng, n, h, w, integer=integer_boxes) if n else np.zeros((0, 4))
    masks = rect_masks(np.floor(boxes), h, w) if n else np.zeros((0, h, w), np.uint8)
    sem = rng.integers(0, 4, (h, w)).astype(np.int32) * 3  # values {0, 3, 6, 9}
    pts = rng.uniform(0, 1, (n, 3, 2)) * [w, h]
    return Sample(
        image=image,
        boxes=Boxes(boxes),
        labels=np.arange(n),
        masks=masks,
        mask=sem,
        keypoints=Keypoints(pts),
    )


def _assert_same(a: Sample, b: Sample):
    assert np.array_equal(a.image, b.image)
    np.testing.assert_allclose(np.asarray(a.boxes.data), np.asarray(b.boxes.data), atol=1e-9)
    assert np.array_equal(a.masks, b.masks)
    assert np.array_equal(a.mask, b.mask)
    np.testing.assert_allclose(np.asarray(a.keypoints.data), np.asarray(b.keypoints.data), atol=1e-9)
    assert np.array_equal(a.labels, b.labels)


# ----------------------------------------------------------------------------- exact, invertible ops


@SETTINGS
@given(samples())
def test_flips_are_exact_and_involutions(s):
    h, w = s.image.shape[:2]
    hf = T.HorizontalFlip(p=1.0)(s)
    assert np.array_equal(hf.image, s.image[:, ::-1])
    assert np.array_equal(hf.masks, s.masks[:, :, ::-1])
    assert np.array_equal(hf.mask, s.mask[:, ::-1])
    b = s.boxes.data
    np.testing.assert_allclose(hf.boxes.data, np.stack([w - b[:, 2], b[:, 1], w - b[:, 0], b[:, 3]], 1))
    np.testing.assert_allclose(hf.keypoints.data[..., 0], w - s.keypoints.data[..., 0])
    _assert_same(T.HorizontalFlip(p=1.0)(hf), s)
    vf = T.VerticalFlip(p=1.0)(s)
    assert np.array_equal(vf.image, s.image[::-1])
    np.testing.assert_allclose(vf.boxes.data[:, [1, 3]], h - b[:, [3, 1]])
    _assert_same(T.VerticalFlip(p=1.0)(vf), s)


@SETTINGS
@given(samples(), st.integers(1, 3))
def test_quarter_turns_are_exact_and_invertible(s, k):
    r = T.RandomRotate90(turns=[k], p=1.0)(s)
    assert np.array_equal(r.image, np.rot90(s.image, k))
    assert np.array_equal(r.masks, np.rot90(s.masks, k, axes=(1, 2)))
    assert np.array_equal(r.mask, np.rot90(s.mask, k))
    # boxes by hand: a quarter turn maps (x1, y1, x2, y2) to (y1, W - x2, y2, W - x1)
    h, w = s.image.shape[:2]
    b = s.boxes.data
    for _ in range(k):
        b = np.stack([b[:, 1], w - b[:, 2], b[:, 3], w - b[:, 0]], 1)
        h, w = w, h
    np.testing.assert_allclose(r.boxes.data, b, atol=1e-9)
    back = T.RandomRotate90(turns=[4 - k], p=1.0)(r)
    _assert_same(back, s)
    # Rotate by a multiple of 90 degrees on a square image uses the same lossless kernel.
    sq = s.image[: min(s.image.shape[:2]), : min(s.image.shape[:2])]
    out = T.Rotate(limit=(90.0 * k, 90.0 * k), p=1.0)(image=sq)["image"]
    assert np.array_equal(out, np.rot90(sq, k))


# ----------------------------------------------------------------------------- boxes agree with masks


@SETTINGS
@given(
    st.integers(0, 2**31 - 1),
    st.floats(-180, 180),
    st.floats(0.8, 1.25),
    st.floats(-15, 15),
    st.floats(-0.15, 0.15),
)
def test_affine_boxes_agree_with_boxes_of_the_transformed_masks(seed, angle, scale, shear, shift):
    rng = np.random.default_rng(seed)
    h, w = 48, 56
    boxes = random_boxes(rng, 3, h, w)
    masks = rect_masks(boxes, h, w)
    s = Sample(image=np.zeros((h, w, 3), np.uint8), boxes=Boxes(boxes), labels=np.arange(3))
    op = T.Affine(rotate=(angle, angle), scale=(scale, scale), shear=(shear, shear), translate=(shift, shift), p=1.0)
    corners, params = op(s, return_params=True)  # no masks: boxes from the transformed corners
    with_masks = op.replay(params, Sample(image=s.image, boxes=Boxes(boxes), labels=np.arange(3), masks=masks))
    matrix, _, _ = op.geometry(params["params"], h, w)
    unclipped = G.transform_boxes(boxes, matrix)
    inside = (unclipped[:, 0] >= 0) & (unclipped[:, 1] >= 0) & (unclipped[:, 2] <= w) & (unclipped[:, 3] <= h)
    # Objects that stay in the frame: both ways keep them, and the mask-derived box lies
    # within about a pixel of the corner box (nearest sampling moves mask edges by < 1 px).
    for lab in np.flatnonzero(inside):
        assert lab in corners.labels and lab in with_masks.labels
        a = corners.boxes.data[list(corners.labels).index(lab)]
        b = with_masks.boxes.data[list(with_masks.labels).index(lab)]
        assert np.abs(a - b).max() <= 1.5 * max(scale, 1.0) + 0.5, (a, b)
        # the corner box of a rotated rectangle encloses its mask
        assert b[0] >= a[0] - 1.0 and b[1] >= a[1] - 1.0 and b[2] <= a[2] + 1.0 and b[3] <= a[3] + 1.0
    # Clipped objects: the mask-derived box is the tighter one (it follows the visible part).
    for lab in np.intersect1d(corners.labels, with_masks.labels):
        a = corners.boxes.data[list(corners.labels).index(lab)]
        b = with_masks.boxes.data[list(with_masks.labels).index(lab)]
        assert b[0] >= a[0] - 1.0 and b[1] >= a[1] - 1.0 and b[2] <= a[2] + 1.0 and b[3] <= a[3] + 1.0
    # with masks, boxes after a rotation or shear are exactly the masks' tight boxes
    if not G.is_axis_aligned(matrix):
        np.testing.assert_allclose(with_masks.boxes.data, G.masks_to_boxes(with_masks.masks))


# ----------------------------------------------------------------------------- mask values, dtype, channels


def _geometric_ops():
    return [
        T.HorizontalFlip(p=1.0),
        T.VerticalFlip(p=1.0),
        T.RandomRotate90(p=1.0),
        T.Rotate(limit=180, p=1.0),
        T.Rotate(limit=45, border_mode="reflect", p=1.0),
        T.Affine(scale=(0.7, 1.3), rotate=30, shear=10, translate=0.2, p=1.0),
        T.Perspective(scale=(0.05, 0.2), p=1.0),
        T.ElasticTransform(alpha=20, sigma=3, p=1.0),
        T.GridDistortion(p=1.0),
        T.Resize((13, 21), interpolation="cubic"),
        T.SmallestMaxSize(17),
        T.LongestMaxSize(15),
        T.RandomResizedCrop(11),
        T.CenterCrop(5),
        T.RandomCrop(5),
        T.Crop((-2, -2, 7, 5)),
        T.Pad(3, border_mode="reflect"),
        T.PadIfNeeded(50),
        T.Letterbox((20, 30)),
        T.RandAugment(num_ops=3, magnitude=20),
        T.TrivialAugmentWide(),
        T.AutoAugment(),
        T.CoarseDropout(fill_mask=9, p=1.0),
        T.RandomErasing(fill_mask=0, p=1.0),
    ]


@SETTINGS
@given(samples(), st.integers(0, 10**6))
def test_no_transform_changes_the_set_of_mask_values(s, seed):
    values = set(np.unique(s.mask).tolist()) | {0, 9}  # fill values used above
    for op in _geometric_ops():
        out = T.Compose([op], seed=seed)(s)
        got = set(np.unique(out.mask).tolist())
        assert got <= values, (type(op).__name__, got - values)
        assert set(np.unique(out.masks).tolist()) <= {0, 1}, type(op).__name__
        assert out.mask.dtype == s.mask.dtype and out.masks.dtype == s.masks.dtype


def _pixel_ops():
    reg = T.registered_transforms()
    skip = {
        "Compose",
        "OneOf",
        "SomeOf",
        "RandomOrder",
        "Normalize",
        "ToTensor",
        "MixUp",
        "CutMix",
        "Mosaic",
        "CopyPaste",
    }
    out = []
    for name, cls in reg.items():
        if name in skip or name.startswith("_"):
            continue
        required = {
            "Resize": (9, 11),
            "RandomResizedCrop": 9,
            "CenterCrop": 4,
            "RandomCrop": 4,
            "Crop": (1, 1, 5, 5),
            "Pad": 2,
            "PadIfNeeded": 12,
            "Letterbox": 10,
            "SmallestMaxSize": 8,
            "LongestMaxSize": 8,
        }
        op = cls(required[name]) if name in required else cls()
        op.p = 1.0
        out.append(op)
    return out


def test_every_registered_transform_is_covered():
    names = {type(o).__name__ for o in _pixel_ops()}
    assert {"ColorJitter", "GaussianBlur", "ElasticTransform", "CLAHE", "JPEGCompression", "RandAugment"} <= names
    assert len(names) >= 45


@SETTINGS
@given(samples(channels=(1, 3)), st.integers(0, 10**6))
def test_every_output_image_keeps_dtype_and_channel_count(s, seed):
    for op in _pixel_ops():
        out = T.Compose([op], seed=seed)(s)
        assert out.image.dtype == np.uint8, type(op).__name__
        assert out.image.ndim == 3 and out.image.shape[2] == s.image.shape[2], type(op).__name__
        # targets stay aligned with each other
        n = len(out.boxes)
        assert len(out.labels) == n and out.masks.shape[0] == n and len(out.keypoints) == n, type(op).__name__
        assert out.masks.shape[1:] == out.image.shape[:2] and out.mask.shape == out.image.shape[:2]
        b = out.boxes.data
        if n:
            hh, ww = out.image.shape[:2]
            assert (b[:, 0] >= 0).all() and (b[:, 2] <= ww).all() and (b[:, 1] >= 0).all() and (b[:, 3] <= hh).all()
            assert (b[:, 2] >= b[:, 0]).all() and (b[:, 3] >= b[:, 1]).all()


@SETTINGS
@given(samples(), st.integers(0, 10**6))
def test_keypoints_leaving_the_frame_become_invisible_not_deleted(s, seed):
    op = T.Affine(translate=(0.6, 0.6), p=1.0)
    out = T.Compose([op])(Sample(image=s.image, keypoints=s.keypoints))
    assert out.keypoints.data.shape == s.keypoints.data.shape
    h, w = out.image.shape[:2]
    x, y = out.keypoints.data[..., 0], out.keypoints.data[..., 1]
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    assert np.array_equal(out.keypoints.visible, inside)


@pytest.mark.parametrize("fmt", ["xyxy", "xywh", "cxcywh"])
@pytest.mark.parametrize("normalized", [False, True])
def test_box_formats_round_trip_through_a_flip(fmt, normalized):
    rng = np.random.default_rng(3)
    b = random_boxes(rng, 4, 20, 30)
    boxes = Boxes(b).to(fmt)
    if normalized:
        boxes = boxes.to_normalized(width=30, height=20)
    s = Sample(image=np.zeros((20, 30, 3), np.uint8), boxes=boxes)
    twice = T.HorizontalFlip(p=1.0)(T.HorizontalFlip(p=1.0)(s))
    assert twice.boxes.format == boxes.format and twice.boxes.normalized == normalized
    np.testing.assert_allclose(twice.boxes.data, boxes.data, atol=1e-12)
