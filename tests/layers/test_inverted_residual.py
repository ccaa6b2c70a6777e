"""InvertedResidual / FusedMBConv: layouts of the published checkpoints, residual rule, stochastic depth."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vistakit.layers import FusedMBConv, InvertedResidual, SqueezeExcite


def _keys(module: nn.Module) -> list[str]:
    return [k for k in module.state_dict() if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))]


def test_block_layout_is_torchvision_mobilenet_v3_and_efficientnet():
    block = InvertedResidual(16, 24, expanded_channels=64, kernel_size=5, stride=2, se_channels=16)
    assert _keys(block) == [
        "block.0.0.weight",
        "block.0.1.weight",
        "block.0.1.bias",  # expand 1x1
        "block.1.0.weight",
        "block.1.1.weight",
        "block.1.1.bias",  # depthwise 5x5
        "block.2.fc1.weight",
        "block.2.fc1.bias",
        "block.2.fc2.weight",
        "block.2.fc2.bias",  # squeeze-excite
        "block.3.0.weight",
        "block.3.1.weight",
        "block.3.1.bias",  # linear projection
    ]
    assert block.block[1][0].weight.shape == (64, 1, 5, 5) and block.block[1][0].stride == (2, 2)
    assert len(block.block[3]) == 2  # the projection has no activation


def test_conv_layout_is_torchvision_mobilenet_v2():
    block = InvertedResidual(24, 24, expanded_channels=144, layout="conv")
    assert _keys(block) == [
        "conv.0.0.weight",
        "conv.0.1.weight",
        "conv.0.1.bias",
        "conv.1.0.weight",
        "conv.1.1.weight",
        "conv.1.1.bias",
        "conv.2.weight",
        "conv.3.weight",
        "conv.3.bias",
    ]
    # no expansion conv when expanded == in (MobileNetV2's first block, EfficientNet's stage 1)
    first = InvertedResidual(32, 16, expanded_channels=32, layout="conv")
    assert _keys(first)[:1] == ["conv.0.0.weight"] and first.conv[0][0].groups == 32


@pytest.mark.parametrize("in_ch, out_ch, stride, residual", [(16, 16, 1, True), (16, 24, 1, False), (16, 16, 2, False)])
def test_residual_only_when_shapes_agree(in_ch, out_ch, stride, residual):
    for block in (
        InvertedResidual(in_ch, out_ch, expanded_channels=32, stride=stride),
        FusedMBConv(in_ch, out_ch, expanded_channels=32, stride=stride),
    ):
        assert block.use_residual is residual
        # a zero projection leaves exactly the input (residual) or zeros (no residual)
        last = [m for m in block.modules() if isinstance(m, nn.BatchNorm2d)][-1]
        nn.init.zeros_(last.weight)
        block.eval()
        x = torch.randn(2, in_ch, 8, 8)
        with torch.no_grad():
            y = block(x)
        if residual:
            torch.testing.assert_close(y, x, rtol=0, atol=0)
        else:
            assert y.shape == (2, out_ch, 8 // stride, 8 // stride) and torch.count_nonzero(y) == 0


def test_squeeze_excite_options():
    block = InvertedResidual(
        16,
        16,
        expanded_channels=64,
        se_channels=8,
        activation=nn.Hardswish,
        se_activation=nn.ReLU,
        se_gate=nn.Hardsigmoid,
    )
    se = block.block[2]
    assert isinstance(se, SqueezeExcite) and isinstance(se.gate, nn.Hardsigmoid)
    assert se.fc1.out_channels == 8 and isinstance(block.block[0][2], nn.Hardswish)
    assert not any(isinstance(m, SqueezeExcite) for m in InvertedResidual(16, 16, expanded_channels=64).modules())


def test_drop_path_only_in_training():
    torch.manual_seed(0)
    block = InvertedResidual(8, 8, expanded_channels=16, drop_path=0.5).eval()
    x = torch.randn(64, 8, 4, 4)
    with torch.no_grad():
        torch.testing.assert_close(block(x), block.block(x) + x, rtol=0, atol=0)
        block.train()
        branch = block.block(x)
        out = block(x) - x
    dropped = out.flatten(1).abs().amax(1) == 0
    kept = torch.isclose(out, 2 * branch, rtol=1e-5, atol=1e-6).flatten(1).all(1)
    assert bool((dropped | kept).all()) and 0 < int(dropped.sum()) < 64


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="stride must be 1 or 2"):
        InvertedResidual(8, 8, expanded_channels=16, stride=3)
    with pytest.raises(ValueError, match="layout must be"):
        InvertedResidual(8, 8, expanded_channels=16, layout="timm")
    with pytest.raises(ValueError, match="stride must be 1 or 2"):
        FusedMBConv(8, 8, expanded_channels=16, stride=4)
