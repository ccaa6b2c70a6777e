"""Hand-checked examples: targets in sync, dropping, call forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import vistakit.transforms as T
from vistakit.structures import Boxes, Keypoints, Sample
from vistakit.transforms import _functional_geometric as G

from ._helpers import make_sample, rect_masks


def test_crop_drops_outside_boxes_with_labels_masks_ids_and_keypoints():
    s = make_sample(0, height=20, width=20, n=0)
    boxes = np.array([[1, 1, 5, 5], [12, 12, 18, 18], [3, 8, 14, 12]], float)
    s = Sample(
        image=s.image,
        boxes=Boxes(boxes),
        labels=np.array([7, 8, 9]),
        masks=rect_masks(boxes, 20, 20),
        ids=np.array([10, 11, 12]),
        texts=["a", "b", "c"],
        keypoints=Keypoints(boxes.reshape(3, 2, 2) + 0.5),
    )
    out = T.Crop((0, 0, 10, 10))(s)
    assert out.labels.tolist() == [7, 9] and out.ids.tolist() == [10, 12] and out.texts == ["a", "c"]
    np.testing.assert_array_equal(out.boxes.data, [[1, 1, 5, 5], [3, 8, 10, 10]])
    assert out.masks.shape == (2, 10, 10) and out.masks[1].sum() == 7 * 2
    assert out.keypoints.data.shape == (2, 2, 2)
    assert out.keypoints.visible.tolist() == [[True, True], [True, False]]


def test_min_visibility_and_min_area_from_compose():
    img = np.zeros((20, 20, 3), np.uint8)
    boxes = np.array([[0, 0, 10, 10], [8, 0, 18, 4]], float)  # after crop to x<12: 100% and 40% visible
    s = Sample(image=img, boxes=Boxes(boxes), labels=np.array([1, 2]))
    keep_all = T.Compose([T.Crop((0, 0, 12, 20))])(s)
    assert keep_all.labels.tolist() == [1, 2]
    strict = T.Compose([T.Crop((0, 0, 12, 20))], min_visibility=0.5)(s)
    assert strict.labels.tolist() == [1]
    by_area = T.Compose([T.Crop((0, 0, 12, 20))], min_area=20)(s)
    assert by_area.labels.tolist() == [1]  # the second keeps 4 x 4 = 16 px
    # An inner Compose's own setting wins over the outer one.
    nested = T.Compose([T.Compose([T.Crop((0, 0, 12, 20))], min_visibility=0.0)], min_visibility=0.9)(s)
    assert nested.labels.tolist() == [1, 2]


def test_rotation_boxes_come_from_masks_when_present():
    h = w = 40
    boxes = np.array([[10, 18, 30, 22]], float)  # a thin horizontal bar through the centre
    s = Sample(image=np.zeros((h, w, 3), np.uint8), boxes=Boxes(boxes), masks=rect_masks(boxes, h, w))
    out = T.Rotate(limit=(90, 90), p=1.0)(s)  # square image: lossless quarter turn
    np.testing.assert_array_equal(out.boxes.data, [[18, 10, 22, 30]])
    out = T.Rotate(limit=(45, 45), p=1.0)(s)
    np.testing.assert_array_equal(out.boxes.data, G.masks_to_boxes(out.masks))
    corner = G.transform_boxes(boxes, G.rotation(45, (20, 20)))
    assert (out.boxes.data[0, :2] >= corner[0, :2] - 1).all() and (out.boxes.data[0, 2:] <= corner[0, 2:] + 1).all()


def test_rotate_expand_keeps_whole_image():
    img = np.full((10, 20, 3), 255, np.uint8)
    out = T.Rotate(limit=(90, 90), expand=True, p=1.0)(image=img, boxes=np.array([[0, 0, 20, 10.0]]))
    assert out["image"].shape == (20, 10, 3) and (out["image"] == 255).all()
    np.testing.assert_allclose(out["boxes"], [[0, 0, 10, 20]])


def test_letterbox_geometry_by_hand():
    img = np.zeros((50, 100, 3), np.uint8)
    out = T.Letterbox(64)(
        image=img, boxes=np.array([[0.0, 0.0, 100.0, 50.0], [50, 25, 60, 30]]), keypoints=np.array([[10.0, 5.0]])
    )
    assert out["image"].shape == (64, 64, 3)
    # scale 0.64 -> 64 x 32, padded 16 above and below
    np.testing.assert_allclose(out["boxes"], [[0, 16, 64, 48], [32, 32, 38.4, 35.2]])
    np.testing.assert_allclose(out["keypoints"], [[6.4, 19.2]])
    assert (out["image"][:16] == 114).all() and (out["image"][16:48] == 0).all()


def test_pad_reflect_pads_image_but_not_instances():
    img = np.arange(16, dtype=np.uint8).reshape(4, 4, 1)
    boxes = np.array([[0, 0, 2, 2]], float)
    sem = np.arange(16).reshape(4, 4)
    out = T.Pad(2, border_mode="reflect")(image=img, boxes=boxes, masks=rect_masks(boxes, 4, 4), mask=sem)
    assert out["image"][0, 0, 0] == img[2, 2, 0]
    assert out["masks"].sum() == 4 and out["masks"][0, 2:4, 2:4].all()
    assert out["mask"][0, 0] == sem[2, 2]  # the semantic mask follows the mirrored pixels
    np.testing.assert_array_equal(out["boxes"], [[2, 2, 4, 4]])


def test_random_resized_crop_moves_boxes_with_the_crop():
    s = make_sample(1, height=30, width=40, n=4)
    out, params = T.RandomResizedCrop((16, 20), scale=(0.3, 0.6))(s, return_params=True)
    x0, y0, x1, y1 = params["params"]["crop"]
    m = G.scaling(20 / (x1 - x0), 16 / (y1 - y0)) @ G.translation(-x0, -y0)
    ref = G.clip_boxes(G.transform_boxes(s.boxes.data, m), 16, 20)
    keep = G.box_areas(ref) > 0
    np.testing.assert_allclose(out.boxes.data, ref[keep])
    assert out.image.shape == (16, 20, 3) and out.masks.shape[1:] == (16, 20)


def test_grid_distortion_boxes_are_exact_for_rectangles():
    s = make_sample(2, height=30, width=30, n=3, keypoints=False, mask=False)
    op = T.GridDistortion(distort_limit=0.4, p=1.0)
    with_masks, params = op(s, return_params=True)
    without = op.replay(params, Sample(image=s.image, boxes=s.boxes))
    # separable, monotonic: the exact box map and the distorted masks agree to a pixel
    np.testing.assert_allclose(without.boxes.data, with_masks.boxes.data, atol=1.0)


def test_elastic_keypoints_follow_the_field():
    h = w = 40
    masks = np.zeros((1, h, w), np.uint8)
    masks[0, 19:22, 19:22] = 1  # a 3x3 block centred on the keypoint
    s = Sample(image=np.zeros((h, w, 1), np.uint8), masks=masks, keypoints=Keypoints(np.array([[[20.5, 20.5]]])))
    for seed in range(5):
        out = T.Compose([T.ElasticTransform(alpha=60, sigma=6, p=1.0)], seed=seed)(s)
        ys, xs = np.nonzero(out.masks[0])
        assert len(xs) > 0
        kp = out.keypoints.data[0, 0]
        assert np.hypot(xs.mean() + 0.5 - kp[0], ys.mean() + 0.5 - kp[1]) <= 1.0


def test_tensor_chw_in_tensor_chw_out():
    img = torch.randint(0, 256, (3, 12, 16), dtype=torch.uint8)
    s = Sample(
        image=img, boxes=Boxes(torch.tensor([[0.1, 0.2, 0.5, 0.6]]), "xyxy", normalized=True), labels=torch.tensor([3])
    )
    out = T.HorizontalFlip(p=1.0)(s)
    assert isinstance(out.image, torch.Tensor) and out.image.shape == (3, 12, 16)
    assert torch.equal(out.image, img.flip(-1))
    assert isinstance(out.boxes.data, torch.Tensor) and out.boxes.normalized
    torch.testing.assert_close(out.boxes.data, torch.tensor([[0.5, 0.2, 0.9, 0.6]]))
    assert isinstance(out.labels, torch.Tensor)
    # Normalize at the end gives a float32 CHW tensor; ToTensor too.
    norm = T.Compose([T.HorizontalFlip(p=1.0), T.Normalize()])(s)
    assert norm.image.dtype == torch.float32 and norm.image.shape == (3, 12, 16)
    tt = T.ToTensor()(image=img.permute(1, 2, 0).numpy())["image"]
    assert tt.shape == (3, 12, 16) and float(tt.max()) <= 1.0


def test_keyword_form_returns_the_same_keys_and_formats():
    img = np.zeros((10, 20, 3), np.uint8)
    out = T.HorizontalFlip(p=1.0)(
        image=img, boxes=[[0.2, 0.3, 0.2, 0.4]], labels=[5], box_format="yolo", keypoints=np.array([[[2.0, 3.0, 1.0]]])
    )
    assert set(out) == {"image", "boxes", "labels", "keypoints"}
    np.testing.assert_allclose(out["boxes"], [[0.8, 0.3, 0.2, 0.4]])
    assert out["labels"] == [5]
    np.testing.assert_allclose(out["keypoints"], [[[18.0, 3.0, 1.0]]])
    gray = T.HorizontalFlip(p=1.0)(np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert gray.shape == (2, 3) and gray[0].tolist() == [2, 1, 0]


def test_bool_and_int64_masks_keep_their_dtype():
    s = make_sample(3, n=2)
    s = s.replace(masks=s.masks.astype(bool), mask=s.mask.astype(np.int64) + 2**40)
    out = T.Rotate(limit=30, p=1.0)(s)
    assert out.masks.dtype == bool and out.mask.dtype == np.int64
    assert set(np.unique(out.mask)) <= set(np.unique(s.mask)) | {0}


def test_probability_zero_and_one():
    s = make_sample(4)
    assert T.HorizontalFlip(p=0.0)(s).image is s.image
    flips = [np.array_equal(T.Compose([T.HorizontalFlip(p=0.5)], seed=i)(s).image, s.image) for i in range(40)]
    assert 5 < sum(flips) < 35


@pytest.mark.parametrize("cls", [T.OneOf, T.SomeOf, T.RandomOrder])
def test_composites_apply_and_replay(cls):
    s = make_sample(5)
    ops = [T.HorizontalFlip(p=0.6), T.VerticalFlip(p=0.6), T.ColorJitter(p=1.0)]
    t = T.Compose([cls(ops)], seed=3)
    out, params = t(s, return_params=True)
    again = T.replay(params, s)
    assert np.array_equal(out.image, again.image)
    np.testing.assert_array_equal(out.boxes.data, again.boxes.data)


def test_one_of_applies_exactly_one():
    img = np.zeros((4, 4, 3), np.uint8)
    t = T.Compose([T.OneOf([T.Invert(p=1.0), T.Solarize(threshold=0, p=1.0)])], seed=0)
    for _ in range(10):
        out = t(image=img)["image"]
        assert (out == 255).all()  # either op turns black into white; both would turn it back
