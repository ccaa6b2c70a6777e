"""Swin specifics: input sizes, feature maps, stochastic depth, stage groups.

Small configurations of :class:`SwinTransformer` keep these fast; the published
variants are covered by test_reference.py (layout, parameters, GFLOPs, golden logits)
and test_contract.py (interface at ``min_size``).
"""

from __future__ import annotations

import pytest
import torch

from vistakit.models import create_model, model_info, parameter_groups
from vistakit.models.swin import SwinTransformer


def _tiny(v2: bool = False, **kw) -> SwinTransformer:
    torch.manual_seed(0)
    return SwinTransformer(
        embed_dim=8, depths=(2, 2, 2, 2), num_heads=(1, 2, 2, 4), window_size=8 if v2 else 7, num_classes=5, v2=v2, **kw
    ).eval()


@pytest.mark.parametrize("v2", [False, True])
@pytest.mark.parametrize("size", [(30, 64), (64, 33), (226, 224), (28, 28), (4, 4)])
def test_unsupported_size_is_a_clear_error(v2, size):
    model = _tiny(v2)
    with pytest.raises(ValueError) as err:
        model(torch.zeros(1, 3, *size))
    msg = str(err.value)
    assert f"{size[0]} x {size[1]}" in msg
    assert "multiple of the patch size 4 and at least 32" in msg and "32, 36, 40" in msg


@pytest.mark.parametrize("v2", [False, True])
@pytest.mark.parametrize("size", [(32, 32), (64, 96), (100, 36)])
def test_valid_sizes_including_non_square_and_padded_ones(v2, size):
    model = _tiny(v2)
    h, w = size
    x = torch.randn(2, 3, h, w)
    with torch.no_grad():
        feats = model.forward_features(x)
        assert feats.shape == (2, -(-h // 32), -(-w // 32), model.num_features)  # channels last, like torchvision
        y = model(x)
    assert y.shape == (2, 5) and torch.isfinite(y).all()
    # each image is processed on its own: batch size does not change the numbers
    with torch.no_grad():
        torch.testing.assert_close(model(x[1:]), y[1:], rtol=1e-5, atol=1e-5)


def test_feature_info_describes_the_stage_outputs():
    model = _tiny()
    outs = {}
    hooks = [
        model.get_submodule(f["module"]).register_forward_hook(
            lambda m, i, o, name=f["module"]: outs.__setitem__(name, o.shape)
        )
        for f in model.feature_info
    ]
    with torch.no_grad():
        model(torch.zeros(1, 3, 64, 128))
    for h in hooks:
        h.remove()
    for f in model.feature_info:
        assert outs[f["module"]] == (1, 64 // f["reduction"], 128 // f["reduction"], f["num_chs"])
    assert [f["module"] for f in model.feature_info] == ["features.1", "features.3", "features.5", "features.7"]


def test_stage_groups_own_their_patch_merging():
    groups = dict(parameter_groups(_tiny(v2=True)))
    assert {n.split(".")[1] for n, _ in groups["stage1"]} == {"2", "3"}
    assert {n.split(".")[1] for n, _ in groups["stage3"]} == {"6", "7"}
    assert {n for n, _ in groups["head"]} == {"norm.weight", "norm.bias", "head.weight", "head.bias"}


def test_stochastic_depth_rises_to_the_rate_and_is_identity_in_eval():
    model = create_model("swin_t")  # torchvision's default for swin_t: 0.2
    rates = [b.drop_path.p for stage in (1, 3, 5, 7) for b in model.features[stage]]
    assert rates[0] == 0.0 and rates[-1] == pytest.approx(0.2) and rates == sorted(rates)
    tiny = _tiny(drop_path_rate=0.5)
    assert tiny.features[7][-1].drop_path.p == pytest.approx(0.5)
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(tiny(x), tiny(x))  # eval: deterministic
        tiny.train()
        torch.manual_seed(1)
        a = tiny(x)
        torch.manual_seed(2)
        assert not torch.equal(a, tiny(x))  # train: branches dropped at random


def test_spec_sizes_follow_the_architecture():
    for name in ("swin_t", "swin_v2_b"):
        spec = model_info(name)
        assert spec.min_size == 32 and spec.input_size == 224
        assert spec.weights[0].transform.interpolation == "bicubic"
        assert spec.weights[0].sha256 in spec.weights[0].file_name
