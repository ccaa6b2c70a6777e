"""A tiny classifier registered for one test (through monkeypatch, so the registry is restored after),
with a published-style weights entry whose file sits in the test's cache."""

from __future__ import annotations

import torch
from torch import nn

from vistakit._download import file_hash
from vistakit.models import EvalTransform, ImageClassifier, ModelSpec, Weights, WeightsLocation, _registry

NAME = "_tiny_embed_net"
# Deliberately unlike the default: bicubic, a 40 -> 32 crop and its own mean/std,
# so the tests can tell which preprocessing was used.
TOY_TRANSFORM = EvalTransform(resize=40, crop=32, interpolation="bicubic", mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.3))


class TinyNet(ImageClassifier):
    classifier_name = "fc"
    first_conv = "conv1"

    def __init__(self, num_classes: int = 5, in_chans: int = 3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_chans, 8, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = nn.Linear(16, num_classes)
        self.num_classes, self.num_features = num_classes, 16
        self.feature_info = [dict(num_chs=16, reduction=4, module="conv2")]

    def forward_features(self, x):
        return torch.tanh(self.conv2(torch.tanh(self.conv1(x))))

    def forward_head(self, x, pre_logits=False):
        x = x.mean((2, 3))
        return x if pre_logits else self.fc(x)

    def group_matcher(self):
        return {"stem": r"^conv1\.", "blocks": [r"^conv2\."], "head": r"^fc\."}


def tiny_builder(*, num_classes: int = 1000, in_chans: int = 3, **kwargs) -> TinyNet:
    return TinyNet(num_classes=num_classes, in_chans=in_chans, **kwargs)


def trained_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """Weights unlike any random init (fixed seed), as a published checkpoint would be."""
    torch.manual_seed(seed)
    return TinyNet(num_classes=1000).state_dict()


def register_tiny(monkeypatch, tmp_path) -> str:
    """Register NAME with weights 'toy' (file in the cache, sha256 published) for this test only."""
    home = tmp_path / "vistakit-home"
    monkeypatch.setenv("VISTAKIT_HOME", str(home))
    src = tmp_path / "tiny-toy.pth"
    torch.save(trained_state(), src)
    weights = Weights(
        tag="toy",
        file_name="tiny-toy.pth",
        sha256=file_hash(src),
        sources=(WeightsLocation("url", "file:///nonexistent/tiny-toy.pth"),),
        transform=TOY_TRANSFORM,
    )
    (home / "weights").mkdir(parents=True)
    (home / "weights" / "tiny-toy.pth").write_bytes(src.read_bytes())
    spec = ModelSpec(name=NAME, family="tiny", paper="-", num_params=0, gflops=0.0, input_size=48, weights=(weights,))
    monkeypatch.setitem(_registry._SPECS, NAME, spec)
    monkeypatch.setitem(_registry._BUILDERS, NAME, tiny_builder)
    return NAME
