"""EfficientNet B0-B7 / V2: compound scaling, stochastic depth, norm settings, configurable blocks."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from torch import nn

from vistakit.layers import FusedMBConv, InvertedResidual, SqueezeExcite
from vistakit.models import model_info
from vistakit.models.efficientnet import (
    EfficientNet,
    StageConfig,
    efficientnet_b_setting,
    efficientnet_v2_setting,
)

from ._reference import load_reference, published_weights_mismatches

NAMES = [f"efficientnet_b{i}" for i in range(8)] + [f"efficientnet_v2_{s}" for s in "sml"]

# The published networks (paper Table 1 scaled as in the official TF code / timm):
# (width, depth) -> stem, stage output channels, stage repeats, head channels
PUBLISHED_B = {
    "b0": ((1.0, 1.0), 32, [16, 24, 40, 80, 112, 192, 320], [1, 2, 2, 3, 3, 4, 1], 1280),
    "b4": ((1.4, 1.8), 48, [24, 32, 56, 112, 160, 272, 448], [2, 4, 4, 6, 6, 8, 2], 1792),
    "b7": ((2.0, 3.1), 64, [32, 48, 80, 160, 224, 384, 640], [4, 7, 7, 10, 10, 13, 4], 2560),
}


@pytest.mark.parametrize("variant", sorted(PUBLISHED_B))
def test_compound_scaling_gives_published_channels_and_depths(variant):
    (w, d), stem, channels, repeats, head = PUBLISHED_B[variant]
    setting = efficientnet_b_setting(w, d)
    assert setting[0].in_channels == stem
    assert [s.out_channels for s in setting] == channels
    assert [s.num_layers for s in setting] == repeats
    # each stage's input is the previous stage's output
    assert [s.in_channels for s in setting[1:]] == channels[:-1]
    assert 4 * setting[-1].out_channels == head


def test_scaled_network_is_built_as_the_table_says():
    # a narrow, shallow table keeps the test fast; the layout follows it stage by stage
    setting = efficientnet_b_setting(0.5, 0.5)
    model = EfficientNet(setting, num_classes=10)
    assert model.features[0][0].out_channels == setting[0].in_channels == 16
    for i, cfg in enumerate(setting):
        stage = model.features[i + 1]
        assert len(stage) == cfg.num_layers
        assert all(isinstance(b, InvertedResidual) and b.out_channels == cfg.out_channels for b in stage)
    assert model.num_features == 4 * setting[-1].out_channels
    assert [f["reduction"] for f in model.feature_info] == [2, 4, 8, 16, 16, 32, 32]


def test_v2_table_and_fused_blocks():
    setting = efficientnet_v2_setting("s")
    assert [(s.block, s.out_channels, s.num_layers) for s in setting] == [
        ("fused", 24, 2),
        ("fused", 48, 4),
        ("fused", 64, 4),
        ("mbconv", 128, 6),
        ("mbconv", 160, 9),
        ("mbconv", 256, 15),
    ]
    # V2 stages 1-3 are fused; a fused block without expansion is one conv-norm-act with a residual
    first = FusedMBConv(24, 24, expanded_channels=24)
    assert len(first.block) == 1 and first.use_residual
    down = FusedMBConv(24, 48, expanded_channels=96, stride=2)
    assert len(down.block) == 2 and not down.use_residual
    assert down(torch.randn(2, 24, 16, 16)).shape == (2, 48, 8, 8)
    with pytest.raises(ValueError, match="size must be one of"):
        efficientnet_v2_setting("xl")


def test_stochastic_depth_grows_linearly_and_is_active_only_in_training():
    torch.manual_seed(0)
    setting = [StageConfig("mbconv", 1, 3, 1, 16, 16, 2), StageConfig("mbconv", 2, 3, 1, 16, 16, 2)]
    model = EfficientNet(setting, num_classes=3, stochastic_depth_prob=0.8)
    blocks = [b for b in model.modules() if isinstance(b, InvertedResidual)]
    assert [b.drop_path.p for b in blocks] == pytest.approx([0.0, 0.2, 0.4, 0.6])  # p * i / n, as torchvision

    x = torch.randn(32, 3, 16, 16)
    model.eval()
    with torch.no_grad():
        y1, y2 = model(x), model(x)
        for b in blocks:
            b.drop_path.p = 0.0
        y_no_drop = model(x)
    torch.testing.assert_close(y1, y2, rtol=0, atol=0)
    torch.testing.assert_close(y1, y_no_drop, rtol=0, atol=0)  # eval: stochastic depth is the identity

    # training: per sample, the last block's branch is either dropped or scaled by 1 / (1 - p)
    block = blocks[-1]
    block.drop_path.p = 0.6
    block.train()
    h = torch.randn(64, 16, 8, 8)
    with torch.no_grad():
        branch = block.block(h)
        out = block(h) - h
    dropped = out.flatten(1).abs().amax(1) == 0
    kept = torch.isclose(out, branch / 0.4, rtol=1e-5, atol=1e-6).flatten(1).all(1)
    assert bool((dropped | kept).all())
    assert 0 < int(dropped.sum()) < 64


def test_dropout_option_and_defaults():
    assert EfficientNet(efficientnet_b_setting(0.25, 0.25), num_classes=2, dropout=0.7).classifier[0].p == 0.7
    # published defaults: dropout grows with the variant
    import vistakit.models.efficientnet as eff

    builders = {"b0": 0.2, "b3": 0.3}
    for variant, p in builders.items():
        model = getattr(eff, f"efficientnet_{variant}")(num_classes=2)
        assert model.classifier[0].p == p


@pytest.mark.parametrize(
    "name, eps, momentum",
    [
        ("efficientnet_b0", 1e-5, 0.1),  # ported from timm (PyTorch defaults)
        ("efficientnet_b5", 1e-3, 0.01),  # ported from TensorFlow
        ("efficientnet_v2_s", 1e-3, 0.1),
    ],
)
def test_batchnorm_settings_per_variant(name, eps, momentum):
    import vistakit.models.efficientnet as eff

    model = getattr(eff, name)(num_classes=2)
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and all(m.eps == eps and m.momentum == momentum for m in norms)


def test_blocks_are_configurable_without_squeeze_excite_and_with_relu6():
    # what EfficientNet-Lite needs: no squeeze-excite, ReLU6, a fixed stem and head
    setting = efficientnet_b_setting(0.5, 0.5)
    setting[0] = replace(setting[0], in_channels=32)
    model = EfficientNet(setting, num_classes=4, se_ratio=0.0, activation=nn.ReLU6, last_channel=1280).eval()
    assert not any(isinstance(m, SqueezeExcite) for m in model.modules())
    acts = [m for m in model.modules() if isinstance(m, (nn.ReLU6, nn.SiLU, nn.ReLU))]
    assert acts and all(isinstance(m, nn.ReLU6) for m in acts)
    assert model.features[0][0].out_channels == 32 and model.num_features == 1280
    with torch.no_grad():
        assert model(torch.randn(1, 3, 32, 32)).shape == (1, 4)
    with pytest.raises(ValueError, match="unknown block kind"):
        EfficientNet([StageConfig("resnet", 1, 3, 1, 16, 16, 1)])


@pytest.mark.parametrize("name", NAMES)
def test_registry_weights_match_the_published_ones(name):
    spec = model_info(name)
    assert spec.family == "efficientnet"
    assert published_weights_mismatches(spec, load_reference()[name]) == []
