"""FastNet: the spec's parameter count and GFLOPs are what the built network has; shapes per stage."""

from __future__ import annotations

import pytest
import torch

from vistakit.models import count_flops, create_model, list_models, model_info
from vistakit.models.fastnet import FastNet, PooledStem


@pytest.mark.parametrize("name", list_models("fastnet*"))
def test_spec_matches_the_network(name):
    spec = model_info(name)
    model = create_model(name)  # 1000 classes, 3 channels: the spec's convention
    assert sum(p.numel() for p in model.parameters()) == spec.num_params
    assert count_flops(model, spec.input_size) == pytest.approx(spec.gflops, rel=1e-6)
    assert spec.weights == ()  # trained by the engine's recipes; nothing published


@pytest.mark.parametrize("name", list_models("fastnet*"))
def test_stages_halve_the_resolution(name):
    model = create_model(name, num_classes=10, in_chans=1).eval()
    x = torch.randn(2, 1, 28, 28)
    h = model.stem(x)
    assert h.shape[1] == model.feature_info[0]["num_chs"] and h.shape[-1] == 28 // model.feature_info[0]["reduction"]
    for info, stage in zip(model.feature_info[1:], model.stages):
        h = stage(h)
        assert h.shape[1] == info["num_chs"] and h.shape[-1] == 28 // info["reduction"]
    reductions = [i["reduction"] for i in model.feature_info]
    # each stage keeps or halves the resolution; the last three each halve it, down to 1/8
    assert all(b in (a, 2 * a) for a, b in zip(reductions, reductions[1:]))
    assert reductions[-3:] == [2, 4, 8]
    assert model(x).shape == (2, 10)


def test_first_pool_keeps_the_first_stage_at_full_resolution():
    model = FastNet(
        num_classes=10, in_chans=1, stem_width=8, widths=(8, 16, 16, 16), depths=(1, 0, 0, 0), first_pool=False
    ).eval()
    assert [i["reduction"] for i in model.feature_info] == [1, 1, 2, 4, 8]
    assert model.stages[0](model.stem(torch.randn(1, 1, 28, 28))).shape == (1, 8, 28, 28)
    # with a pooled stem the first stage never pools again, whatever first_pool says
    pooled = FastNet(num_classes=10, in_chans=1, stem_width=8, widths=(8, 16, 16), stem_pool=True, first_pool=True)
    assert [i["reduction"] for i in pooled.feature_info] == [2, 2, 4, 8]
    assert create_model("fastnet_fmnist_fullres").feature_info[1]["reduction"] == 1


def test_pooled_stem_is_the_same_function_reordered():
    # max-pool commutes with a BatchNorm of positive scale and a ReLU: the pooled stem computes
    # the same network from the same weights (the state dicts are interchangeable)
    torch.manual_seed(0)
    plain = FastNet(num_classes=10, in_chans=1, stem_width=16, widths=(32, 64, 128), stem_pool=False)
    pooled = FastNet(num_classes=10, in_chans=1, stem_width=16, widths=(32, 64, 128), stem_pool=True)
    with torch.no_grad():
        for m in plain.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    pooled.load_state_dict(plain.state_dict())
    x = torch.randn(4, 1, 28, 28)
    torch.testing.assert_close(pooled.eval()(x), plain.eval()(x))
    assert isinstance(create_model("fastnet_fmnist").stem, PooledStem)  # the fast recipe's network pools in its stem


def test_flops_are_counted_where_the_model_lives():
    # the probe image follows the model's device and dtype (a CUDA or float64 model must not get
    # a CPU float32 probe); the meta device stands in for CUDA on a machine without one
    cpu = count_flops(create_model("fastnet_fmnist", num_classes=10, in_chans=1), 28, in_chans=1)
    meta = create_model("fastnet_fmnist", num_classes=10, in_chans=1).to("meta")
    double = create_model("fastnet_fmnist", num_classes=10, in_chans=1).double()
    assert count_flops(meta, 28, in_chans=1) == cpu
    assert count_flops(double, 28, in_chans=1) == cpu
