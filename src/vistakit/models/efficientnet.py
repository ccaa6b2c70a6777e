"""EfficientNet B0-B7 and EfficientNetV2 S/M/L in torchvision's layout.

* Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
  Networks", ICML 2019 (https://arxiv.org/abs/1905.11946).
* Tan & Le, "EfficientNetV2: Smaller Models and Faster Training", ICML 2021
  (https://arxiv.org/abs/2104.00298).

Blocks are :class:`vistakit.layers.InvertedResidual` (MBConv, shared with MobileNetV2/V3)
and :class:`vistakit.layers.FusedMBConv`. A network is a list of :class:`StageConfig`
rows (the papers' tables) plus a few global options (activation, squeeze-excite ratio,
norm layer), so variants without squeeze-excite or with other activations are new
tables and options, not new classes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import torch
from torch import nn

from ..layers import Conv2dNormActivation, FusedMBConv, InvertedResidual, make_divisible
from ._base import ImageClassifier
from ._published import torchvision_weights
from ._registry import ModelSpec, register_model

__all__ = ["EfficientNet", "StageConfig", "efficientnet_b_setting", "efficientnet_v2_setting"]

Layer = Callable[..., nn.Module]


@dataclass(frozen=True)
class StageConfig:
    """One stage (row of the paper's table): ``num_layers`` blocks of one kind.

    Attributes:
        block: "mbconv" (expand 1x1, depthwise kxk, squeeze-excite, project) or
            "fused" (one kxk conv, project).
        expand_ratio: expansion of the first conv relative to the block's input.
        kernel: kernel size of the depthwise (or fused) conv.
        stride: stride of the stage's first block.
        in_channels: input channels of the stage's first block.
        out_channels: output channels of every block.
        num_layers: number of blocks.
    """

    block: str
    expand_ratio: float
    kernel: int
    stride: int
    in_channels: int
    out_channels: int
    num_layers: int

    def scaled(self, width_mult: float, depth_mult: float) -> StageConfig:
        """Compound scaling: channels times ``width_mult`` (multiples of 8), layers times ``depth_mult`` (ceil)."""
        return replace(
            self,
            in_channels=make_divisible(self.in_channels * width_mult, 8),
            out_channels=make_divisible(self.out_channels * width_mult, 8),
            num_layers=int(math.ceil(self.num_layers * depth_mult)),
        )


# EfficientNet-B0 (the paper's Table 1): expand, kernel, stride, in, out, layers
_B0 = (
    (1, 3, 1, 32, 16, 1),
    (6, 3, 2, 16, 24, 2),
    (6, 5, 2, 24, 40, 2),
    (6, 3, 2, 40, 80, 3),
    (6, 5, 1, 80, 112, 3),
    (6, 5, 2, 112, 192, 4),
    (6, 3, 1, 192, 320, 1),
)

# EfficientNetV2 (torchvision's tables, after the official release): kind, expand, kernel, stride, in, out, layers
_V2 = {
    "s": (
        ("fused", 1, 3, 1, 24, 24, 2),
        ("fused", 4, 3, 2, 24, 48, 4),
        ("fused", 4, 3, 2, 48, 64, 4),
        ("mbconv", 4, 3, 2, 64, 128, 6),
        ("mbconv", 6, 3, 1, 128, 160, 9),
        ("mbconv", 6, 3, 2, 160, 256, 15),
    ),
    "m": (
        ("fused", 1, 3, 1, 24, 24, 3),
        ("fused", 4, 3, 2, 24, 48, 5),
        ("fused", 4, 3, 2, 48, 80, 5),
        ("mbconv", 4, 3, 2, 80, 160, 7),
        ("mbconv", 6, 3, 1, 160, 176, 14),
        ("mbconv", 6, 3, 2, 176, 304, 18),
        ("mbconv", 6, 3, 1, 304, 512, 5),
    ),
    "l": (
        ("fused", 1, 3, 1, 32, 32, 4),
        ("fused", 4, 3, 2, 32, 64, 7),
        ("fused", 4, 3, 2, 64, 96, 7),
        ("mbconv", 4, 3, 2, 96, 192, 10),
        ("mbconv", 6, 3, 1, 192, 224, 19),
        ("mbconv", 6, 3, 2, 224, 384, 25),
        ("mbconv", 6, 3, 1, 384, 640, 7),
    ),
}


def efficientnet_b_setting(width_mult: float = 1.0, depth_mult: float = 1.0) -> list[StageConfig]:
    """The B0 table scaled by the compound coefficients (B1: 1.0/1.1, ..., B7: 2.0/3.1)."""
    return [StageConfig("mbconv", *row).scaled(width_mult, depth_mult) for row in _B0]


def efficientnet_v2_setting(size: str) -> list[StageConfig]:
    """The EfficientNetV2 table of ``size`` "s", "m" or "l"."""
    if size not in _V2:
        raise ValueError(f"efficientnet_v2_setting: size must be one of {sorted(_V2)}, got {size!r}")
    return [StageConfig(*row) for row in _V2[size]]


class EfficientNet(ImageClassifier):
    """EfficientNet (B0-B7, V2) in torchvision's layout.

    ``features.0`` is the stem, ``features.1..S`` the stages (one ``nn.Sequential`` of
    blocks each), ``features.S+1`` the 1x1 head conv; ``classifier`` is (dropout, linear).

    Args:
        setting: the stage table.
        num_classes: classifier outputs (0: no classifier, pre-logits out).
        in_chans: input channels.
        dropout: dropout before the classifier.
        stochastic_depth_prob: drop-path probability of the last block; block ``i`` of
            ``n`` drops its residual branch with ``p * i / n`` (in training mode only).
        norm_layer: normalization constructor (BatchNorm eps and momentum differ per variant).
        activation: activation of the stem, the blocks and the head (SiLU in the papers).
        se_ratio: squeeze channels of MBConv blocks relative to the block's input
            channels; 0 for no squeeze-excite.
        stem_channels: stem width; defaults to the first stage's input channels.
        last_channel: head conv width; defaults to 4x the last stage's output.
        padding: padding of the stem and the kxk convs: None (PyTorch's symmetric
            ``(k - 1) // 2``) or "same" (TensorFlow's rule, which TensorFlow-trained
            checkpoints such as EfficientNet-Lite's need; see :class:`vistakit.layers.Conv2dSame`).

    Shape:
        (N, in_chans, H, W) -> (N, num_classes).
    """

    classifier_name = "classifier.1"
    first_conv = "features.0.0"

    def __init__(
        self,
        setting: Sequence[StageConfig],
        *,
        num_classes: int = 1000,
        in_chans: int = 3,
        dropout: float = 0.2,
        stochastic_depth_prob: float = 0.2,
        norm_layer: Layer = nn.BatchNorm2d,
        activation: Layer = nn.SiLU,
        se_ratio: float = 0.25,
        stem_channels: int | None = None,
        last_channel: int | None = None,
        padding: str | None = None,
    ) -> None:
        super().__init__()
        if not setting:
            raise ValueError("EfficientNet: the stage table is empty")
        stem = stem_channels or setting[0].in_channels
        total = sum(s.num_layers for s in setting)
        layers: list[nn.Module] = [
            Conv2dNormActivation(in_chans, stem, 3, 2, padding, norm_layer=norm_layer, activation_layer=activation)
        ]
        self.feature_info = []
        block_id, reduction = 0, 2
        for i, cfg in enumerate(setting):
            stage: list[nn.Module] = []
            for j in range(cfg.num_layers):
                in_ch = cfg.in_channels if j == 0 else cfg.out_channels
                stride = cfg.stride if j == 0 else 1
                expanded = make_divisible(in_ch * cfg.expand_ratio, 8)
                p = stochastic_depth_prob * block_id / total
                if cfg.block == "fused":
                    stage.append(
                        FusedMBConv(
                            in_ch,
                            cfg.out_channels,
                            expanded_channels=expanded,
                            kernel_size=cfg.kernel,
                            stride=stride,
                            activation=activation,
                            norm_layer=norm_layer,
                            drop_path=p,
                            padding=padding,
                        )
                    )
                elif cfg.block == "mbconv":
                    stage.append(
                        InvertedResidual(
                            in_ch,
                            cfg.out_channels,
                            expanded_channels=expanded,
                            kernel_size=cfg.kernel,
                            stride=stride,
                            activation=activation,
                            norm_layer=norm_layer,
                            se_channels=max(1, int(in_ch * se_ratio)) if se_ratio > 0 else 0,
                            se_activation=activation,
                            se_gate=nn.Sigmoid,
                            drop_path=p,
                            padding=padding,
                        )
                    )
                else:
                    raise ValueError(
                        f"EfficientNet: stage {i} has unknown block kind {cfg.block!r}; expected 'mbconv' or 'fused'"
                    )
                block_id += 1
            layers.append(nn.Sequential(*stage))
            reduction *= cfg.stride
            self.feature_info.append(
                {"num_chs": cfg.out_channels, "reduction": reduction, "module": f"features.{i + 1}"}
            )
        self.num_features = last_channel or 4 * setting[-1].out_channels
        layers.append(
            Conv2dNormActivation(
                setting[-1].out_channels, self.num_features, 1, norm_layer=norm_layer, activation_layer=activation
            )
        )
        self.features = nn.Sequential(*layers)
        self.num_classes = num_classes
        self.classifier = nn.Sequential(
            nn.Dropout(dropout, inplace=True),
            nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity(),
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                bound = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -bound, bound)
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_chans, H, W) -> (N, num_features, H / 32, W / 32)."""
        return self.features(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """(N, C, h, w) features -> (N, num_classes), or pooled (N, num_features) when ``pre_logits``."""
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return x if pre_logits else self.classifier(x)

    def group_matcher(self) -> dict[str, Any]:
        last = len(self.features) - 1
        return {
            "stem": r"^features\.0\.",
            "blocks": [rf"^features\.{i}\." for i in range(1, last)],
            "head": rf"^(features\.{last}|classifier)\.",
        }


# --------------------------------------------------------------------------------------------
# Registered variants

_B_PAPER = "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks (Tan & Le, ICML 2019)"
_V2_PAPER = "EfficientNetV2: Smaller Models and Faster Training (Tan & Le, ICML 2021)"
# B5-B7 (weights ported from TensorFlow by lukemelas) and V2 keep TensorFlow's BatchNorm epsilon.
_TF_BN = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
_V2_BN = partial(nn.BatchNorm2d, eps=0.001)


def _b(
    width_mult: float,
    depth_mult: float,
    dropout: float,
    norm_layer: Layer,
    num_classes: int,
    in_chans: int,
    kwargs: dict[str, Any],
) -> EfficientNet:
    kwargs = {"dropout": dropout, "norm_layer": norm_layer, **kwargs}
    return EfficientNet(
        efficientnet_b_setting(width_mult, depth_mult), num_classes=num_classes, in_chans=in_chans, **kwargs
    )


def _v2(size: str, dropout: float, num_classes: int, in_chans: int, kwargs: dict[str, Any]) -> EfficientNet:
    kwargs = {"dropout": dropout, "norm_layer": _V2_BN, "last_channel": 1280, **kwargs}
    return EfficientNet(efficientnet_v2_setting(size), num_classes=num_classes, in_chans=in_chans, **kwargs)


def _tv(
    tag: str,
    enum: str,
    file_name: str,
    top1: float,
    top5: float,
    resize: int,
    crop: int,
    interpolation: str = "bicubic",
    **kw: Any,
):
    return torchvision_weights(
        tag, file_name, enum=enum, top1=top1, top5=top5, resize=resize, crop=crop, interpolation=interpolation, **kw
    )


@register_model(
    ModelSpec(
        name="efficientnet_b0",
        family="efficientnet",
        paper=_B_PAPER,
        num_params=5_288_548,
        gflops=0.38581,
        input_size=224,
        min_size=32,
        weights=(
            _tv(
                "imagenet",
                "EfficientNet_B0_Weights.IMAGENET1K_V1",
                "efficientnet_b0_rwightman-7f5810bc.pth",
                77.692,
                93.532,
                256,
                224,
            ),
        ),
    )
)
def efficientnet_b0(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B0 (width 1.0, depth 1.0; options: ``dropout``, ``stochastic_depth_prob``)."""
    return _b(1.0, 1.0, 0.2, nn.BatchNorm2d, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="efficientnet_b1",
        family="efficientnet",
        paper=_B_PAPER,
        num_params=7_794_184,
        gflops=0.56965,
        input_size=224,
        min_size=32,
        weights=(
            _tv(
                "imagenet",
                "EfficientNet_B1_Weights.IMAGENET1K_V1",
                "efficientnet_b1_rwightman-bac287d4.pth",
                78.642,
                94.186,
                256,
                240,
            ),
            _tv(
                "imagenet_v2",
                "EfficientNet_B1_Weights.IMAGENET1K_V2",
                "efficientnet_b1-c27df63c.pth",
                79.838,
                94.934,
                255,
                240,
                interpolation="bilinear",
            ),
        ),
    )
)
def efficientnet_b1(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B1 (width 1.0, depth 1.1)."""
    return _b(1.0, 1.1, 0.2, nn.BatchNorm2d, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="efficientnet_b2",
        family="efficientnet",
        paper=_B_PAPER,
        num_params=9_109_994,
        gflops=0.65896,
        input_size=224,
        min_size=32,
        weights=(
            _tv(
                "imagenet",
                "EfficientNet_B2_Weights.IMAGENET1K_V1",
                "efficientnet_b2_rwightman-c35c1473.pth",
                80.608,
                95.31,
                288,
                288,
            ),
        ),
    )
)
def efficientnet_b2(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B2 (width 1.1, depth 1.2)."""
    return _b(1.1, 1.2, 0.3, nn.BatchNorm2d, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="efficientnet_b3",
        family="efficientnet",
        paper=_B_PAPER,
        num_params=12_233_232,
        gflops=0.96271,
        input_size=224,
        min_size=32,
        weights=(
            _tv(
                "imagenet",
                "EfficientNet_B3_Weights.IMAGENET1K_V1",
                "efficientnet_b3_rwightman-b3899882.pth",
                82.008,
                96.054,
                320,
                300,
            ),
        ),
    )
)
def efficientnet_b3(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B3 (width 1.2, depth 1.4)."""
    return _b(1.2, 1.4, 0.3, nn.BatchNorm2d, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="efficientnet_b4",
        family="efficientnet",
        paper=_B_PAPER,
        num_params=19_341_616,
        gflops=1.5037,
        input_size=224,
        min_size=32,
        weights=(
            _tv(
                "imagenet",
                "EfficientNet_B4_Weights.IMAGENET1K_V1",
                "efficientnet_b4_rwightman-23ab8bcd.pth",
                83.384,
                96.594,
                384,
                380,
            ),
        ),
    )
)
def efficientnet_b4(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B4 (width 1.4, depth 1.8)."""
    return _b(1.4, 1.8, 0.4, nn.BatchNorm2d, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="efficientnet_b5",
        family="efficientnet",
        paper=_B_PAPER,
        num_params=30_389_784,
        gflops=2.3565,
        input_size=224,
        min_size=32,
        weights=(
            _tv(
                "imagenet",
                "EfficientNet_B5_Weights.IMAGENET1K_V1",
                "efficientnet_b5_lukemelas-1a07897c.pth",
                83.444,
                96.628,
                456,
                456,
            ),
        ),
    )
)
def efficientnet_b5(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B5 (width 1.6, depth 2.2; BatchNorm eps 1e-3)."""
    return _b(1.6, 2.2, 0.4, _TF_BN, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="efficientnet_b6",
        family="efficientnet",
        paper=_B_PAPER,
        num_params=43_040_704,
        gflops=3.3602,
        input_size=224,
        min_size=32,
        weights=(
            _tv(
                "imagenet",
                "EfficientNet_B6_Weights.IMAGENET1K_V1",
                "efficientnet_b6_lukemelas-24a108a5.pth",
                84.008,
                96.916,
                528,
                528,
            ),
        ),
    )
)
def efficientnet_b6(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B6 (width 1.8, depth 2.6; BatchNorm eps 1e-3)."""
    return _b(1.8, 2.6, 0.5, _TF_BN, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="efficientnet_b7",
        family="efficientnet",
        paper=_B_PAPER,
        num_params=66_347_960,
        gflops=5.1699,
        input_size=224,
        min_size=32,
        weights=(
            _tv(
                "imagenet",
                "EfficientNet_B7_Weights.IMAGENET1K_V1",
                "efficientnet_b7_lukemelas-c5b4e57e.pth",
                84.122,
                96.908,
                600,
                600,
            ),
        ),
    )
)
def efficientnet_b7(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNet-B7 (width 2.0, depth 3.1; BatchNorm eps 1e-3)."""
    return _b(2.0, 3.1, 0.5, _TF_BN, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="efficientnet_v2_s",
        family="efficientnet",
        paper=_V2_PAPER,
        num_params=21_458_488,
        gflops=2.8499,
        input_size=224,
        min_size=32,
        weights=(
            _tv(
                "imagenet",
                "EfficientNet_V2_S_Weights.IMAGENET1K_V1",
                "efficientnet_v2_s-dd5fe13b.pth",
                84.228,
                96.878,
                384,
                384,
                interpolation="bilinear",
            ),
        ),
    )
)
def efficientnet_v2_s(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNetV2-S (BatchNorm eps 1e-3; options: ``dropout``, ``stochastic_depth_prob``)."""
    return _v2("s", 0.2, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="efficientnet_v2_m",
        family="efficientnet",
        paper=_V2_PAPER,
        num_params=54_139_356,
        gflops=5.3622,
        input_size=224,
        min_size=32,
        weights=(
            _tv(
                "imagenet",
                "EfficientNet_V2_M_Weights.IMAGENET1K_V1",
                "efficientnet_v2_m-dc08266a.pth",
                85.112,
                97.156,
                480,
                480,
                interpolation="bilinear",
            ),
        ),
    )
)
def efficientnet_v2_m(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNetV2-M (BatchNorm eps 1e-3)."""
    return _v2("m", 0.3, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="efficientnet_v2_l",
        family="efficientnet",
        paper=_V2_PAPER,
        num_params=118_515_272,
        gflops=12.231,
        input_size=224,
        min_size=32,
        weights=(
            _tv(
                "imagenet",
                "EfficientNet_V2_L_Weights.IMAGENET1K_V1",
                "efficientnet_v2_l-59c71312.pth",
                85.808,
                97.788,
                480,
                480,
                mean=(0.5, 0.5, 0.5),
                std=(0.5, 0.5, 0.5),
            ),
        ),
    )
)
def efficientnet_v2_l(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNetV2-L (BatchNorm eps 1e-3; weights evaluated with mean = std = 0.5)."""
    return _v2("l", 0.4, num_classes, in_chans, kwargs)
