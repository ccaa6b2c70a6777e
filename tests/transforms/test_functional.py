"""Kernels against closed forms and hand-worked examples."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vistakit.transforms import _functional_color as C
from vistakit.transforms import _functional_geometric as G


@pytest.fixture
def img():
    return np.random.default_rng(0).integers(0, 256, (7, 9, 3), dtype=np.uint8)


# ----------------------------------------------------------------------------- matrices


def test_hflip_matrix_maps_edges_and_centres():
    m = G.hflip_matrix(10)
    pts = np.array([[0.0, 3.0], [10.0, 3.0], [0.5, 1.0]])  # left edge, right edge, centre of column 0
    np.testing.assert_allclose(G.transform_points(pts, m), [[10, 3], [0, 3], [9.5, 1]])


@pytest.mark.parametrize("k", [1, 2, 3])
def test_rot90_matrix_matches_numpy_pixel_centres(k):
    h, w = 5, 7
    img = np.arange(h * w).reshape(h, w)
    out = np.rot90(img, k)
    m = G.rot90_matrix(k, h, w)
    for r in range(h):
        for c in range(w):
            x, y = G.transform_points(np.array([c + 0.5, r + 0.5]), m)
            assert out[int(y), int(x)] == img[r, c]


def test_rotation_quarter_turn_is_exact_integer_matrix():
    m = G.rotation(90, (4.0, 3.0))
    assert np.array_equal(m, np.round(m))
    m2 = G.rotation(30)
    np.testing.assert_allclose(
        m2[:2, :2], [[np.cos(np.pi / 6), np.sin(np.pi / 6)], [-np.sin(np.pi / 6), np.cos(np.pi / 6)]]
    )


def test_affine_matrix_fixes_centre_and_composes():
    m = G.affine_matrix(center=(5.0, 4.0), angle=33, scale=1.7, shear_deg=(12, -5))
    np.testing.assert_allclose(G.transform_points(np.array([5.0, 4.0]), m), [5.0, 4.0], atol=1e-12)
    t = G.affine_matrix(center=(5.0, 4.0), translate=(2.0, -1.0))
    np.testing.assert_allclose(G.transform_points(np.array([0.0, 0.0]), t), [2.0, -1.0])


def test_axis_aligned_detection():
    assert G.is_axis_aligned(G.hflip_matrix(4))
    assert G.is_axis_aligned(G.rot90_matrix(1, 3, 4))
    assert G.is_axis_aligned(G.scaling(2, 3) @ G.translation(1, 1))
    assert not G.is_axis_aligned(G.rotation(10))
    persp = np.eye(3)
    persp[2, 0] = 1e-3
    assert not G.is_axis_aligned(persp)


# ----------------------------------------------------------------------------- image warps


def test_warp_affine_with_flip_matrix_is_an_exact_flip(img):
    out = G.warp_affine(img, G.hflip_matrix(img.shape[1]), img.shape[0], img.shape[1], interpolation="nearest")
    assert np.array_equal(out, img[:, ::-1])
    out = G.warp_affine(img, G.hflip_matrix(img.shape[1]), img.shape[0], img.shape[1], interpolation="linear")
    assert np.array_equal(out, img[:, ::-1])


def test_warp_affine_with_translation_shifts_pixels(img):
    out = G.warp_affine(img, G.translation(2, 1), img.shape[0], img.shape[1], interpolation="nearest", fill=7)
    assert np.array_equal(out[1:, 2:], img[:-1, :-2])
    assert (out[0] == 7).all() and (out[:, :2] == 7).all()


def test_rot90_kernel_matches_numpy(img):
    for k in range(4):
        assert np.array_equal(G.rot90(img, k), np.rot90(img, k))
    gray = img[:, :, :1]
    assert G.rot90(gray, 1).shape == (9, 7, 1)


def test_resize_nearest_is_centre_correct():
    a = np.arange(4, dtype=np.uint8).reshape(1, 4, 1)
    out = G.resize(a, 1, 8, interpolation="nearest")
    assert out[0, :, 0].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]


def test_pad_modes():
    a = np.array([[1, 2, 3]], dtype=np.uint8)[:, :, None]
    assert G.pad(a, 0, 0, 2, 0, border_mode="reflect")[0, :, 0].tolist() == [3, 2, 1, 2, 3]
    assert G.pad(a, 0, 0, 2, 0, border_mode="replicate")[0, :, 0].tolist() == [1, 1, 1, 2, 3]
    assert G.pad(a, 0, 0, 2, 0, border_mode="constant", fill=9)[0, :, 0].tolist() == [9, 9, 1, 2, 3]


def test_many_channel_masks_warp_like_single_ones():
    rng = np.random.default_rng(1)
    stack = rng.integers(0, 2, (10, 12, 7), dtype=np.uint8)
    m = G.rotation(20, (6, 5))
    out = G.warp_affine(stack, m, 10, 12, interpolation="nearest")
    for c in range(7):
        one = G.warp_affine(stack[:, :, c : c + 1], m, 10, 12, interpolation="nearest")
        assert np.array_equal(out[:, :, c], one[:, :, 0])


# ----------------------------------------------------------------------------- boxes and masks


def test_transform_boxes_rotation_by_hand():
    # A 2x2 box centred on the rotation centre, turned 45 degrees: its box grows to 2*sqrt(2).
    m = G.rotation(45, (5.0, 5.0))
    out = G.transform_boxes(np.array([[4.0, 4.0, 6.0, 6.0]]), m)
    r = np.sqrt(2)
    np.testing.assert_allclose(out, [[5 - r, 5 - r, 5 + r, 5 + r]])


def test_masks_to_boxes_and_back():
    boxes = np.array([[1, 2, 4, 6], [0, 0, 8, 1]], float)
    masks = G.boxes_to_masks(boxes, 7, 8)
    assert masks.sum(axis=(1, 2)).tolist() == [12, 8]
    np.testing.assert_array_equal(G.masks_to_boxes(masks), boxes)
    empty = np.zeros((1, 3, 3), np.uint8)
    np.testing.assert_array_equal(G.masks_to_boxes(empty), [[0, 0, 0, 0]])


def test_clip_and_areas():
    b = np.array([[-2.0, 1.0, 5.0, 12.0], [3.0, 3.0, 2.0, 4.0]])
    np.testing.assert_array_equal(G.clip_boxes(b, 10, 4), [[0, 1, 4, 10], [3, 3, 2, 4]])
    np.testing.assert_array_equal(G.box_areas(b), [77.0, 0.0])


# ----------------------------------------------------------------------------- colour


def test_brightness_and_contrast_closed_form(img):
    out = C.adjust_brightness(img, 1.3)
    # OpenCV works in float32: a value like 95 * 1.3 = 123.5 may round either way.
    ref = np.clip(np.rint(img.astype(np.float64) * 1.3), 0, 255)
    assert np.abs(out.astype(int) - ref).max() <= 1
    assert (out == ref).mean() > 0.95
    mean = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).mean()
    out = C.adjust_contrast(img, 0.5)
    ref = np.clip(np.rint(img * 0.5 + mean * 0.5), 0, 255)
    assert np.abs(out.astype(int) - ref).max() <= 1
    assert np.array_equal(C.adjust_contrast(img, 1.0), img)


def test_saturation_zero_is_grey_and_hue_keeps_luma(img):
    grey = C.adjust_saturation(img, 0.0)
    assert (np.abs(grey.astype(int) - grey[:, :, :1]).max()) == 0
    ref = np.rint(img.astype(np.float64) @ C.LUMA)
    assert np.abs(grey[:, :, 0] - ref).max() <= 1
    shifted = C.adjust_hue(img, 0.2)
    luma_in = img.astype(np.float64) @ C.LUMA
    luma_out = shifted.astype(np.float64) @ C.LUMA
    unsaturated = (shifted > 0).all(-1) & (shifted < 255).all(-1)
    assert np.abs(luma_in - luma_out)[unsaturated].max() <= 1.0
    np.testing.assert_allclose(C.hue_matrix(1.0), np.eye(3), atol=1e-12)
    np.testing.assert_allclose(C.hue_matrix(0.25) @ C.hue_matrix(-0.25), np.eye(3), atol=1e-12)


def test_point_operations(img):
    np.testing.assert_array_equal(C.invert(img), 255 - img)
    np.testing.assert_array_equal(C.solarize(img, 128), np.where(img >= 128, 255 - img, img))
    np.testing.assert_array_equal(C.posterize(img, 3), img & 0b11100000)
    np.testing.assert_array_equal(C.adjust_gamma(img, 1.0), img)
    np.testing.assert_array_equal(
        C.shift_rgb(img, (10, -300, 0)),
        np.stack([np.clip(img[..., 0].astype(int) + 10, 0, 255), np.zeros_like(img[..., 1]), img[..., 2]], -1),
    )
    g = C.to_grayscale(img)
    assert g.shape == img.shape and (g[..., 0] == g[..., 2]).all()


def test_autocontrast_and_equalize_stretch_to_full_range():
    a = np.linspace(50, 100, 60).astype(np.uint8).reshape(6, 10, 1)
    out = C.autocontrast(a)
    assert out.min() == 0 and out.max() == 255
    eq = C.equalize(a)
    assert eq.max() == 255 and eq.shape == a.shape


def test_normalize_closed_form(img):
    mean, std = (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)
    out = C.normalize(img, mean, std)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, (img / 255.0 - mean) / std, atol=1e-5)
    f = img.astype(np.float32) / 255.0
    np.testing.assert_allclose(C.normalize(f, mean, std, 1.0), (f - mean) / std, atol=1e-5)


def test_gaussian_blur_matches_opencv(img):
    big = np.random.default_rng(2).integers(0, 256, (30, 30, 3), dtype=np.uint8)
    ours = C.gaussian_blur(big, 5, 1.2)
    ref = cv2.GaussianBlur(big, (5, 5), 1.2)
    assert np.abs(ours.astype(int) - ref).max() <= 1


def test_motion_kernel_sums_to_one_and_lies_on_a_line():
    k = C.motion_blur_kernel(7, 0.0)
    assert np.isclose(k.sum(), 1.0)
    assert (k[3] > 0).sum() == 7 and k.sum() == pytest.approx(k[3].sum())
