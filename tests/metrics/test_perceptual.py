"""feature_map_distance: the perceptual comparison of feature maps against its closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vistakit.metrics import feature_map_distance


def test_one_by_one_maps_give_two_minus_two_cosine():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 7)), rng.normal(size=(5, 7))
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    got = feature_map_distance([torch.tensor(a)[:, :, None, None]], [torch.tensor(b)[:, :, None, None]])
    np.testing.assert_allclose(got.numpy(), 2 - 2 * cos, rtol=1e-9)


def test_positions_and_layers_are_averaged_and_scale_per_position_does_not_matter():
    rng = np.random.default_rng(1)
    a1, b1 = rng.normal(size=(2, 4, 3, 5)), rng.normal(size=(2, 4, 3, 5))
    a2, b2 = rng.normal(size=(2, 6, 2, 2)), rng.normal(size=(2, 6, 2, 2))

    def layer(x, y):  # by hand: cosine per position
        cos = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
        return (2 - 2 * cos).mean((1, 2))

    expected = (layer(a1, b1) + layer(a2, b2)) / 2
    t = torch.tensor
    got = feature_map_distance([t(a1), t(a2)], [t(b1), t(b2)])
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-9)
    scale = rng.uniform(0.1, 10, size=(2, 1, 3, 5))
    np.testing.assert_allclose(feature_map_distance([t(a1 * scale)], [t(b1)]).numpy(), layer(a1, b1), rtol=1e-9)
    assert torch.equal(feature_map_distance([t(a1)], [t(a1)]), torch.zeros(2, dtype=torch.float64))


def test_gradients_and_bad_input():
    a = torch.randn(3, 4, 2, 2, requires_grad=True)
    feature_map_distance([a], [torch.randn(3, 4, 2, 2)]).sum().backward()
    assert a.grad is not None and torch.isfinite(a.grad).all()
    with pytest.raises(ValueError, match="layer 0"):
        feature_map_distance([torch.zeros(1, 2, 3, 3)], [torch.zeros(1, 2, 3, 4)])
    with pytest.raises(ValueError, match="number of layers"):
        feature_map_distance([], [])
