"""FastNet: the spec's parameter count and GFLOPs are what the built network has; shapes per stage."""

from __future__ import annotations

import pytest
import torch

from vistakit.models import count_flops, create_model, list_models, model_info


@pytest.mark.parametrize("name", list_models("fastnet*"))
def test_spec_matches_the_network(name):
    spec = model_info(name)
    model = create_model(name)  # 1000 classes, 3 channels: the spec's convention
    assert sum(p.numel() for p in model.parameters()) == spec.num_params
    assert count_flops(model, spec.input_size) == pytest.approx(spec.gflops, rel=1e-6)
    assert spec.weights == ()  # trained by the engine's recipes; nothing published


def test_stages_halve_the_resolution():
    model = create_model("fastnet_fmnist", num_classes=10, in_chans=1).eval()
    x = torch.randn(2, 1, 28, 28)
    h = model.stem(x)
    assert h.shape[-1] == 28
    for info, stage in zip(model.feature_info[1:], model.stages):
        h = stage(h)
        assert h.shape[1] == info["num_chs"] and h.shape[-1] == 28 // info["reduction"]
    assert model(x).shape == (2, 10)


def test_flops_are_counted_where_the_model_lives():
    # the probe image follows the model's device and dtype (a CUDA or float64 model must not get
    # a CPU float32 probe); the meta device stands in for CUDA on a machine without one
    cpu = count_flops(create_model("fastnet_fmnist", num_classes=10, in_chans=1), 28, in_chans=1)
    meta = create_model("fastnet_fmnist", num_classes=10, in_chans=1).to("meta")
    double = create_model("fastnet_fmnist", num_classes=10, in_chans=1).double()
    assert count_flops(meta, 28, in_chans=1) == cpu
    assert count_flops(double, 28, in_chans=1) == cpu
