"""Perceptual distance on a real photo: zero for identical images, ordered by blur and noise, differentiable.

VGG16 with a fixed random initialization (weights=None; no download in tests). Real use
wants weights="imagenet" (torchvision's vgg16-397923af.pth from the cache or its URL);
the channel normalization makes even random features order degradations correctly,
which is what these tests hold it to.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from sklearn.datasets import load_sample_image

from vistakit.features import PerceptualLoss, perceptual_distance
from vistakit.features._perceptual import _shared_loss
from vistakit.models import list_models

pytestmark = pytest.mark.skipif("vgg16" not in list_models(), reason="vgg16 is not in the zoo of this checkout")


@pytest.fixture(scope="module")
def image() -> torch.Tensor:
    """china.jpg (scikit-learn's sample photo), area-downscaled to 64x64, (1, 3, 64, 64) in [0, 1]."""
    small = cv2.resize(load_sample_image("china.jpg"), (64, 64), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(small.astype(np.float32) / 255).permute(2, 0, 1)[None].contiguous()


@pytest.fixture(scope="module")
def loss() -> PerceptualLoss:
    torch.manual_seed(0)
    return PerceptualLoss(weights=None)  # relu1_2, relu2_2, relu3_3, relu4_3


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    hwc = x[0].permute(1, 2, 0).numpy()
    out = cv2.GaussianBlur(hwc, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REFLECT_101)
    return torch.from_numpy(out).permute(2, 0, 1)[None]


def test_identical_images_give_zero(loss, image):
    with torch.no_grad():
        assert loss(image, image).item() == 0.0
        assert loss((image * 255).round().to(torch.uint8), (image * 255).round().to(torch.uint8)).item() == 0.0


def test_distance_grows_with_blur_and_with_noise(loss, image):
    noise = torch.randn(image.shape, generator=torch.Generator().manual_seed(0))
    degraded = torch.cat(
        [_blur(image, s) for s in (0.5, 1.0, 2.0, 4.0)]
        + [(image + s * noise).clamp(0, 1) for s in (0.02, 0.05, 0.1, 0.2)]
    )
    with torch.no_grad():  # one batch: row i is compared with its own reference
        d = loss(image.expand(len(degraded), -1, -1, -1), degraded).numpy()
    blurred, noisy = d[:4], d[4:]
    assert 0 < blurred[0] and all(np.diff(blurred) > 0), blurred
    assert 0 < noisy[0] and all(np.diff(noisy) > 0), noisy


def test_gradients_reach_the_input_and_the_backbone_stays_frozen_in_eval(loss, image):
    x = (image + 0.1 * torch.randn(image.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    x.requires_grad_(True)
    loss.train()  # as inside a training loop: the module trains, its backbone does not
    assert loss.training and not loss.features.training
    assert not any(m.training for m in loss.features.modules())
    d = loss(x, image).sum()
    d.backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(not p.requires_grad and p.grad is None for p in loss.parameters())
    with torch.no_grad():  # a step against the gradient brings the image closer
        closer = loss((x - 0.5 * x.grad / x.grad.norm()).clamp(0, 1), image).item()
    assert closer < d.item()


def test_function_matches_the_module_and_checks_its_input(loss, image):
    b = _blur(image, 1.0)
    with torch.no_grad():
        expected = loss.eval()(image, b)
    _shared_loss.cache_clear()  # built afresh under the same seed as the module fixture
    torch.manual_seed(0)
    assert torch.equal(perceptual_distance(image, b, weights=None), expected)
    assert torch.equal(perceptual_distance(image, b, weights=None), expected)  # the same network, reused
    with pytest.raises(ValueError, match="same shape"):
        loss(image, image[..., :32])
    with pytest.raises(ValueError, match=r"unknown layers \['relu6'\]"):
        PerceptualLoss(weights=None, layers=("relu6",))
    with pytest.raises(ValueError, match="not supported"):
        PerceptualLoss(weights=None, backbone="alexnet")
