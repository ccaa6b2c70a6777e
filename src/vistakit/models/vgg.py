"""VGG (Simonyan & Zisserman, 2015, "Very Deep Convolutional Networks for Large-Scale Image Recognition").

torchvision's layout: ``features`` (3x3 convolutions, optionally batch-normalized, and
five 2x2 max pools), a 7x7 adaptive average pool, and a three-layer ``classifier``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._base import ImageClassifier
from ._published import torchvision_weights
from ._registry import ModelSpec, register_model

# conv widths per configuration; "M" is a 2x2 max pool (the paper's configurations A, B, D, E)
_CONFIGS: dict[str, list[int | str]] = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class VGG(ImageClassifier):
    """VGG.

    Args:
        config: conv widths, "M" for a max pool (see ``_CONFIGS``).
        batch_norm: a BatchNorm after every convolution (the ``_bn`` variants).
        num_classes: classifier outputs (0: none, pre-logits out).
        in_chans: input channels.
        drop_rate: dropout after each of the two hidden linear layers (0.5 as published).

    Shape:
        (N, in_chans, H, W) -> (N, num_classes), H and W at least 32.
    """

    classifier_name = "classifier.6"
    first_conv = "features.0"

    def __init__(
        self,
        config: list[int | str],
        *,
        batch_norm: bool = False,
        num_classes: int = 1000,
        in_chans: int = 3,
        drop_rate: float = 0.5,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.num_features = 4096
        layers: list[nn.Module] = []
        self.feature_info = []
        stages: list[list[int]] = [[]]  # indices of the parametrized layers, per resolution
        channels = in_chans
        for width in config:
            if width == "M":
                layers.append(nn.MaxPool2d(2, 2))
                self.feature_info.append(
                    {
                        "num_chs": channels,
                        "reduction": 2 ** (len(self.feature_info) + 1),
                        "module": f"features.{len(layers) - 1}",
                    }
                )
                stages.append([])
                continue
            stages[-1].append(len(layers))
            layers.append(nn.Conv2d(channels, int(width), 3, padding=1))
            if batch_norm:
                stages[-1].append(len(layers))
                layers.append(nn.BatchNorm2d(int(width)))
            layers.append(nn.ReLU(inplace=True))
            channels = int(width)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(channels * 7 * 7, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(drop_rate),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(drop_rate),
            nn.Linear(4096, num_classes) if num_classes > 0 else nn.Identity(),
        )
        # stem: the first convolution (and its norm); then one group per resolution
        stem = stages[0][: 2 if batch_norm else 1]
        stages[0] = stages[0][len(stem) :]
        self._stem_indices = stem
        self._stage_indices = [s for s in stages if s]
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, 512, H / 32, W / 32)."""
        return self.features(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """(N, 512, h, w) -> (N, num_classes), or (N, 4096) after the second hidden layer."""
        x = torch.flatten(self.avgpool(x), 1)
        x = self.classifier[:-1](x)
        return x if pre_logits else self.classifier[-1](x)

    def group_matcher(self) -> dict[str, Any]:
        def rx(indices: list[int]) -> str:
            return rf"^features\.({'|'.join(map(str, indices))})\."

        return {
            "stem": rx(self._stem_indices),
            "blocks": [rx(s) for s in self._stage_indices],
            "head": r"^classifier\.",
        }


_PAPER = "Simonyan & Zisserman, 2015, Very Deep Convolutional Networks for Large-Scale Image Recognition"


def _vgg(name: str, batch_norm: bool, num_classes: int, in_chans: int, kwargs: dict[str, Any]) -> VGG:
    return VGG(_CONFIGS[name], batch_norm=batch_norm, num_classes=num_classes, in_chans=in_chans, **kwargs)


@register_model(
    ModelSpec(
        name="vgg11",
        family="vgg",
        paper=_PAPER,
        num_params=132863336,
        gflops=7.6091,
        min_size=32,
        weights=(
            torchvision_weights(
                "imagenet", "vgg11-8a719046.pth", enum="VGG11_Weights.IMAGENET1K_V1", top1=69.02, top5=88.628
            ),
        ),
    )
)
def vgg11(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> VGG:
    """VGG-11 (configuration A)."""
    return _vgg("vgg11", False, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="vgg13",
        family="vgg",
        paper=_PAPER,
        num_params=133047848,
        gflops=11.308,
        min_size=32,
        weights=(
            torchvision_weights(
                "imagenet", "vgg13-19584684.pth", enum="VGG13_Weights.IMAGENET1K_V1", top1=69.928, top5=89.246
            ),
        ),
    )
)
def vgg13(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> VGG:
    """VGG-13 (configuration B)."""
    return _vgg("vgg13", False, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="vgg16",
        family="vgg",
        paper=_PAPER,
        num_params=138357544,
        gflops=15.47,
        min_size=32,
        weights=(
            torchvision_weights(
                "imagenet", "vgg16-397923af.pth", enum="VGG16_Weights.IMAGENET1K_V1", top1=71.592, top5=90.382
            ),
            # Features only (ported from the original Caffe VGG-16 for SSD by amdegroot): the
            # classifier holds NaN, so these are for feature extraction; inputs in 0..255 scale.
            torchvision_weights(
                "imagenet_features",
                "vgg16_features-amdegroot-88682ab5.pth",
                enum="VGG16_Weights.IMAGENET1K_FEATURES",
                top1=None,
                top5=None,
                mean=(0.48235, 0.45882, 0.40784),
                std=(1 / 255, 1 / 255, 1 / 255),
            ),
        ),
    )
)
def vgg16(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> VGG:
    """VGG-16 (configuration D)."""
    return _vgg("vgg16", False, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="vgg19",
        family="vgg",
        paper=_PAPER,
        num_params=143667240,
        gflops=19.632,
        min_size=32,
        weights=(
            torchvision_weights(
                "imagenet", "vgg19-dcbb9e9d.pth", enum="VGG19_Weights.IMAGENET1K_V1", top1=72.376, top5=90.876
            ),
        ),
    )
)
def vgg19(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> VGG:
    """VGG-19 (configuration E)."""
    return _vgg("vgg19", False, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="vgg11_bn",
        family="vgg",
        paper=_PAPER,
        num_params=132868840,
        gflops=7.6091,
        min_size=32,
        weights=(
            torchvision_weights(
                "imagenet", "vgg11_bn-6002323d.pth", enum="VGG11_BN_Weights.IMAGENET1K_V1", top1=70.37, top5=89.81
            ),
        ),
    )
)
def vgg11_bn(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> VGG:
    """VGG-11 with batch normalization."""
    return _vgg("vgg11", True, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="vgg13_bn",
        family="vgg",
        paper=_PAPER,
        num_params=133053736,
        gflops=11.308,
        min_size=32,
        weights=(
            torchvision_weights(
                "imagenet", "vgg13_bn-abd245e5.pth", enum="VGG13_BN_Weights.IMAGENET1K_V1", top1=71.586, top5=90.374
            ),
        ),
    )
)
def vgg13_bn(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> VGG:
    """VGG-13 with batch normalization."""
    return _vgg("vgg13", True, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="vgg16_bn",
        family="vgg",
        paper=_PAPER,
        num_params=138365992,
        gflops=15.47,
        min_size=32,
        weights=(
            torchvision_weights(
                "imagenet", "vgg16_bn-6c64b313.pth", enum="VGG16_BN_Weights.IMAGENET1K_V1", top1=73.36, top5=91.516
            ),
        ),
    )
)
def vgg16_bn(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> VGG:
    """VGG-16 with batch normalization."""
    return _vgg("vgg16", True, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="vgg19_bn",
        family="vgg",
        paper=_PAPER,
        num_params=143678248,
        gflops=19.632,
        min_size=32,
        weights=(
            torchvision_weights(
                "imagenet", "vgg19_bn-c79401a0.pth", enum="VGG19_BN_Weights.IMAGENET1K_V1", top1=74.218, top5=91.842
            ),
        ),
    )
)
def vgg19_bn(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> VGG:
    """VGG-19 with batch normalization."""
    return _vgg("vgg19", True, num_classes, in_chans, kwargs)
