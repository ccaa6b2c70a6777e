"""Bad input: a clear ValueError naming the field and the expected form, before any work."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import vistakit.transforms as T
from vistakit.structures import Boxes, Sample

IMG = np.zeros((10, 12, 3), np.uint8)


class _Spy(T.HorizontalFlip):
    """Records whether any work started."""

    calls = 0

    def get_params(self, rng, sample):
        type(self).calls += 1
        return {}


@pytest.mark.parametrize(
    "targets, field, expected",
    [
        ({"image": np.zeros((0, 5, 3), np.uint8)}, "image", "empty image"),
        ({"image": np.zeros((4, 5, 3), np.float64)}, "image", "dtype float64"),
        ({"image": np.zeros((4, 5, 3), np.int32)}, "image", "uint8"),
        ({"image": np.zeros((4, 5, 4), np.uint8)}, "image", "C in {1, 3}"),
        ({"image": np.zeros((3, 8, 9), np.uint8)}, "image", "looks like (C, H, W)"),
        ({"image": np.zeros((2, 3, 4, 5), np.uint8)}, "image", "(H, W, C)"),
        ({"image": [[1, 2]]}, "image", "got list"),
        ({"image": IMG, "boxes": [[1, 1, 13, 5]]}, "boxes[0]", "outside the 12x10 image"),
        ({"image": IMG, "boxes": [[5, 1, 2, 5]]}, "boxes[0]", "x2 < x1"),
        ({"image": IMG, "boxes": [[1, 1, 2]]}, "boxes", "(N, 4)"),
        ({"image": IMG, "boxes": [[0, 0, 1, 1]], "box_format": "ltrb"}, "box_format", "one of"),
        ({"image": IMG, "boxes": [[0, 0, 1, 1]], "labels": [1, 2]}, "labels", "one per box"),
        ({"image": IMG, "masks": np.zeros((1, 10, 11), np.uint8)}, "masks", "(N, 10, 12)"),
        ({"image": IMG, "boxes": [[0, 0, 1, 1]], "masks": np.zeros((2, 10, 12), np.uint8)}, "masks", "one per box"),
        ({"image": IMG, "mask": np.zeros((9, 12), np.uint8)}, "mask", "(10, 12)"),
        ({"image": IMG, "mask": np.zeros((10, 12), np.float16)}, "mask", "integer or bool"),
        ({"image": IMG, "keypoints": np.zeros((2, 3, 4))}, "keypoints", "(N, K, 2|3)"),
        ({"image": IMG, "colour": 3}, "unknown target", "expected some of"),
        ({"boxes": [[0, 0, 1, 1]]}, "image", "required"),
    ],
)
def test_bad_keyword_input(targets, field, expected):
    _Spy.calls = 0
    with pytest.raises(ValueError) as e:
        _Spy(p=1.0)(**targets)
    assert field in str(e.value) and expected in str(e.value), str(e.value)
    assert _Spy.calls == 0  # nothing was done before the error


def test_bad_typed_samples():
    with pytest.raises(ValueError, match=r"image: .*\(C, H, W\) torch tensor.*5 channels"):
        T.HorizontalFlip()(Sample(image=torch.zeros(5, 8, 8, dtype=torch.uint8)))
    with pytest.raises(ValueError, match=r"boxes\[1\].*outside"):
        T.HorizontalFlip()(
            Sample(image=IMG, boxes=Boxes(np.array([[0.1, 0.1, 0.5, 0.5], [0.5, 0.5, 1.2, 0.9]]), normalized=True))
        )
    with pytest.raises(ValueError, match=r"boxes\[0\].*x2 < x1.*xywh pixel"):
        T.HorizontalFlip()(Sample(image=IMG, boxes=Boxes(np.array([[5.0, 1.0, -2.0, 3.0]]), "xywh")))
    with pytest.raises(ValueError, match="keypoints.visible"):

        class _K:  # bypasses Keypoints' own check to reach ours
            data = np.zeros((1, 2, 2))
            visible = np.ones((1, 3), bool)
            names = None

        T.HorizontalFlip()(Sample(image=IMG, keypoints=_K()))
    with pytest.raises(ValueError, match="not both"):
        T.HorizontalFlip()(Sample(image=IMG), image=IMG)


def test_dtype_requirements_of_colour_ops_and_compose_order():
    with pytest.raises(ValueError, match="ColorJitter: image must be uint8, got float32"):
        T.ColorJitter(p=1.0)(image=np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="ColorJitter needs a uint8 image but comes after Normalize"):
        T.Compose([T.Normalize(), T.ColorJitter()])
    with pytest.raises(ValueError, match="ToTensor must be the last transform"):
        T.Compose([T.ToTensor(), T.HorizontalFlip()])
    # geometric ops are fine on float32 images
    out = T.Compose([T.Normalize(), T.Rotate(p=1.0)])(image=IMG)["image"]
    assert out.dtype == np.float32


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: T.Rotate(limit=(10, -10)), "limit must have low <= high"),
        (lambda: T.Rotate(interpolation="bicubical"), "interpolation must be one of"),
        (lambda: T.Pad(-1), "padding must be >= 0"),
        (lambda: T.Resize((0, 4)), "size must be positive"),
        (lambda: T.HorizontalFlip(p=1.5), "p must be a probability"),
        (lambda: T.Hue(shift=0.7), "within [-0.5, 0.5]"),
        (lambda: T.GaussianBlur(kernel_size=4), "must be odd"),
        (lambda: T.Posterize(bits=(2, 9)), "within 1..8"),
        (lambda: T.RandAugment(magnitude=31), "magnitude < num_magnitude_bins"),
        (lambda: T.Compose([T.HorizontalFlip(), "flip"]), "transforms[1] is a str"),
        (lambda: T.Compose([], seed=-1), "seed must be a non-negative int"),
        (lambda: T.SomeOf([T.HorizontalFlip()], n=2), "n must satisfy"),
        (lambda: T.Crop((5, 5, 2, 8)), "x_max > x_min"),
        (lambda: T.MixUp(alpha=0), "alpha must be > 0"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError) as e:
        make()
    assert message in str(e.value)


def test_crop_larger_than_image():
    with pytest.raises(ValueError, match="crop size 20x20 is larger than the image 10x12; pass pad_if_needed=True"):
        T.RandomCrop(20)(image=IMG)
    out = T.RandomCrop(20, pad_if_needed=True, fill=5)(image=IMG)["image"]
    assert out.shape == (20, 20, 3) and out[0, 0, 0] == 5


def test_mixing_without_partners():
    with pytest.raises(ValueError, match="no partner samples; pass source="):
        T.MixUp(p=1.0)(image=IMG)
    with pytest.raises(ValueError, match="num_classes is needed"):
        T.MixUp(p=1.0)(image=IMG, label=1, mix_samples=[{"image": IMG, "label": 2}])
