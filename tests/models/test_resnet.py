"""Family-specific behaviour of the ResNet family (and SKNet, ResNeSt, VGG, AlexNet).

The reference test checks layouts and golden logits; here: the widths of grouped and wide
variants, stochastic depth, the attention modules against closed forms, SE placement
against the plain ResNet, feature_info against real activations, and the minimum sizes.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vistakit.layers import DropPath, SelectiveKernel, SplitAttention
from vistakit.models import create_model, model_info, parameter_groups


def _meta(name: str, **kwargs) -> nn.Module:
    """Build without allocating weights (shapes and structure only)."""
    with torch.device("meta"):
        return create_model(name, **kwargs)


@pytest.mark.parametrize(
    ("name", "groups", "width", "out"),
    [
        ("resnet50", 1, 64, 256),
        ("resnext50_32x4d", 32, 128, 256),
        ("resnext101_32x8d", 32, 256, 256),
        ("resnext101_64x4d", 64, 256, 256),
        ("wide_resnet50_2", 1, 128, 256),
        ("seresnext50_32x4d", 32, 128, 256),
    ],
)
def test_grouped_and_wide_widths(name, groups, width, out):
    model = _meta(name)
    conv2 = model.layer1[0].conv2
    assert conv2.groups == groups and conv2.in_channels == width and conv2.out_channels == width
    assert model.layer1[0].conv3.out_channels == out
    # the width doubles per stage, the output is always 4 x planes
    assert model.layer4[0].conv2.out_channels == width * 8
    assert model.num_features == 2048


def test_timm_se_width_and_place():
    model = _meta("seresnet50")
    se = model.layer1[0].se
    assert (se.fc1.in_channels, se.fc1.out_channels) == (256, 16)
    assert model.layer4[2].se.fc1.out_channels == 128


def test_se_with_open_gates_is_plain_resnet():
    """SE is the only difference: with every gate held at 1, SE-ResNet-50 computes ResNet-50."""
    torch.manual_seed(0)
    plain = create_model("resnet50").eval()
    se = create_model("seresnet50").eval()
    sd = se.state_dict()
    sd.update(plain.state_dict())
    for k in sd:
        if ".se.fc2." in k:
            sd[k] = torch.zeros_like(sd[k]) + (60.0 if k.endswith("bias") else 0.0)  # sigmoid(60) == 1 in float32
    se.load_state_dict(sd)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(se(x), plain(x))


def test_drop_path_train_vs_eval():
    torch.manual_seed(0)
    plain = create_model("resnet18", num_classes=5)
    dropped = create_model("resnet18", num_classes=5, drop_path_rate=0.5)
    dropped.load_state_dict(plain.state_dict())
    # the linear rule: nothing on the first block, the full rate on the last
    rates = [
        m.drop_path.p if isinstance(m.drop_path, DropPath) else 0.0
        for stage in (dropped.layer1, dropped.layer2, dropped.layer3, dropped.layer4)
        for m in stage
    ]
    assert rates == pytest.approx([0.5 * i / 7 for i in range(8)])
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        plain.eval(), dropped.eval()
        torch.testing.assert_close(dropped(x), plain(x), rtol=0, atol=0)
        plain.train(), dropped.train()
        torch.manual_seed(1)
        assert not torch.allclose(dropped(x), plain(x))


def test_drop_path_in_sk_and_resnest_blocks():
    for name, stage in (("skresnet18", "layer4"), ("resnest50d", "layer4")):
        model = _meta(name, drop_path_rate=0.2)
        last = getattr(model, stage)[-1]
        assert isinstance(last.drop_path, DropPath) and last.drop_path.p == pytest.approx(0.2)


def test_dropout_before_classifier():
    torch.manual_seed(0)
    model = create_model("resnet18", num_classes=3, drop_rate=0.5)
    feats = torch.rand(4, 512, 1, 1) + 0.1
    model.train()
    torch.manual_seed(0)
    pre = model.forward_head(feats, pre_logits=True)
    assert (pre == 0).any() and torch.allclose(pre[pre != 0], 2 * feats.flatten(1)[pre != 0])
    model.eval()
    torch.testing.assert_close(model.forward_head(feats, pre_logits=True), feats.flatten(1))


def test_zero_init_residual():
    model = create_model("resnet50", zero_init_residual=True)
    assert all(not b.bn3.weight.detach().any() for stage in (model.layer1, model.layer4) for b in stage)


def test_selective_kernel_uniform_attention_is_mean_of_paths():
    torch.manual_seed(0)
    sk = SelectiveKernel(8, 16, split_input=False, rd_ratio=1 / 4, rd_divisor=4).eval()
    assert [p.conv.dilation for p in sk.paths] == [(1, 1), (2, 2)]  # 3x3 and "5x5" as a dilated 3x3
    nn.init.zeros_(sk.attn.fc_select.weight)  # softmax of zeros: 1/2 per path
    x = torch.randn(2, 8, 9, 9)
    with torch.no_grad():
        expected = 0.5 * (sk.paths[0](x) + sk.paths[1](x))
        torch.testing.assert_close(sk(x), expected)


def test_selective_kernel_split_input_feeds_each_path_half():
    torch.manual_seed(0)
    sk = SelectiveKernel(8, 4, stride=2, rd_ratio=1 / 4, rd_divisor=4).eval()
    assert sk.paths[0].conv.in_channels == 4
    nn.init.zeros_(sk.attn.fc_select.weight)
    x = torch.randn(1, 8, 10, 10)
    with torch.no_grad():
        expected = 0.5 * (sk.paths[0](x[:, :4]) + sk.paths[1](x[:, 4:]))
        out = sk(x)
    assert out.shape == (1, 4, 5, 5)
    torch.testing.assert_close(out, expected)


@pytest.mark.parametrize("radix", [1, 2, 4])
def test_split_attention_uniform_weights(radix):
    """With fc2 at zero the radix softmax gives 1/radix per split (sigmoid(0) = 1/2 for radix 1)."""
    torch.manual_seed(0)
    sa = SplitAttention(8, 8, groups=2, radix=radix).eval()
    assert sa.conv.groups == 2 * radix and sa.fc1.out_channels == 32  # bottleneck width at least 32
    nn.init.zeros_(sa.fc2.weight)
    nn.init.zeros_(sa.fc2.bias)
    x = torch.randn(2, 8, 6, 6)
    with torch.no_grad():
        y = torch.relu(sa.bn0(sa.conv(x))).view(2, radix, 8, 6, 6)
        expected = y.mean(1) if radix > 1 else 0.5 * y[:, 0]
        torch.testing.assert_close(sa(x), expected)


def test_split_attention_weights_sum_to_one_over_radix():
    torch.manual_seed(0)
    sa = SplitAttention(12, 12, groups=2, radix=3)
    a = torch.randn(5, 2 * 3 * 6, 1, 1)
    w = sa._radix_softmax(a)
    assert w.shape == (5, 3, 12, 1, 1)
    torch.testing.assert_close(w.sum(1), torch.ones(5, 12, 1, 1))
    # fc2's output is grouped by cardinality first: group g, split r, channel c at (g * 3 + r) * 6 + c
    manual = torch.softmax(a.view(5, 2, 3, 6), dim=2)  # (N, group, radix, c)
    torch.testing.assert_close(w.view(5, 3, 2, 6), manual.transpose(1, 2))


def test_resnest_avd_and_deep_stem():
    model = _meta("resnest50d")
    assert model.first_conv == "conv1.0" and isinstance(model.conv1, nn.Sequential)
    first, strided = model.layer1[0], model.layer2[0]
    assert isinstance(first.avd_last, nn.Identity)  # stride 1: no pool
    assert strided.conv2.conv.stride == (1, 1) and isinstance(strided.avd_last, nn.AvgPool2d)
    assert isinstance(strided.downsample[0], nn.AvgPool2d) and strided.downsample[1].stride == (1, 1)


@pytest.mark.parametrize(("name", "size"), [("resnet18", 64), ("skresnet18", 64), ("vgg11", 64), ("alexnet", 127)])
def test_feature_info_matches_activations(name, size):
    torch.manual_seed(0)
    model = create_model(name).eval()
    seen = {}
    for info in model.feature_info:
        model.get_submodule(info["module"]).register_forward_hook(
            lambda m, i, o, key=info["module"]: seen.__setitem__(key, o.shape)
        )
    with torch.no_grad():
        feats = model.forward_features(torch.randn(1, 3, size, size))
    for info in model.feature_info:
        shape = seen[info["module"]]
        assert shape[1] == info["num_chs"]
        assert shape[2] == -(-size // info["reduction"]) or name == "alexnet"  # alexnet's pools do not divide exactly
    assert feats.shape[1] == model.feature_info[-1]["num_chs"]


@pytest.mark.parametrize("name", ["alexnet", "vgg11"])
def test_min_size_is_the_smallest(name):
    size = model_info(name).min_size
    model = create_model(name, num_classes=2).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, size, size)).shape == (1, 2)
        with pytest.raises(RuntimeError):
            model(torch.randn(1, 3, size - 1, size - 1))


def test_vgg_groups_per_resolution():
    for name, n_blocks in (("vgg11", 4), ("vgg16_bn", 5)):
        groups = parameter_groups(_meta(name, num_classes=3))
        assert [g for g, _ in groups][0] == "stem" and len(groups) == n_blocks + 2
        assert all(ps for _, ps in groups)
