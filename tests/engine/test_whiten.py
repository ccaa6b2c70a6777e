"""Whitening initialisation of the first convolution: the filters whiten, fit() applies them."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from vistakit.engine import TrainConfig, channel_stats, first_conv, fit, patch_whitening_filters, whiten_conv_
from vistakit.models import create_model

from ._toy import small_cnn, stripes


def _correlated_images(n: int = 64, c: int = 2, size: int = 16) -> torch.Tensor:
    """Smooth noise: neighbouring pixels and the two channels strongly correlated, unequal variances."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 1, size + 4, size + 4, generator=g)
    x = F.avg_pool2d(x, 3, stride=1)[..., :size, :size]
    return torch.cat([x * 3, x + 0.3 * torch.randn(n, 1, size, size, generator=g)][:c], 1)


def test_filters_decorrelate_the_patches_to_unit_variance():
    x = _correlated_images()
    filters = patch_whitening_filters(x, kernel_size=3, padding=0, eps=0.0)
    dim = 2 * 3 * 3
    assert filters.shape == (2 * dim, 2, 3, 3)
    torch.testing.assert_close(filters[dim:], -filters[:dim])
    out = F.conv2d(x.double(), filters[:dim].double())  # (N, D, H', W'): one output per direction
    flat = out.permute(0, 2, 3, 1).reshape(-1, dim)
    second_moment = flat.T @ flat / len(flat)
    torch.testing.assert_close(second_moment, torch.eye(dim, dtype=torch.float64), atol=1e-3, rtol=0)
    # strongest direction first: before scaling, the projections' variances decrease
    variances = [(F.conv2d(x, f[None]) ** 2).mean().item() * f.norm().item() ** -2 for f in filters[:dim]]
    assert variances == sorted(variances, reverse=True)


def test_whiten_conv_sets_pairs_and_leaves_extra_filters():
    x = _correlated_images(c=1)
    torch.manual_seed(0)
    small = nn.Conv2d(1, 16, 3, padding=1, bias=True)
    assert whiten_conv_(small, x) == 16  # 8 directions of 9, both signs
    torch.testing.assert_close(small.weight[8:], -small.weight[:8])
    assert torch.count_nonzero(small.bias) == 0
    wide = nn.Conv2d(1, 24, 3, padding=1, bias=False)
    before = wide.weight.detach().clone()
    assert whiten_conv_(wide, x) == 18  # all 9 directions; the other 6 filters keep their init
    torch.testing.assert_close(wide.weight[18:], before[18:])
    expected = patch_whitening_filters(x, kernel_size=3, padding=1)
    torch.testing.assert_close(wide.weight[:18], expected)
    torch.testing.assert_close(small.weight, torch.cat([expected[:8], expected[9:17]]))


def test_bad_input_is_a_clear_error():
    x = _correlated_images(c=1)
    with pytest.raises(ValueError, match="groups=1"):
        whiten_conv_(nn.Conv2d(2, 4, 3, groups=2), torch.cat([x, x], 1))
    with pytest.raises(ValueError, match=r"expected \(N, 3, H, W\)"):
        whiten_conv_(nn.Conv2d(3, 8, 3), x)
    with pytest.raises(ValueError, match="float"):
        patch_whitening_filters(torch.zeros(2, 1, 8, 8, dtype=torch.uint8), kernel_size=3)
    with pytest.raises(ValueError, match="no Conv2d"):
        first_conv(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)))


def test_first_conv_follows_the_model_s_name_or_finds_one():
    fast = create_model("fastnet_fmnist", num_classes=10, in_chans=1)
    assert first_conv(fast) is fast.stem.conv
    plain = small_cnn()
    assert first_conv(plain) is plain[0]


def test_fit_whitens_the_first_convolution_before_training():
    train = stripes(256, seed=0)
    model = small_cnn(seed=5)
    # a learning rate too small to move the weights: what fit leaves is what it set
    cfg = TrainConfig(
        epochs=1, batch_size=64, lr=1e-12, optimizer="sgd", momentum=0.0, weight_decay=0.0, whiten_stem=True
    )
    fit(model, train, None, cfg, progress=False)
    mean, std = channel_stats(train)
    images = (train.tensors[0].float() / 255 - mean[0]) / std[0]
    expected = patch_whitening_filters(images, kernel_size=3, padding=1)
    torch.testing.assert_close(model[0].weight.detach(), torch.cat([expected[:4], expected[9:13]]))
    untouched = small_cnn(seed=5)
    fit(untouched, train, None, TrainConfig(**{**cfg.to_dict(), "whiten_stem": False}), progress=False)
    assert not torch.allclose(untouched[0].weight, model[0].weight)


def test_a_frozen_first_convolution_is_left_alone():
    model = small_cnn(seed=5)
    model[0].weight.requires_grad_(False)
    before = model[0].weight.detach().clone()
    fit(model, stripes(128, seed=0), None, TrainConfig(epochs=1, batch_size=64, whiten_stem=True), progress=False)
    assert torch.equal(model[0].weight, before)
