"""ResNet, ResNeXt, Wide ResNet and SE-ResNe(X)t.

Papers: He et al., 2016 ("Deep Residual Learning for Image Recognition"); Xie et al., 2017
(ResNeXt, grouped 3x3 convolutions); Zagoruyko & Komodakis, 2016 (Wide ResNet, twice the
bottleneck width); Hu et al., 2018 (squeeze-and-excitation in every block).

The layout is torchvision's (``conv1``, ``bn1``, ``layer1``..``layer4``, ``fc``; stride in the
3x3 convolution, "ResNet v1.5"), which timm's ResNet shares; the SE variants carry timm's
``se`` module after the last norm of each block. The :class:`ResNet` network also carries
the blocks of SKNet (``models/sknet.py``) and ResNeSt (``models/resnest.py``), with timm's
deep stem and average-pool shortcut for the latter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import DropPath, SqueezeExcite, make_divisible
from ._base import ImageClassifier
from ._published import timm_hub_weights, torchvision_weights
from ._registry import ModelSpec, register_model

SeFactory = Callable[[int], nn.Module]


def timm_se(channels: int) -> SqueezeExcite:
    """timm's ``SEModule`` for ResNets: squeeze to ``channels / 16`` rounded to a multiple of 8."""
    return SqueezeExcite(channels, make_divisible(channels / 16, 8, round_limit=0.0))


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN pairs and an identity (or projected) shortcut: ResNet-18/34.

    Args:
        inplanes: input channels.
        planes: output channels.
        stride: stride of the first convolution.
        downsample: shortcut projection when shape changes, else None.
        groups: must be 1 (kept for a uniform block signature).
        base_width: must be 64.
        se_layer: squeeze-excitation constructor taking the channel count, or None.
        drop_path: stochastic-depth probability of the residual branch.

    Shape:
        (N, inplanes, H, W) -> (N, planes, H / stride, W / stride)
    """

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        *,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        se_layer: SeFactory | None = None,
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError(f"BasicBlock supports only groups=1 and base_width=64, got {groups} and {base_width}")
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.se = se_layer(planes) if se_layer is not None else nn.Identity()
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.downsample = downsample
        self.act = nn.ReLU(inplace=True)

    def zero_init_last(self) -> None:
        """Zero the last BN scale, so the block starts as the identity."""
        nn.init.zeros_(self.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.act(self.bn1(self.conv1(x)))
        out = self.se(self.bn2(self.conv2(out)))
        return self.act(self.drop_path(out) + shortcut)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (grouped for ResNeXt, strided), 1x1 expand by 4, plus the shortcut.

    The 3x3 width is ``int(planes * base_width / 64) * groups``: ResNeXt-50 32x4d has
    ``groups=32, base_width=4``; Wide ResNet-50-2 has ``base_width=128``.

    Args: as :class:`BasicBlock`, with ``groups`` (cardinality) and ``base_width`` free.

    Shape:
        (N, inplanes, H, W) -> (N, 4 * planes, H / stride, W / stride)
    """

    expansion = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        *,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        se_layer: SeFactory | None = None,
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.se = se_layer(out) if se_layer is not None else nn.Identity()
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.downsample = downsample
        self.act = nn.ReLU(inplace=True)

    def zero_init_last(self) -> None:
        """Zero the last BN scale, so the block starts as the identity."""
        nn.init.zeros_(self.bn3.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.act(self.bn1(self.conv1(x)))
        out = self.act(self.bn2(self.conv2(out)))
        out = self.se(self.bn3(self.conv3(out)))
        return self.act(self.drop_path(out) + shortcut)


def _shortcut(inplanes: int, out: int, *, stride: int, avg_down: bool) -> nn.Sequential:
    """Projection shortcut: strided 1x1 conv + BN (keys 0, 1), or with ``avg_down``
    2x2 average pool, 1x1 conv, BN (keys 0, 1, 2; timm's "d" variant)."""
    if not avg_down:
        return nn.Sequential(nn.Conv2d(inplanes, out, 1, stride, bias=False), nn.BatchNorm2d(out))
    pool: nn.Module = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False) if stride > 1 else nn.Identity()
    return nn.Sequential(pool, nn.Conv2d(inplanes, out, 1, bias=False), nn.BatchNorm2d(out))


class ResNet(ImageClassifier):
    """A stem, four stages of residual blocks at strides 4, 8, 16, 32, global average pool, linear.

    Args:
        block: block class with ``expansion`` and the signature of :class:`BasicBlock`
            (also the SKNet and ResNeSt blocks).
        layers: blocks per stage.
        num_classes: classifier outputs (0: none, pre-logits out).
        in_chans: input channels.
        groups: cardinality of the 3x3 convolutions (ResNeXt).
        width_per_group: ``base_width`` of the blocks (64; 4 for ResNeXt 32x4d; 128 for Wide ResNet).
        stem_type: "" (7x7 conv, stride 2) or "deep" (three 3x3 convs, timm's "d" stem;
            ``conv1`` becomes a Sequential).
        stem_width: width of the first two convs of the deep stem.
        avg_down: average-pool shortcut projections (timm's "d" variant).
        block_kwargs: extra options for every block (``se_layer``, ``sk_kwargs``, ``radix`` ...).
        drop_rate: dropout before the classifier.
        drop_path_rate: stochastic depth, rising linearly from 0 at the first block to
            this at the last (timm's rule).
        zero_init_residual: zero the last BN of every block at init.

    Shape:
        (N, in_chans, H, W) -> (N, num_classes)
    """

    def __init__(
        self,
        block: type[nn.Module],
        layers: tuple[int, int, int, int],
        *,
        num_classes: int = 1000,
        in_chans: int = 3,
        groups: int = 1,
        width_per_group: int = 64,
        stem_type: str = "",
        stem_width: int = 64,
        avg_down: bool = False,
        block_kwargs: dict[str, Any] | None = None,
        drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        zero_init_residual: bool = False,
    ) -> None:
        super().__init__()
        if stem_type not in ("", "deep"):
            raise ValueError(f"ResNet stem_type must be '' or 'deep', got {stem_type!r}")
        if len(layers) != 4:
            raise ValueError(f"ResNet needs four stage depths, got {layers}")
        self.num_classes = num_classes
        self.drop_rate = drop_rate
        inplanes = 64
        if stem_type == "deep":
            self.conv1: nn.Module = nn.Sequential(
                nn.Conv2d(in_chans, stem_width, 3, 2, 1, bias=False),
                nn.BatchNorm2d(stem_width),
                nn.ReLU(inplace=True),
                nn.Conv2d(stem_width, stem_width, 3, 1, 1, bias=False),
                nn.BatchNorm2d(stem_width),
                nn.ReLU(inplace=True),
                nn.Conv2d(stem_width, inplanes, 3, 1, 1, bias=False),
            )
            self.first_conv = "conv1.0"
        else:
            self.conv1 = nn.Conv2d(in_chans, inplanes, 7, 2, 3, bias=False)
            self.first_conv = "conv1"
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.act1 = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)

        self.feature_info = [{"num_chs": inplanes, "reduction": 2, "module": "act1"}]
        total, index = sum(layers), 0
        for stage, (planes, depth) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if stage == 0 else 2
            out = planes * block.expansion
            blocks = []
            for i in range(depth):
                downsample = None
                if i == 0 and (stride != 1 or inplanes != out):
                    downsample = _shortcut(inplanes, out, stride=stride, avg_down=avg_down)
                blocks.append(
                    block(
                        inplanes,
                        planes,
                        stride=stride if i == 0 else 1,
                        downsample=downsample,
                        groups=groups,
                        base_width=width_per_group,
                        drop_path=drop_path_rate * index / max(total - 1, 1),
                        **(block_kwargs or {}),
                    )
                )
                inplanes = out
                index += 1
            self.add_module(f"layer{stage + 1}", nn.Sequential(*blocks))
            self.feature_info.append({"num_chs": out, "reduction": 4 * 2**stage, "module": f"layer{stage + 1}"})
        self.num_features = inplanes
        self.fc: nn.Module = nn.Linear(inplanes, num_classes) if num_classes > 0 else nn.Identity()
        self._init_weights(zero_init_residual)

    def _init_weights(self, zero_init_residual: bool) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if hasattr(m, "zero_init_last"):
                    m.zero_init_last()

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, num_features, H / 32, W / 32)."""
        x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        return self.layer4(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """(N, num_features, h, w) -> (N, num_classes), or pooled (N, num_features) when ``pre_logits``."""
        x = x.mean((2, 3))
        if self.drop_rate > 0:
            x = F.dropout(x, self.drop_rate, self.training)
        return x if pre_logits else self.fc(x)

    def group_matcher(self) -> dict[str, Any]:
        return {"stem": r"^(conv1|bn1)\.", "blocks": [rf"^layer{i}\." for i in range(1, 5)], "head": r"^fc\."}


# ---------------------------------------------------------------------------------------------
# Variants

_RESNET = "He et al., 2016, Deep Residual Learning for Image Recognition"
_RESNEXT = "Xie et al., 2017, Aggregated Residual Transformations for Deep Neural Networks"
_WIDE = "Zagoruyko & Komodakis, 2016, Wide Residual Networks"
_SE = "Hu et al., 2018, Squeeze-and-Excitation Networks"


@register_model(
    ModelSpec(
        name="resnet18",
        family="resnet",
        paper=_RESNET,
        num_params=11689512,
        gflops=1.8141,
        min_size=1,
        weights=(
            torchvision_weights(
                "imagenet", "resnet18-f37072fd.pth", enum="ResNet18_Weights.IMAGENET1K_V1", top1=69.758, top5=89.078
            ),
        ),
    )
)
def resnet18(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """ResNet-18: basic blocks (2, 2, 2, 2)."""
    return ResNet(BasicBlock, (2, 2, 2, 2), num_classes=num_classes, in_chans=in_chans, **kwargs)


@register_model(
    ModelSpec(
        name="resnet34",
        family="resnet",
        paper=_RESNET,
        num_params=21797672,
        gflops=3.6638,
        min_size=1,
        weights=(
            torchvision_weights(
                "imagenet", "resnet34-b627a593.pth", enum="ResNet34_Weights.IMAGENET1K_V1", top1=73.314, top5=91.42
            ),
        ),
    )
)
def resnet34(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """ResNet-34: basic blocks (3, 4, 6, 3)."""
    return ResNet(BasicBlock, (3, 4, 6, 3), num_classes=num_classes, in_chans=in_chans, **kwargs)


@register_model(
    ModelSpec(
        name="resnet50",
        family="resnet",
        paper=_RESNET,
        num_params=25557032,
        gflops=4.0892,
        min_size=1,
        weights=(
            torchvision_weights(
                "imagenet", "resnet50-0676ba61.pth", enum="ResNet50_Weights.IMAGENET1K_V1", top1=76.13, top5=92.862
            ),
            torchvision_weights(
                "imagenet_v2",
                "resnet50-11ad3fa6.pth",
                enum="ResNet50_Weights.IMAGENET1K_V2",
                top1=80.858,
                top5=95.434,
                resize=232,
            ),
        ),
    )
)
def resnet50(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """ResNet-50: bottleneck blocks (3, 4, 6, 3)."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes=num_classes, in_chans=in_chans, **kwargs)


@register_model(
    ModelSpec(
        name="resnet101",
        family="resnet",
        paper=_RESNET,
        num_params=44549160,
        gflops=7.8014,
        min_size=1,
        weights=(
            torchvision_weights(
                "imagenet", "resnet101-63fe2227.pth", enum="ResNet101_Weights.IMAGENET1K_V1", top1=77.374, top5=93.546
            ),
            torchvision_weights(
                "imagenet_v2",
                "resnet101-cd907fc2.pth",
                enum="ResNet101_Weights.IMAGENET1K_V2",
                top1=81.886,
                top5=95.78,
                resize=232,
            ),
        ),
    )
)
def resnet101(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """ResNet-101: bottleneck blocks (3, 4, 23, 3)."""
    return ResNet(Bottleneck, (3, 4, 23, 3), num_classes=num_classes, in_chans=in_chans, **kwargs)


@register_model(
    ModelSpec(
        name="resnet152",
        family="resnet",
        paper=_RESNET,
        num_params=60192808,
        gflops=11.514,
        min_size=1,
        weights=(
            torchvision_weights(
                "imagenet", "resnet152-394f9c45.pth", enum="ResNet152_Weights.IMAGENET1K_V1", top1=78.312, top5=94.046
            ),
            torchvision_weights(
                "imagenet_v2",
                "resnet152-f82ba261.pth",
                enum="ResNet152_Weights.IMAGENET1K_V2",
                top1=82.284,
                top5=96.002,
                resize=232,
            ),
        ),
    )
)
def resnet152(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """ResNet-152: bottleneck blocks (3, 8, 36, 3)."""
    return ResNet(Bottleneck, (3, 8, 36, 3), num_classes=num_classes, in_chans=in_chans, **kwargs)


@register_model(
    ModelSpec(
        name="resnext50_32x4d",
        family="resnet",
        paper=_RESNEXT,
        num_params=25028904,
        gflops=4.2305,
        min_size=1,
        weights=(
            torchvision_weights(
                "imagenet",
                "resnext50_32x4d-7cdf4587.pth",
                enum="ResNeXt50_32X4D_Weights.IMAGENET1K_V1",
                top1=77.618,
                top5=93.698,
            ),
            torchvision_weights(
                "imagenet_v2",
                "resnext50_32x4d-1a0047aa.pth",
                enum="ResNeXt50_32X4D_Weights.IMAGENET1K_V2",
                top1=81.198,
                top5=95.34,
                resize=232,
            ),
        ),
    )
)
def resnext50_32x4d(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """ResNeXt-50 32x4d: ResNet-50 with 32 groups of width 4 in the first stage's 3x3."""
    return ResNet(
        Bottleneck, (3, 4, 6, 3), num_classes=num_classes, in_chans=in_chans, groups=32, width_per_group=4, **kwargs
    )


@register_model(
    ModelSpec(
        name="resnext101_32x8d",
        family="resnet",
        paper=_RESNEXT,
        num_params=88791336,
        gflops=16.414,
        min_size=1,
        weights=(
            torchvision_weights(
                "imagenet",
                "resnext101_32x8d-8ba56ff5.pth",
                enum="ResNeXt101_32X8D_Weights.IMAGENET1K_V1",
                top1=79.312,
                top5=94.526,
            ),
            torchvision_weights(
                "imagenet_v2",
                "resnext101_32x8d-110c445d.pth",
                enum="ResNeXt101_32X8D_Weights.IMAGENET1K_V2",
                top1=82.834,
                top5=96.228,
                resize=232,
            ),
        ),
    )
)
def resnext101_32x8d(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """ResNeXt-101 32x8d."""
    return ResNet(
        Bottleneck, (3, 4, 23, 3), num_classes=num_classes, in_chans=in_chans, groups=32, width_per_group=8, **kwargs
    )


@register_model(
    ModelSpec(
        name="resnext101_64x4d",
        family="resnet",
        paper=_RESNEXT,
        num_params=83455272,
        gflops=15.46,
        min_size=1,
        weights=(
            # torchvision's only (and newer-recipe) weights for this model, hence resize 232
            torchvision_weights(
                "imagenet",
                "resnext101_64x4d-173b62eb.pth",
                enum="ResNeXt101_64X4D_Weights.IMAGENET1K_V1",
                top1=83.246,
                top5=96.454,
                resize=232,
            ),
        ),
    )
)
def resnext101_64x4d(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """ResNeXt-101 64x4d."""
    return ResNet(
        Bottleneck, (3, 4, 23, 3), num_classes=num_classes, in_chans=in_chans, groups=64, width_per_group=4, **kwargs
    )


@register_model(
    ModelSpec(
        name="wide_resnet50_2",
        family="resnet",
        paper=_WIDE,
        num_params=68883240,
        gflops=11.398,
        min_size=1,
        weights=(
            torchvision_weights(
                "imagenet",
                "wide_resnet50_2-95faca4d.pth",
                enum="Wide_ResNet50_2_Weights.IMAGENET1K_V1",
                top1=78.468,
                top5=94.086,
            ),
            torchvision_weights(
                "imagenet_v2",
                "wide_resnet50_2-9ba9bcbe.pth",
                enum="Wide_ResNet50_2_Weights.IMAGENET1K_V2",
                top1=81.602,
                top5=95.758,
                resize=232,
            ),
        ),
    )
)
def wide_resnet50_2(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """Wide ResNet-50-2: ResNet-50 with bottlenecks twice as wide (the output widths unchanged)."""
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes=num_classes, in_chans=in_chans, width_per_group=128, **kwargs)


@register_model(
    ModelSpec(
        name="wide_resnet101_2",
        family="resnet",
        paper=_WIDE,
        num_params=126886696,
        gflops=22.753,
        min_size=1,
        weights=(
            torchvision_weights(
                "imagenet",
                "wide_resnet101_2-32ee1156.pth",
                enum="Wide_ResNet101_2_Weights.IMAGENET1K_V1",
                top1=78.848,
                top5=94.284,
            ),
            torchvision_weights(
                "imagenet_v2",
                "wide_resnet101_2-d733dc28.pth",
                enum="Wide_ResNet101_2_Weights.IMAGENET1K_V2",
                top1=82.51,
                top5=96.02,
                resize=232,
            ),
        ),
    )
)
def wide_resnet101_2(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """Wide ResNet-101-2."""
    return ResNet(Bottleneck, (3, 4, 23, 3), num_classes=num_classes, in_chans=in_chans, width_per_group=128, **kwargs)


@register_model(
    ModelSpec(
        name="seresnet50",
        family="resnet",
        paper=_SE,
        num_params=28088024,
        gflops=4.0917,
        min_size=1,
        weights=(timm_hub_weights("timm/seresnet50.a1_in1k", crop_pct=0.95, interpolation="bicubic"),),
    )
)
def seresnet50(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """SE-ResNet-50 (timm): ResNet-50 with squeeze-excitation (ratio 1/16) in every block."""
    return ResNet(
        Bottleneck,
        (3, 4, 6, 3),
        num_classes=num_classes,
        in_chans=in_chans,
        block_kwargs={"se_layer": timm_se},
        **kwargs,
    )


@register_model(
    ModelSpec(
        name="seresnext50_32x4d",
        family="resnet",
        paper=_SE,
        num_params=27559896,
        gflops=4.233,
        min_size=1,
        weights=(timm_hub_weights("timm/seresnext50_32x4d.racm_in1k", crop_pct=0.875, interpolation="bicubic"),),
    )
)
def seresnext50_32x4d(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> ResNet:
    """SE-ResNeXt-50 32x4d (timm)."""
    return ResNet(
        Bottleneck,
        (3, 4, 6, 3),
        num_classes=num_classes,
        in_chans=in_chans,
        groups=32,
        width_per_group=4,
        block_kwargs={"se_layer": timm_se},
        **kwargs,
    )
