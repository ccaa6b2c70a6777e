"""Inception v4 and Inception-ResNet v2, in timm's layout.

Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of Residual
Connections on Learning" (AAAI 2017). The published checkpoints (timm's ports of
Google's TensorFlow weights, ``timm/inception_v4.tf_in1k`` and
``timm/inception_resnet_v2.tf_in1k``) load unchanged. These weights expect inputs
normalized with mean = std = 0.5 (i.e. scaled to [-1, 1]), as their
:class:`EvalTransform` records. Unlike GoogLeNet and Inception v3 (``inception.py``),
neither network has auxiliary heads.

The average pools of the pool branches leave the zero padding out of the average
(``count_include_pad=False``), as TensorFlow does and as the weights expect.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._base import ImageClassifier
from ._registry import EvalTransform, ModelSpec, Weights, WeightsLocation, register_model
from .inception import conv_bn

__all__ = ["InceptionResNetV2", "InceptionV4", "inception_resnet_v2", "inception_v4"]

_PAPER = "Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning (Szegedy et al., AAAI 2017)"
_INCEPTION_MEAN = (0.5, 0.5, 0.5)
_INCEPTION_STD = (0.5, 0.5, 0.5)


def _avg_pool_branch(in_channels: int, out_channels: int) -> nn.Sequential:
    """3x3 average pool (padding not counted) then 1x1 conv: keys ``1.conv``, ``1.bn``."""
    return nn.Sequential(
        nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False), conv_bn(in_channels, out_channels, 1)
    )


class _Concat(nn.Module):
    """Runs every child module (the branches) on one input and concatenates them, in registration order."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.children()], 1)


# --------------------------------------------------------------------------------------------
# Inception v4


class Mixed3a(_Concat):
    """Stem split: 3x3/2 max pool beside a 3x3/2 conv. (N, 64, H, W) -> (N, 160, H', W')."""

    def __init__(self) -> None:
        super().__init__()
        self.maxpool = nn.MaxPool2d(3, stride=2)
        self.conv = conv_bn(64, 96, 3, stride=2)


class Mixed4a(_Concat):
    """Stem split: 1x1->3x3 beside 1x1->1x7->7x1->3x3, both unpadded. (N, 160, H, W) -> (N, 192, H-2, W-2)."""

    def __init__(self) -> None:
        super().__init__()
        self.branch0 = nn.Sequential(conv_bn(160, 64, 1), conv_bn(64, 96, 3))
        self.branch1 = nn.Sequential(
            conv_bn(160, 64, 1),
            conv_bn(64, 64, (1, 7), padding=(0, 3)),
            conv_bn(64, 64, (7, 1), padding=(3, 0)),
            conv_bn(64, 96, 3),
        )


class Mixed5a(_Concat):
    """Stem split: 3x3/2 conv beside a 3x3/2 max pool. (N, 192, H, W) -> (N, 384, H', W')."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = conv_bn(192, 192, 3, stride=2)
        self.maxpool = nn.MaxPool2d(3, stride=2)


class InceptionA(_Concat):
    """Inception-A (35x35 grid). (N, 384, H, W) -> (N, 384, H, W)."""

    def __init__(self) -> None:
        super().__init__()
        self.branch0 = conv_bn(384, 96, 1)
        self.branch1 = nn.Sequential(conv_bn(384, 64, 1), conv_bn(64, 96, 3, padding=1))
        self.branch2 = nn.Sequential(conv_bn(384, 64, 1), conv_bn(64, 96, 3, padding=1), conv_bn(96, 96, 3, padding=1))
        self.branch3 = _avg_pool_branch(384, 96)


class ReductionA(_Concat):
    """Reduction-A (35 -> 17). (N, 384, H, W) -> (N, 1024, H', W')."""

    def __init__(self) -> None:
        super().__init__()
        self.branch0 = conv_bn(384, 384, 3, stride=2)
        self.branch1 = nn.Sequential(
            conv_bn(384, 192, 1), conv_bn(192, 224, 3, padding=1), conv_bn(224, 256, 3, stride=2)
        )
        self.branch2 = nn.MaxPool2d(3, stride=2)


class InceptionB(_Concat):
    """Inception-B (17x17 grid), factorized 7x7. (N, 1024, H, W) -> (N, 1024, H, W)."""

    def __init__(self) -> None:
        super().__init__()
        self.branch0 = conv_bn(1024, 384, 1)
        self.branch1 = nn.Sequential(
            conv_bn(1024, 192, 1),
            conv_bn(192, 224, (1, 7), padding=(0, 3)),
            conv_bn(224, 256, (7, 1), padding=(3, 0)),
        )
        self.branch2 = nn.Sequential(
            conv_bn(1024, 192, 1),
            conv_bn(192, 192, (7, 1), padding=(3, 0)),
            conv_bn(192, 224, (1, 7), padding=(0, 3)),
            conv_bn(224, 224, (7, 1), padding=(3, 0)),
            conv_bn(224, 256, (1, 7), padding=(0, 3)),
        )
        self.branch3 = _avg_pool_branch(1024, 128)


class ReductionB(_Concat):
    """Reduction-B (17 -> 8). (N, 1024, H, W) -> (N, 1536, H', W')."""

    def __init__(self) -> None:
        super().__init__()
        self.branch0 = nn.Sequential(conv_bn(1024, 192, 1), conv_bn(192, 192, 3, stride=2))
        self.branch1 = nn.Sequential(
            conv_bn(1024, 256, 1),
            conv_bn(256, 256, (1, 7), padding=(0, 3)),
            conv_bn(256, 320, (7, 1), padding=(3, 0)),
            conv_bn(320, 320, 3, stride=2),
        )
        self.branch2 = nn.MaxPool2d(3, stride=2)


class InceptionC(nn.Module):
    """Inception-C (8x8 grid), with 1x3 / 3x1 splits. (N, 1536, H, W) -> (N, 1536, H, W)."""

    def __init__(self) -> None:
        super().__init__()
        self.branch0 = conv_bn(1536, 256, 1)
        self.branch1_0 = conv_bn(1536, 384, 1)
        self.branch1_1a = conv_bn(384, 256, (1, 3), padding=(0, 1))
        self.branch1_1b = conv_bn(384, 256, (3, 1), padding=(1, 0))
        self.branch2_0 = conv_bn(1536, 384, 1)
        self.branch2_1 = conv_bn(384, 448, (3, 1), padding=(1, 0))
        self.branch2_2 = conv_bn(448, 512, (1, 3), padding=(0, 1))
        self.branch2_3a = conv_bn(512, 256, (1, 3), padding=(0, 1))
        self.branch2_3b = conv_bn(512, 256, (3, 1), padding=(1, 0))
        self.branch3 = _avg_pool_branch(1536, 256)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.branch1_0(x)
        x2 = self.branch2_2(self.branch2_1(self.branch2_0(x)))
        return torch.cat(
            [
                self.branch0(x),
                self.branch1_1a(x1),
                self.branch1_1b(x1),
                self.branch2_3a(x2),
                self.branch2_3b(x2),
                self.branch3(x),
            ],
            1,
        )


class InceptionV4(ImageClassifier):
    """Inception v4: a stem, 4 x Inception-A, Reduction-A, 7 x Inception-B, Reduction-B, 3 x Inception-C.

    Everything before the head is one ``features`` Sequential (timm's layout).

    Args:
        num_classes: classifier outputs (0: no classifier, pre-logits out).
        in_chans: input channels.
        drop_rate: dropout before the classifier.

    Shape:
        (N, in_chans, H, W) -> (N, num_classes)
    """

    classifier_name = "last_linear"
    first_conv = "features.0.conv"

    def __init__(self, *, num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.num_features = 1536
        self.features = nn.Sequential(
            conv_bn(in_chans, 32, 3, stride=2),
            conv_bn(32, 32, 3),
            conv_bn(32, 64, 3, padding=1),
            Mixed3a(),
            Mixed4a(),
            Mixed5a(),
            *[InceptionA() for _ in range(4)],
            ReductionA(),  # Mixed_6a
            *[InceptionB() for _ in range(7)],
            ReductionB(),  # Mixed_7a
            *[InceptionC() for _ in range(3)],
        )
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.head_drop = nn.Dropout(drop_rate)
        self.last_linear = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        self.feature_info = [
            dict(num_chs=64, reduction=2, module="features.2"),
            dict(num_chs=160, reduction=4, module="features.3"),
            dict(num_chs=384, reduction=8, module="features.9"),
            dict(num_chs=1024, reduction=16, module="features.17"),
            dict(num_chs=1536, reduction=32, module="features.21"),
        ]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_chans, H, W) -> (N, 1536, h, w), h = 8 at 299."""
        return self.features(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """(N, 1536, h, w) -> (N, num_classes) logits, or (N, 1536) when ``pre_logits``."""
        x = self.head_drop(torch.flatten(self.global_pool(x), 1))
        return x if pre_logits else self.last_linear(x)

    def group_matcher(self) -> dict[str, Any]:
        # stages end where feature_info points: features.3, .9, .17, .21
        return {
            "stem": r"^features\.[012]\.",
            "blocks": [r"^features\.3\.", r"^features\.[4-9]\.", r"^features\.1[0-7]\.", r"^features\.(1[89]|2[01])\."],
            "head": r"^last_linear\.",
        }


# --------------------------------------------------------------------------------------------
# Inception-ResNet v2


class Mixed5b(_Concat):
    """Stem end (35x35 grid): 1x1, 5x5, double 3x3 and pool branches. (N, 192, H, W) -> (N, 320, H, W)."""

    def __init__(self) -> None:
        super().__init__()
        self.branch0 = conv_bn(192, 96, 1)
        self.branch1 = nn.Sequential(conv_bn(192, 48, 1), conv_bn(48, 64, 5, padding=2))
        self.branch2 = nn.Sequential(conv_bn(192, 64, 1), conv_bn(64, 96, 3, padding=1), conv_bn(96, 96, 3, padding=1))
        self.branch3 = _avg_pool_branch(192, 64)


class _ResidualInception(nn.Module):
    """``relu(x + scale * conv2d(concat(branches(x))))``.

    Args:
        branches: the parallel branches, registered in order under their names.
        channels: input (= output) channels.
        scale: residual scaling.
        relu: apply the final ReLU.
    """

    def __init__(self, branches: dict[str, nn.Module], channels: int, *, scale: float, relu: bool = True) -> None:
        super().__init__()
        for name, module in branches.items():
            self.add_module(name, module)
        self.branch_names = tuple(branches)
        concat_channels = sum(_out_channels(m) for m in branches.values())
        self.conv2d = nn.Conv2d(concat_channels, channels, 1)  # with bias, no norm: the residual projection
        self.relu = nn.ReLU() if relu else nn.Identity()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv2d(torch.cat([getattr(self, name)(x) for name in self.branch_names], 1))
        return self.relu(out * self.scale + x)

    def extra_repr(self) -> str:
        return f"scale={self.scale}"


def _out_channels(branch: nn.Module) -> int:
    last = branch[-1] if isinstance(branch, nn.Sequential) else branch
    return last.out_channels


class Block35(_ResidualInception):
    """Inception-ResNet-A (35x35 grid). (N, 320, H, W) -> (N, 320, H, W)."""

    def __init__(self, *, scale: float = 1.0) -> None:
        super().__init__(
            {
                "branch0": conv_bn(320, 32, 1),
                "branch1": nn.Sequential(conv_bn(320, 32, 1), conv_bn(32, 32, 3, padding=1)),
                "branch2": nn.Sequential(
                    conv_bn(320, 32, 1), conv_bn(32, 48, 3, padding=1), conv_bn(48, 64, 3, padding=1)
                ),
            },
            320,
            scale=scale,
        )


class Mixed6a(_Concat):
    """Reduction-A (35 -> 17). (N, 320, H, W) -> (N, 1088, H', W')."""

    def __init__(self) -> None:
        super().__init__()
        self.branch0 = conv_bn(320, 384, 3, stride=2)
        self.branch1 = nn.Sequential(
            conv_bn(320, 256, 1), conv_bn(256, 256, 3, padding=1), conv_bn(256, 384, 3, stride=2)
        )
        self.branch2 = nn.MaxPool2d(3, stride=2)


class Block17(_ResidualInception):
    """Inception-ResNet-B (17x17 grid). (N, 1088, H, W) -> (N, 1088, H, W)."""

    def __init__(self, *, scale: float = 1.0) -> None:
        super().__init__(
            {
                "branch0": conv_bn(1088, 192, 1),
                "branch1": nn.Sequential(
                    conv_bn(1088, 128, 1),
                    conv_bn(128, 160, (1, 7), padding=(0, 3)),
                    conv_bn(160, 192, (7, 1), padding=(3, 0)),
                ),
            },
            1088,
            scale=scale,
        )


class Mixed7a(_Concat):
    """Reduction-B (17 -> 8). (N, 1088, H, W) -> (N, 2080, H', W')."""

    def __init__(self) -> None:
        super().__init__()
        self.branch0 = nn.Sequential(conv_bn(1088, 256, 1), conv_bn(256, 384, 3, stride=2))
        self.branch1 = nn.Sequential(conv_bn(1088, 256, 1), conv_bn(256, 288, 3, stride=2))
        self.branch2 = nn.Sequential(
            conv_bn(1088, 256, 1), conv_bn(256, 288, 3, padding=1), conv_bn(288, 320, 3, stride=2)
        )
        self.branch3 = nn.MaxPool2d(3, stride=2)


class Block8(_ResidualInception):
    """Inception-ResNet-C (8x8 grid). (N, 2080, H, W) -> (N, 2080, H, W); the last one has no ReLU."""

    def __init__(self, *, scale: float = 1.0, relu: bool = True) -> None:
        super().__init__(
            {
                "branch0": conv_bn(2080, 192, 1),
                "branch1": nn.Sequential(
                    conv_bn(2080, 192, 1),
                    conv_bn(192, 224, (1, 3), padding=(0, 1)),
                    conv_bn(224, 256, (3, 1), padding=(1, 0)),
                ),
            },
            2080,
            scale=scale,
            relu=relu,
        )


class InceptionResNetV2(ImageClassifier):
    """Inception-ResNet v2: stem, 10 x Block35 (scale 0.17), Reduction-A, 20 x Block17 (0.10),
    Reduction-B, 9 x Block8 (0.20) and a last Block8 without ReLU, then a 1x1 conv to 1536.

    Args:
        num_classes: classifier outputs (0: no classifier, pre-logits out).
        in_chans: input channels.
        drop_rate: dropout before the classifier.

    Shape:
        (N, in_chans, H, W) -> (N, num_classes)
    """

    classifier_name = "classif"
    first_conv = "conv2d_1a.conv"

    def __init__(self, *, num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0.0) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.num_features = 1536
        self.conv2d_1a = conv_bn(in_chans, 32, 3, stride=2)
        self.conv2d_2a = conv_bn(32, 32, 3)
        self.conv2d_2b = conv_bn(32, 64, 3, padding=1)
        self.maxpool_3a = nn.MaxPool2d(3, stride=2)
        self.conv2d_3b = conv_bn(64, 80, 1)
        self.conv2d_4a = conv_bn(80, 192, 3)
        self.maxpool_5a = nn.MaxPool2d(3, stride=2)
        self.mixed_5b = Mixed5b()
        self.repeat = nn.Sequential(*[Block35(scale=0.17) for _ in range(10)])
        self.mixed_6a = Mixed6a()
        self.repeat_1 = nn.Sequential(*[Block17(scale=0.10) for _ in range(20)])
        self.mixed_7a = Mixed7a()
        self.repeat_2 = nn.Sequential(*[Block8(scale=0.20) for _ in range(9)])
        self.block8 = Block8(relu=False)
        self.conv2d_7b = conv_bn(2080, self.num_features, 1)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.head_drop = nn.Dropout(drop_rate)
        self.classif = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        self.feature_info = [
            dict(num_chs=64, reduction=2, module="conv2d_2b"),
            dict(num_chs=192, reduction=4, module="conv2d_4a"),
            dict(num_chs=320, reduction=8, module="repeat"),
            dict(num_chs=1088, reduction=16, module="repeat_1"),
            dict(num_chs=1536, reduction=32, module="conv2d_7b"),
        ]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_chans, H, W) -> (N, 1536, h, w), h = 8 at 299."""
        x = self.conv2d_2b(self.conv2d_2a(self.conv2d_1a(x)))
        x = self.conv2d_4a(self.conv2d_3b(self.maxpool_3a(x)))
        x = self.repeat(self.mixed_5b(self.maxpool_5a(x)))
        x = self.repeat_1(self.mixed_6a(x))
        x = self.block8(self.repeat_2(self.mixed_7a(x)))
        return self.conv2d_7b(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """(N, 1536, h, w) -> (N, num_classes) logits, or (N, 1536) when ``pre_logits``."""
        x = self.head_drop(torch.flatten(self.global_pool(x), 1))
        return x if pre_logits else self.classif(x)

    def group_matcher(self) -> dict[str, Any]:
        return {
            "stem": r"^conv2d_(1a|2a|2b|3b|4a)\.",
            "blocks": [r"^(mixed_5b|repeat)\.", r"^(mixed_6a|repeat_1)\.", r"^(mixed_7a|repeat_2|block8|conv2d_7b)\."],
            "head": r"^classif\.",
        }


# --------------------------------------------------------------------------------------------
# Builders


def _timm_hub(name: str, tag: str) -> tuple[str, tuple[WeightsLocation, ...]]:
    """(file name, sources) of a timm checkpoint on the Hugging Face hub."""
    return (
        f"{name}.{tag}.safetensors",
        (WeightsLocation("url", f"https://huggingface.co/timm/{name}.{tag}/resolve/main/model.safetensors"),),
    )


_V4_FILE, _V4_SOURCES = _timm_hub("inception_v4", "tf_in1k")
_IRV2_FILE, _IRV2_SOURCES = _timm_hub("inception_resnet_v2", "tf_in1k")


@register_model(
    ModelSpec(
        name="inception_v4",
        family="inception",
        paper=_PAPER,
        num_params=42_679_816,
        gflops=12.254,
        input_size=299,
        min_size=75,
        weights=(
            Weights(
                tag="imagenet",
                file_name=_V4_FILE,
                sha256="",
                sources=_V4_SOURCES,
                top1=80.156,
                top5=94.968,
                # timm: crop_pct 0.875 -> resize floor(299 / 0.875) = 341
                transform=EvalTransform(
                    resize=341, crop=299, interpolation="bicubic", mean=_INCEPTION_MEAN, std=_INCEPTION_STD
                ),
                license="apache-2.0",
                origin="timm inception_v4.tf_in1k (ported from TensorFlow)",
            ),
        ),
    )
)
def inception_v4(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> InceptionV4:
    """Inception v4; options as :class:`InceptionV4`."""
    return InceptionV4(num_classes=num_classes, in_chans=in_chans, **kwargs)


@register_model(
    ModelSpec(
        name="inception_resnet_v2",
        family="inception",
        paper=_PAPER,
        num_params=55_843_464,
        gflops=13.156,
        input_size=299,
        min_size=75,
        weights=(
            Weights(
                tag="imagenet",
                file_name=_IRV2_FILE,
                sha256="",
                sources=_IRV2_SOURCES,
                top1=80.462,
                top5=95.308,
                # timm: crop_pct 0.8975 -> resize floor(299 / 0.8975) = 333
                transform=EvalTransform(
                    resize=333, crop=299, interpolation="bicubic", mean=_INCEPTION_MEAN, std=_INCEPTION_STD
                ),
                license="apache-2.0",
                origin="timm inception_resnet_v2.tf_in1k (ported from TensorFlow)",
            ),
        ),
    )
)
def inception_resnet_v2(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> InceptionResNetV2:
    """Inception-ResNet v2; options as :class:`InceptionResNetV2`."""
    return InceptionResNetV2(num_classes=num_classes, in_chans=in_chans, **kwargs)
