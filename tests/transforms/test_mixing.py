"""Object-level and mixing transforms: soft targets in the right proportions, instances in sync."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import vistakit.transforms as T
from vistakit.structures import Boxes, Keypoints, Sample
from vistakit.transforms import _functional_geometric as G

from ._helpers import make_sample, rect_masks


def _flat(value, h=16, w=20, c=3, label=None):
    return Sample(image=np.full((h, w, c), value, np.uint8), label=label)


def test_mixup_label_proportions_match_pixel_weights():
    a, b = _flat(0, label=1), _flat(200, label=3)
    op = T.Compose([T.MixUp(alpha=0.5, num_classes=5, p=1.0)], seed=0)
    for _ in range(5):
        out, params = op(a.replace(meta={"mix_samples": [b]}), return_params=True)
        lam = params["children"][0]["params"]["lam"]
        assert np.allclose(out.image, np.rint(200 * (1 - lam)), atol=1)
        np.testing.assert_allclose(out.label, [0, lam, 0, 1 - lam, 0], atol=1e-6)
        assert out.label.dtype == np.float32 and out.label.sum() == pytest.approx(1.0)


def test_cutmix_label_is_exactly_the_pasted_fraction():
    a, b = _flat(0, label=0), _flat(255, label=2)
    op = T.Compose([T.CutMix(alpha=1.0, num_classes=3, p=1.0)], seed=1)
    for _ in range(8):
        out = op(a.replace(meta={"mix_samples": [b]}))
        pasted = (out.image[:, :, 0] == 255).mean()
        np.testing.assert_allclose(out.label, [1 - pasted, 0, pasted], atol=1e-6)


def test_mix_from_a_dataset_source_and_soft_labels_in():
    data = [(torch.full((3, 16, 20), 100, dtype=torch.uint8), 1), (torch.full((3, 8, 10), 50, dtype=torch.uint8), 2)]
    op = T.Compose([T.MixUp(num_classes=4, source=data, p=1.0)], seed=0)
    out = op(Sample(image=torch.zeros(3, 16, 20, dtype=torch.uint8), label=np.array([0.5, 0.5, 0, 0], np.float32)))
    assert isinstance(out.image, torch.Tensor) and isinstance(out.label, torch.Tensor)
    assert out.label.shape == (4,) and float(out.label.sum()) == pytest.approx(1.0)
    assert "source" not in op.transforms[0].to_dict()


def test_mixup_with_boxes_keeps_both_sets_of_instances():
    a, b = make_sample(0, n=2), make_sample(1, n=3)
    out = T.MixUp(p=1.0, num_classes=10)(a.replace(meta={"mix_samples": [b]}))
    assert len(out.boxes) == 5 and len(out.labels) == 5 and out.masks.shape[0] == 5 and len(out.keypoints) == 5
    np.testing.assert_array_equal(out.boxes.data[:2], a.boxes.data)


def test_cutmix_instances_are_cut_to_the_rectangle():
    h = w = 20
    a = Sample(
        image=np.zeros((h, w, 3), np.uint8),
        boxes=Boxes(np.array([[0.0, 0.0, 20.0, 20.0]])),
        labels=np.array([1]),
        masks=np.ones((1, h, w), np.uint8),
    )
    b = Sample(
        image=np.full((h, w, 3), 255, np.uint8),
        boxes=Boxes(np.array([[0.0, 0.0, 20.0, 20.0]])),
        labels=np.array([2]),
        masks=np.ones((1, h, w), np.uint8),
    )
    out, params = T.Compose([T.CutMix(p=1.0)], seed=3)(a.replace(meta={"mix_samples": [b]}), return_params=True)
    x0, y0, x1, y1 = params["children"][0]["params"]["box"]
    assert out.labels.tolist() == [1, 2]
    np.testing.assert_array_equal(out.boxes.data[1], [x0, y0, x1, y1])
    assert out.masks[0].sum() == h * w - (x1 - x0) * (y1 - y0)
    np.testing.assert_array_equal(out.masks[1], out.image[:, :, 0] == 255)


def test_mosaic_tiles_and_targets():
    samples = [make_sample(i, height=24, width=32, n=2) for i in range(4)]
    for s, v in zip(samples, (10, 20, 30, 40)):
        s.image[:] = v
    op = T.Compose([T.Mosaic(40, center_range=(0.5, 0.5), p=1.0)], seed=0)
    out = op(samples[0].replace(meta={"mix_samples": samples[1:]}))
    assert out.image.shape == (40, 40, 3)
    q = out.image[:, :, 0]
    assert set(np.unique(q[:20, :20])) == {10}
    assert set(np.unique(q[20:, 20:])) <= {10, 20, 30, 40}
    n = len(out.boxes)
    assert len(out.labels) == n and out.masks.shape == (n, 40, 40) and len(out.keypoints) == n
    # every box lies within the tile of its image, and equals the box of its (axis-aligned) mask up to rounding
    np.testing.assert_allclose(out.boxes.data, G.masks_to_boxes(out.masks), atol=1.01)
    assert out.mask.shape == (40, 40)


def test_copy_paste_occludes_and_adds_instances():
    h = w = 20
    a_boxes = np.array([[0.0, 0.0, 10.0, 10.0], [12.0, 12.0, 16.0, 16.0]])
    b_boxes = np.array([[5.0, 5.0, 15.0, 15.0]])
    a = Sample(
        image=np.zeros((h, w, 3), np.uint8),
        boxes=Boxes(a_boxes),
        labels=np.array([1, 2]),
        masks=rect_masks(a_boxes, h, w),
        keypoints=Keypoints(np.array([[[7.5, 7.5]], [[13.5, 13.5]]])),
    )
    b = Sample(
        image=np.full((h, w, 3), 255, np.uint8),
        boxes=Boxes(b_boxes),
        labels=np.array([7]),
        masks=rect_masks(b_boxes, h, w),
        keypoints=Keypoints(np.array([[[9.5, 9.5]]])),
    )
    out = T.Compose([T.CopyPaste(fraction=1.0, p=1.0)], min_visibility=0.3)(a.replace(meta={"mix_samples": [b]}))
    # the first instance keeps 75 of its 100 pixels, the second 7 of 16 (0.44 >= min_visibility 0.3)
    assert out.labels.tolist() == [1, 2, 7]
    assert out.masks[0].sum() == 75 and out.masks[1].sum() == 7
    np.testing.assert_array_equal(out.boxes.data, G.masks_to_boxes(out.masks))
    assert out.keypoints.visible[:, 0].tolist() == [False, False, True]
    assert (out.image[5:15, 5:15] == 255).all() and out.image[0, 0, 0] == 0


def test_coarse_dropout_and_random_erasing():
    s = make_sample(3, height=30, width=30, n=3)
    out, params = T.Compose([T.CoarseDropout(num_holes=(3, 3), fill=7, p=1.0)], seed=0)(s, return_params=True)
    holes = params["children"][0]["params"]["holes"]
    assert len(holes) == 3
    for x0, y0, x1, y1 in holes:
        assert (out.image[y0:y1, x0:x1] == 7).all()
    # keypoints inside holes are hidden, masks and boxes untouched without fill_mask
    np.testing.assert_array_equal(out.masks, s.masks)
    cut = T.Compose([T.CoarseDropout(num_holes=(3, 3), fill=7, fill_mask=0, p=1.0)], seed=0)(s)
    for x0, y0, x1, y1 in holes:
        assert not cut.masks[:, y0:y1, x0:x1].any() and (cut.mask[y0:y1, x0:x1] == 0).all()
    er, p2 = T.Compose([T.RandomErasing(fill="random", p=1.0)], seed=2)(s, return_params=True)
    ((x0, y0, x1, y1),) = p2["children"][0]["params"]["holes"]
    area = (x1 - x0) * (y1 - y0) / 900
    assert 0.02 - 0.01 <= area <= 0.33 + 0.02
