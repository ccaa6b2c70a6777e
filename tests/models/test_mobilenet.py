"""MobileNet V1/V2/V3: width multipliers, feature strides, backbone options, published weights."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from vistakit.layers import InvertedResidual
from vistakit.models import create_model, model_info
from vistakit.models.mobilenet import MobileNetV1, MobileNetV2, MobileNetV3

from ._reference import load_reference, published_weights_mismatches

NAMES = ["mobilenetv1_100", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"]


def _block_widths(model: nn.Module) -> list[int]:
    return [m.out_channels for m in model.modules() if isinstance(m, InvertedResidual)]


def _distinct(widths: list[int]) -> list[int]:
    return [w for i, w in enumerate(widths) if i == 0 or w != widths[i - 1]]


def test_mobilenet_v2_width_multiplier_gives_published_channels():
    # TF-slim mobilenet_v2_1.4_224: stem 48, bottleneck outputs below, head 1792
    model = MobileNetV2(width_mult=1.4, num_classes=10)
    assert model.features[0][0].out_channels == 48
    assert _distinct(_block_widths(model)) == [24, 32, 48, 88, 136, 224, 448]
    assert model.num_features == 1792 and model.features[-1][0].out_channels == 1792
    # below 1.0 the head keeps 1280 channels (the paper's Table 2 note)
    small = MobileNetV2(width_mult=0.5, num_classes=10)
    assert small.features[0][0].out_channels == 16 and small.num_features == 1280
    # block repeats of the paper's Table 2: 1, 2, 3, 4, 3, 3, 1
    assert [len(s) for s in model._stage_indices] == [1, 2, 3, 4, 3, 3, 1]


def test_mobilenet_v1_width_multiplier_gives_published_channels():
    # the paper's 0.75 MobileNet (Keras alpha=0.75): 24 -> 48 -> 96 -> 192 -> 384 -> 768
    model = MobileNetV1(width_mult=0.75, num_classes=10)
    assert model.conv_stem.out_channels == 24
    assert [f["num_chs"] for f in model.feature_info] == [48, 96, 192, 384, 768]
    assert [f["reduction"] for f in model.feature_info] == [2, 4, 8, 16, 32]
    assert model.num_features == 768
    # MobileNetV1 has no residual connections: zero pointwise weights give zero outputs
    block = model.blocks[1][1]
    nn.init.zeros_(block.conv_pw.weight)
    block.eval()
    assert torch.count_nonzero(block(torch.randn(1, 96, 8, 8))) == 0


@pytest.mark.parametrize(
    "arch, expected",
    [
        ("large", [(16, 2), (24, 4), (40, 8), (80, 16), (112, 16), (160, 32)]),
        ("small", [(16, 4), (24, 8), (40, 16), (48, 16), (96, 32)]),
    ],
)
def test_mobilenet_v3_feature_info(arch, expected):
    model = MobileNetV3(arch, num_classes=10).eval()
    assert [(f["num_chs"], f["reduction"]) for f in model.feature_info] == expected
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for f in model.feature_info:
            idx = int(f["module"].split(".")[1])
            y = model.features[: idx + 1](x)
            assert y.shape[1:] == (f["num_chs"], 64 // f["reduction"], 64 // f["reduction"])


def test_mobilenet_v3_backbone_options():
    # torchvision's detection/segmentation options: halve the last stage, or dilate it (output stride 16)
    reduced = MobileNetV3("large", reduced_tail=True, num_classes=10)
    assert reduced.feature_info[-1]["num_chs"] == 80 and reduced.num_features == 640
    assert reduced.features[-1][0].out_channels == 480
    dilated = MobileNetV3("large", dilated=True, num_classes=10).eval()
    assert dilated.feature_info[-1]["reduction"] == 16
    with torch.no_grad():
        assert dilated.forward_features(torch.randn(1, 3, 64, 64)).shape == (1, 960, 4, 4)
    # same parameters as the plain network: dilation changes no weight shape
    plain = MobileNetV3("large", num_classes=10)
    assert [p.shape for p in plain.parameters()] == [p.shape for p in dilated.parameters()]


def test_mobilenet_v3_hidden_layer_is_pre_logits():
    model = create_model("mobilenet_v3_small", num_classes=5).eval()
    assert model.num_features == 1024 and model.get_classifier().in_features == 1024
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        pre = model.forward_head(model.forward_features(x), pre_logits=True)
        torch.testing.assert_close(model.classifier[3](pre), model(x))


def test_stochastic_depth_option_reaches_the_residual_blocks():
    model = MobileNetV2(stochastic_depth_prob=0.3, num_classes=10)
    blocks = [m for m in model.modules() if isinstance(m, InvertedResidual)]
    probs = [b.drop_path.p for b in blocks]
    assert probs[0] == 0.0 and probs == sorted(probs) and max(probs) == pytest.approx(0.3 * 16 / 17)
    assert MobileNetV2(num_classes=10).classifier[0].p == 0.2  # torchvision's default dropout


@pytest.mark.parametrize("name", NAMES)
def test_registry_weights_match_the_published_ones(name):
    spec = model_info(name)
    assert spec.family == "mobilenet"
    assert published_weights_mismatches(spec, load_reference()[name]) == []


def _find_package_file(location: str) -> Path | None:
    pkg, _, rel = location.partition(":")
    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        return None
    return next((Path(b) / rel for b in spec.submodule_search_locations if (Path(b) / rel).is_file()), None)


def test_published_mobilenet_v2_weights_classify_a_real_photo(tmp_path, monkeypatch):
    """torchvision's IMAGENET1K_V1 checkpoint (shipped by a pip package) loads strictly and sees a uniform."""
    from PIL import Image

    spec = model_info("mobilenet_v2")
    weights = spec.get_weights("imagenet")
    package = next(s for s in weights.sources if s.kind == "package")
    if _find_package_file(package.location) is None:
        pytest.skip(f"pip package {package.distribution} (torchvision's mobilenet_v2 weights) is not installed")
    mpl = importlib.util.find_spec("matplotlib")
    photo = Path(mpl.submodule_search_locations[0]) / "mpl-data" / "sample_data" / "grace_hopper.jpg" if mpl else None
    if photo is None or not photo.is_file():
        pytest.skip("matplotlib's sample photo grace_hopper.jpg is not on this machine")
    monkeypatch.setenv("VISTAKIT_HOME", str(tmp_path))  # an empty cache: the file must come from the package

    model = create_model("mobilenet_v2", weights="imagenet").eval()
    t = weights.transform
    img = Image.open(photo).convert("RGB")
    scale = t.resize / min(img.size)
    img = img.resize((round(img.width * scale), round(img.height * scale)), Image.BILINEAR)
    left, top = (img.width - t.crop) // 2, (img.height - t.crop) // 2
    img = img.crop((left, top, left + t.crop, top + t.crop))
    x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
    x = (x - torch.tensor(t.mean)[:, None, None]) / torch.tensor(t.std)[:, None, None]
    with torch.no_grad():
        probs = model(x[None]).softmax(-1)[0]
    top5 = probs.topk(5).indices.tolist()
    assert probs.max() > 0.3  # a confident prediction (random weights give ~0.001)
    assert 652 in top5  # ImageNet class 652: "military uniform" (Grace Hopper in her Navy uniform)
    assert load_reference()["_categories"][652] == "military uniform"
