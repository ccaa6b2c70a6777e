"""GoogLeNet (Inception v1) and Inception v3, in torchvision's layout, with their auxiliary heads.

Szegedy et al., "Going Deeper with Convolutions" (CVPR 2015) and "Rethinking the
Inception Architecture for Computer Vision" (CVPR 2016). The published checkpoints
(torchvision's ports of Google's TensorFlow weights) load unchanged.

Auxiliary heads. Both networks were trained with auxiliary classifiers on
intermediate features (``aux1``/``aux2`` for GoogLeNet, ``AuxLogits`` for
Inception v3). ``aux_logits=False`` is vistakit's default for both: the model then
has the common classifier interface (``forward`` returns logits in every mode) and
the published weights load with the aux heads' keys dropped (explicitly: see
``ImageClassifier.aux_heads``). With ``aux_logits=True``, ``forward`` in training
mode returns torchvision's named tuples, ``GoogLeNetOutputs(logits, aux_logits2,
aux_logits1)`` and ``InceptionOutputs(logits, aux_logits)``; in eval mode it returns
the logits alone. (torchvision defaults to ``aux_logits=True`` for Inception v3
and for a GoogLeNet without weights.)

``transform_input``. Google's weights expect inputs scaled to [-1, 1]; torchvision
keeps the ImageNet mean/std preprocessing for every model and converts inside the
network. The published weights entries set ``transform_input=True`` (through
``Weights.model_kwargs``), as torchvision does; a model built without weights
defaults to ``False``, as torchvision's constructors do.

The Inception v3 blocks take the pooling of their pool branch from an overridable
:meth:`InceptionA._pool` (and friends), and :class:`InceptionV3` its block classes
from class attributes, so the FID variant, :func:`fid_inception_v3` (TensorFlow's
pooling in the pool branches, 1008 classes; pytorch-fid's checkpoint), reuses them.
"""

from __future__ import annotations

from collections import namedtuple
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import ConvNormAct
from ._base import ImageClassifier
from ._registry import EvalTransform, ModelSpec, Weights, WeightsLocation, register_model

__all__ = [
    "FIDInceptionV3",
    "GoogLeNet",
    "GoogLeNetOutputs",
    "InceptionOutputs",
    "InceptionV3",
    "conv_bn",
    "fid_inception_v3",
    "googlenet",
    "inception_v3",
]

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
InceptionOutputs = namedtuple("InceptionOutputs", ["logits", "aux_logits"])

# torchvision's conversion from ImageNet mean/std normalization to Google's [-1, 1] scaling.
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def conv_bn(
    in_channels: int,
    out_channels: int,
    kernel_size: int | tuple[int, int],
    stride: int = 1,
    padding: int | tuple[int, int] = 0,
) -> ConvNormAct:
    """Conv (no bias) + BatchNorm (eps 1e-3) + ReLU, children ``conv``/``bn``.

    The ``BasicConv2d`` of every Inception checkpoint (torchvision's and timm's alike).
    Unlike :class:`ConvNormAct`'s default, the padding is 0 unless given.
    """
    return ConvNormAct(
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,  # type: ignore[arg-type]
        norm_layer=partial(nn.BatchNorm2d, eps=1e-3),
    )


def _linear_or_identity(in_features: int, num_classes: int) -> nn.Module:
    return nn.Linear(in_features, num_classes) if num_classes > 0 else nn.Identity()


def _check_transform_input(transform_input: bool, in_chans: int) -> None:
    if transform_input and in_chans != 3:
        raise ValueError(
            f"transform_input=True converts RGB inputs from ImageNet mean/std normalization and needs "
            f"in_chans=3, got in_chans={in_chans}; pass transform_input=False (and normalize the "
            "inputs to [-1, 1] yourself)"
        )


def _transform_input(x: torch.Tensor) -> torch.Tensor:
    """ImageNet-normalized RGB -> the [-1, 1] scaling of Google's weights: x * std / 0.5 + (mean - 0.5) / 0.5."""
    std = x.new_tensor(_IMAGENET_STD).view(1, 3, 1, 1)
    mean = x.new_tensor(_IMAGENET_MEAN).view(1, 3, 1, 1)
    return x * (std / 0.5) + (mean - 0.5) / 0.5


# --------------------------------------------------------------------------------------------
# GoogLeNet


class GoogLeNetInception(nn.Module):
    """The Inception module of GoogLeNet: 1x1, 1x1->3x3, 1x1->3x3, maxpool->1x1 branches, concatenated.

    The "5x5" branch uses a 3x3 kernel, as torchvision's (and its checkpoint's) does.

    Shape:
        (N, in_channels, H, W) -> (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W)
    """

    def __init__(
        self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int, pool_proj: int
    ) -> None:
        super().__init__()
        self.branch1 = conv_bn(in_channels, ch1x1, 1)
        self.branch2 = nn.Sequential(conv_bn(in_channels, ch3x3red, 1), conv_bn(ch3x3red, ch3x3, 3, padding=1))
        self.branch3 = nn.Sequential(conv_bn(in_channels, ch5x5red, 1), conv_bn(ch5x5red, ch5x5, 3, padding=1))
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True), conv_bn(in_channels, pool_proj, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNetAux(nn.Module):
    """GoogLeNet's auxiliary classifier: 4x4 average pool, 1x1 conv, two linear layers.

    Shape:
        (N, in_channels, H, W) -> (N, num_classes), or (N, 1024) when ``num_classes`` is 0.
    """

    def __init__(self, in_channels: int, num_classes: int, *, drop_rate: float = 0.7) -> None:
        super().__init__()
        self.conv = conv_bn(in_channels, 128, 1)
        self.fc1 = nn.Linear(2048, 1024)
        self.dropout = nn.Dropout(drop_rate)
        self.fc2 = _linear_or_identity(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(F.adaptive_avg_pool2d(x, (4, 4)))
        x = F.relu(self.fc1(torch.flatten(x, 1)), inplace=True)
        return self.fc2(self.dropout(x))

    def reset_classifier(self, num_classes: int) -> None:
        self.fc2 = _linear_or_identity(1024, num_classes).to(self.fc1.weight.device, self.fc1.weight.dtype)


class GoogLeNet(ImageClassifier):
    """GoogLeNet (Inception v1), torchvision's variant with batch norm.

    Args:
        num_classes: classifier outputs (0: no classifier, pre-logits out).
        in_chans: input channels.
        aux_logits: build the auxiliary classifiers ``aux1`` (after inception4a) and
            ``aux2`` (after inception4d); their logits come out of ``forward`` in
            training mode only.
        transform_input: convert ImageNet-normalized RGB to [-1, 1] first (the
            published weights need it).
        drop_rate: dropout before the classifier.
        aux_drop_rate: dropout before the aux classifiers.

    Shape:
        (N, in_chans, H, W) -> (N, num_classes); in training mode with ``aux_logits``,
        ``GoogLeNetOutputs(logits, aux_logits2, aux_logits1)``, each (N, num_classes).
    """

    classifier_name = "fc"
    first_conv = "conv1.conv"
    aux_heads = {"aux1": "aux1.fc2", "aux2": "aux2.fc2"}

    def __init__(
        self,
        *,
        num_classes: int = 1000,
        in_chans: int = 3,
        aux_logits: bool = False,
        transform_input: bool = False,
        drop_rate: float = 0.2,
        aux_drop_rate: float = 0.7,
    ) -> None:
        super().__init__()
        _check_transform_input(transform_input, in_chans)
        self.num_classes = num_classes
        self.num_features = 1024
        self.aux_logits = aux_logits
        self.transform_input = transform_input

        self.conv1 = conv_bn(in_chans, 64, 7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv_bn(64, 64, 1)
        self.conv3 = conv_bn(64, 192, 3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception3a = GoogLeNetInception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = GoogLeNetInception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception4a = GoogLeNetInception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = GoogLeNetInception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = GoogLeNetInception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = GoogLeNetInception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = GoogLeNetInception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)

        self.inception5a = GoogLeNetInception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = GoogLeNetInception(832, 384, 192, 384, 48, 128, 128)

        self.aux1: GoogLeNetAux | None = None
        self.aux2: GoogLeNetAux | None = None
        if aux_logits:
            self.aux1 = GoogLeNetAux(512, num_classes, drop_rate=aux_drop_rate)
            self.aux2 = GoogLeNetAux(528, num_classes, drop_rate=aux_drop_rate)

        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(drop_rate)
        self.fc = _linear_or_identity(self.num_features, num_classes)

        self.feature_info = [
            dict(num_chs=64, reduction=2, module="conv1"),
            dict(num_chs=192, reduction=4, module="conv3"),
            dict(num_chs=480, reduction=8, module="inception3b"),
            dict(num_chs=832, reduction=16, module="inception4e"),
            dict(num_chs=1024, reduction=32, module="inception5b"),
        ]

    def _forward_trunk(
        self, x: torch.Tensor, *, with_aux: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """Images -> (features (N, 1024, H/32, W/32), aux1 logits or None, aux2 logits or None)."""
        if self.transform_input:
            x = _transform_input(x)
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if with_aux and self.aux1 is not None else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if with_aux and self.aux2 is not None else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        return x, aux1, aux2

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_chans, H, W) -> (N, 1024, H/32, W/32)."""
        return self._forward_trunk(x, with_aux=False)[0]

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """(N, 1024, h, w) -> (N, num_classes) logits, or (N, 1024) when ``pre_logits``."""
        x = self.dropout(torch.flatten(self.avgpool(x), 1))
        return x if pre_logits else self.fc(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor | GoogLeNetOutputs:  # type: ignore[override]
        """Logits; ``GoogLeNetOutputs(logits, aux_logits2, aux_logits1)`` when training with aux heads."""
        with_aux = self.training and self.aux_logits
        x, aux1, aux2 = self._forward_trunk(x, with_aux=with_aux)
        logits = self.forward_head(x)
        return GoogLeNetOutputs(logits, aux2, aux1) if with_aux else logits

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the classifier and the aux classifiers for ``num_classes`` (0: identity, pre-logits out)."""
        super().reset_classifier(num_classes)
        for aux in (self.aux1, self.aux2):
            if aux is not None:
                aux.reset_classifier(num_classes)

    def group_matcher(self) -> dict[str, Any]:
        return {
            "stem": r"^conv[123]\.",
            "blocks": [r"^inception3[ab]\.", r"^inception4[a-e]\.", r"^inception5[ab]\."],
            # the aux heads are classifiers: they train (and re-initialize) with the head
            "head": r"^(fc|aux1|aux2)\.",
        }


# --------------------------------------------------------------------------------------------
# Inception v3


class InceptionA(nn.Module):
    """Inception v3's 35x35 block (Mixed_5b-d): 1x1, 5x5, double 3x3 and pool branches.

    Shape:
        (N, in_channels, H, W) -> (N, 224 + pool_features, H, W)
    """

    def __init__(self, in_channels: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = conv_bn(in_channels, 64, 1)
        self.branch5x5_1 = conv_bn(in_channels, 48, 1)
        self.branch5x5_2 = conv_bn(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = conv_bn(in_channels, 64, 1)
        self.branch3x3dbl_2 = conv_bn(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = conv_bn(96, 96, 3, padding=1)
        self.branch_pool = conv_bn(in_channels, pool_features, 1)

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        """The pooling of the pool branch (3x3 average, zero padding counted); variants override it."""
        return F.avg_pool2d(x, 3, stride=1, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(self._pool(x))
        return torch.cat([b1, b5, b3, bp], 1)


class InceptionB(nn.Module):
    """Inception v3's 35->17 reduction (Mixed_6a).

    Shape:
        (N, in_channels, H, W) -> (N, 480 + in_channels, (H - 3) // 2 + 1, (W - 3) // 2 + 1)
    """

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3 = conv_bn(in_channels, 384, 3, stride=2)
        self.branch3x3dbl_1 = conv_bn(in_channels, 64, 1)
        self.branch3x3dbl_2 = conv_bn(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = conv_bn(96, 96, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3(x)
        b3d = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([b3, b3d, F.max_pool2d(x, 3, stride=2)], 1)


class InceptionC(nn.Module):
    """Inception v3's 17x17 block (Mixed_6b-e) with factorized 7x7 convolutions.

    Shape:
        (N, in_channels, H, W) -> (N, 768, H, W)
    """

    def __init__(self, in_channels: int, channels_7x7: int) -> None:
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = conv_bn(in_channels, 192, 1)
        self.branch7x7_1 = conv_bn(in_channels, c7, 1)
        self.branch7x7_2 = conv_bn(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = conv_bn(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = conv_bn(in_channels, c7, 1)
        self.branch7x7dbl_2 = conv_bn(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = conv_bn(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = conv_bn(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = conv_bn(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = conv_bn(in_channels, 192, 1)

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        """The pooling of the pool branch (3x3 average, zero padding counted); variants override it."""
        return F.avg_pool2d(x, 3, stride=1, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        b7d = self.branch7x7dbl_1(x)
        for conv in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            b7d = conv(b7d)
        bp = self.branch_pool(self._pool(x))
        return torch.cat([b1, b7, b7d, bp], 1)


class InceptionD(nn.Module):
    """Inception v3's 17->8 reduction (Mixed_7a).

    Shape:
        (N, in_channels, H, W) -> (N, 512 + in_channels, (H - 3) // 2 + 1, (W - 3) // 2 + 1)
    """

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3_1 = conv_bn(in_channels, 192, 1)
        self.branch3x3_2 = conv_bn(192, 320, 3, stride=2)
        self.branch7x7x3_1 = conv_bn(in_channels, 192, 1)
        self.branch7x7x3_2 = conv_bn(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = conv_bn(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = conv_bn(192, 192, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, 3, stride=2)], 1)


class InceptionE(nn.Module):
    """Inception v3's 8x8 block (Mixed_7b-c) with expanded 1x3 / 3x1 branches.

    Shape:
        (N, in_channels, H, W) -> (N, 2048, H, W)
    """

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch1x1 = conv_bn(in_channels, 320, 1)
        self.branch3x3_1 = conv_bn(in_channels, 384, 1)
        self.branch3x3_2a = conv_bn(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = conv_bn(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = conv_bn(in_channels, 448, 1)
        self.branch3x3dbl_2 = conv_bn(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = conv_bn(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = conv_bn(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = conv_bn(in_channels, 192, 1)

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        """The pooling of the pool branch (3x3 average, zero padding counted); variants override it."""
        return F.avg_pool2d(x, 3, stride=1, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        b3d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        b3d = torch.cat([self.branch3x3dbl_3a(b3d), self.branch3x3dbl_3b(b3d)], 1)
        bp = self.branch_pool(self._pool(x))
        return torch.cat([b1, b3, b3d, bp], 1)


class InceptionV3Aux(nn.Module):
    """Inception v3's auxiliary classifier on the 17x17 Mixed_6e map.

    5x5/3 average pool, 1x1 conv, 5x5 conv, global average pool, linear. It needs a
    map of at least 17x17, i.e. inputs of at least 299x299.

    Shape:
        (N, in_channels, H, W) -> (N, num_classes), or (N, 768) when ``num_classes`` is 0.
    """

    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.conv0 = conv_bn(in_channels, 128, 1)
        self.conv1 = conv_bn(128, 768, 5)
        self.fc = _linear_or_identity(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if min(x.shape[-2:]) < 17:
            raise ValueError(
                f"the Inception v3 auxiliary head needs a Mixed_6e map of at least 17x17 (inputs of at "
                f"least 299x299), got {tuple(x.shape[-2:])}; use larger training images or aux_logits=False"
            )
        x = self.conv1(self.conv0(F.avg_pool2d(x, 5, stride=3)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))

    def reset_classifier(self, num_classes: int) -> None:
        w = self.conv1.conv.weight
        self.fc = _linear_or_identity(768, num_classes).to(w.device, w.dtype)


class InceptionV3(ImageClassifier):
    """Inception v3, torchvision's layout.

    Args:
        num_classes: classifier outputs (0: no classifier, pre-logits out).
        in_chans: input channels.
        aux_logits: build the auxiliary classifier ``AuxLogits`` (after Mixed_6e); its
            logits come out of ``forward`` in training mode only, and it needs inputs
            of at least 299x299.
        transform_input: convert ImageNet-normalized RGB to [-1, 1] first (the
            published weights need it).
        drop_rate: dropout before the classifier.

    Shape:
        (N, in_chans, H, W) -> (N, num_classes); in training mode with ``aux_logits``,
        ``InceptionOutputs(logits, aux_logits)``, each (N, num_classes).
    """

    classifier_name = "fc"
    first_conv = "Conv2d_1a_3x3.conv"
    aux_heads = {"AuxLogits": "AuxLogits.fc"}
    # The block classes; a variant (the FID Inception) swaps them for ones with another pooling.
    block_a: type[InceptionA] = InceptionA
    block_c: type[InceptionC] = InceptionC
    block_e: tuple[type[InceptionE], type[InceptionE]] = (InceptionE, InceptionE)  # Mixed_7b, Mixed_7c

    def __init__(
        self,
        *,
        num_classes: int = 1000,
        in_chans: int = 3,
        aux_logits: bool = False,
        transform_input: bool = False,
        drop_rate: float = 0.5,
    ) -> None:
        super().__init__()
        _check_transform_input(transform_input, in_chans)
        self.num_classes = num_classes
        self.num_features = 2048
        self.aux_logits = aux_logits
        self.transform_input = transform_input

        self.Conv2d_1a_3x3 = conv_bn(in_chans, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = conv_bn(32, 32, 3)
        self.Conv2d_2b_3x3 = conv_bn(32, 64, 3, padding=1)
        self.maxpool1 = nn.MaxPool2d(3, stride=2)
        self.Conv2d_3b_1x1 = conv_bn(64, 80, 1)
        self.Conv2d_4a_3x3 = conv_bn(80, 192, 3)
        self.maxpool2 = nn.MaxPool2d(3, stride=2)
        self.Mixed_5b = self.block_a(192, pool_features=32)
        self.Mixed_5c = self.block_a(256, pool_features=64)
        self.Mixed_5d = self.block_a(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = self.block_c(768, channels_7x7=128)
        self.Mixed_6c = self.block_c(768, channels_7x7=160)
        self.Mixed_6d = self.block_c(768, channels_7x7=160)
        self.Mixed_6e = self.block_c(768, channels_7x7=192)
        self.AuxLogits: InceptionV3Aux | None = InceptionV3Aux(768, num_classes) if aux_logits else None
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = self.block_e[0](1280)
        self.Mixed_7c = self.block_e[1](2048)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(drop_rate)
        self.fc = _linear_or_identity(self.num_features, num_classes)

        self.feature_info = [
            dict(num_chs=64, reduction=2, module="Conv2d_2b_3x3"),
            dict(num_chs=192, reduction=4, module="Conv2d_4a_3x3"),
            dict(num_chs=288, reduction=8, module="Mixed_5d"),
            dict(num_chs=768, reduction=16, module="Mixed_6e"),
            dict(num_chs=2048, reduction=32, module="Mixed_7c"),
        ]

    def _forward_trunk(self, x: torch.Tensor, *, with_aux: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Images -> (features (N, 2048, h, w), aux logits or None)."""
        if self.transform_input:
            x = _transform_input(x)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(self.maxpool1(x)))
        x = self.Mixed_5d(self.Mixed_5c(self.Mixed_5b(self.maxpool2(x))))
        x = self.Mixed_6e(self.Mixed_6d(self.Mixed_6c(self.Mixed_6b(self.Mixed_6a(x)))))
        aux = self.AuxLogits(x) if with_aux and self.AuxLogits is not None else None
        x = self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x)))
        return x, aux

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_chans, H, W) -> (N, 2048, h, w), h = 8 at 299."""
        return self._forward_trunk(x, with_aux=False)[0]

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """(N, 2048, h, w) -> (N, num_classes) logits, or (N, 2048) when ``pre_logits``."""
        x = self.dropout(torch.flatten(self.avgpool(x), 1))
        return x if pre_logits else self.fc(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor | InceptionOutputs:  # type: ignore[override]
        """Logits; ``InceptionOutputs(logits, aux_logits)`` when training with the aux head."""
        with_aux = self.training and self.aux_logits
        x, aux = self._forward_trunk(x, with_aux=with_aux)
        logits = self.forward_head(x)
        return InceptionOutputs(logits, aux) if with_aux else logits

    def reset_classifier(self, num_classes: int) -> None:
        """Replace the classifier and the aux classifier for ``num_classes`` (0: identity, pre-logits out)."""
        super().reset_classifier(num_classes)
        if self.AuxLogits is not None:
            self.AuxLogits.reset_classifier(num_classes)

    def group_matcher(self) -> dict[str, Any]:
        return {
            "stem": r"^Conv2d_",
            "blocks": [r"^Mixed_5", r"^Mixed_6", r"^Mixed_7"],
            # the aux head is a classifier: it trains (and re-initializes) with the head
            "head": r"^(fc|AuxLogits)\.",
        }


# --------------------------------------------------------------------------------------------
# The FID variant of Inception v3


class FIDInceptionA(InceptionA):
    """InceptionA of the TensorFlow FID graph: the pool branch averages over the unpadded pixels only.

    TensorFlow's average pooling divides by the number of real (non-padding) pixels under
    the window, PyTorch's by 9 unless ``count_include_pad=False``; only the border differs.
    """

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class FIDInceptionC(InceptionC):
    """InceptionC of the TensorFlow FID graph (pool branch as :class:`FIDInceptionA`)."""

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class FIDInceptionE(InceptionE):
    """The first InceptionE (Mixed_7b) of the TensorFlow FID graph (pool branch as :class:`FIDInceptionA`)."""

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class FIDInceptionEMaxPool(InceptionE):
    """The second InceptionE (Mixed_7c) of the TensorFlow FID graph: its pool branch *max*-pools.

    The 2015-12-05 graph has a 3x3/1 max pool there where the paper (and torchvision)
    average; the FID weights were trained with it, so it stays.
    """

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return F.max_pool2d(x, 3, stride=1, padding=1)


class FIDInceptionV3(InceptionV3):
    """The Inception v3 of the TensorFlow FID code (the 2015-12-05 graph), as pytorch-fid ports it.

    Inception v3 with three differences from torchvision's: the pool branches of
    Mixed_5b-d, Mixed_6b-e and Mixed_7b average without counting the zero padding
    (TensorFlow's rule), Mixed_7c's pool branch max-pools, and the classifier has 1008
    outputs (1000 ImageNet classes plus 8 unused ones of the original graph). No
    auxiliary head. The layout and keys are torchvision's, so pytorch-fid's
    ``pt_inception-2015-12-05-6726825d.pth`` loads unchanged.

    The network takes inputs scaled to [-1, 1] (``2 x - 1`` of [0, 1] images: the
    weights entry's transform, mean = std = 0.5). FID resizes every image to 299x299
    bilinearly first (see :mod:`vistakit.metrics`); its features are the 2048-d output
    of the final average pool, ``forward_head(..., pre_logits=True)``.

    Args:
        num_classes: classifier outputs (1008 as published; 0: no classifier).
        in_chans: input channels.
        drop_rate: dropout before the classifier.

    Shape:
        (N, in_chans, H, W) -> (N, num_classes)
    """

    block_a = FIDInceptionA
    block_c = FIDInceptionC
    block_e = (FIDInceptionE, FIDInceptionEMaxPool)

    def __init__(self, *, num_classes: int = 1008, in_chans: int = 3, drop_rate: float = 0.5) -> None:
        super().__init__(
            num_classes=num_classes, in_chans=in_chans, aux_logits=False, transform_input=False, drop_rate=drop_rate
        )


# --------------------------------------------------------------------------------------------
# Builders


_TORCHVISION = "https://download.pytorch.org/models/"


@register_model(
    ModelSpec(
        name="googlenet",
        family="inception",
        paper="Going Deeper with Convolutions (Szegedy et al., CVPR 2015)",
        num_params=13_004_888,  # with the aux heads, as the checkpoint holds them; 6,624,904 without
        gflops=1.4984,
        input_size=224,
        min_size=15,
        weights=(
            Weights(
                tag="imagenet",
                file_name="googlenet-1378be20.pth",
                sha256="1378be20",
                sources=(WeightsLocation("url", _TORCHVISION + "googlenet-1378be20.pth"),),
                top1=69.778,
                top5=89.53,
                transform=EvalTransform(resize=256, crop=224, interpolation="bilinear"),
                model_kwargs=(("transform_input", True),),
                origin="torchvision GoogLeNet_Weights.IMAGENET1K_V1 (ported from TensorFlow)",
            ),
        ),
    )
)
def googlenet(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> GoogLeNet:
    """GoogLeNet (Inception v1); options as :class:`GoogLeNet` (``aux_logits`` defaults to False)."""
    return GoogLeNet(num_classes=num_classes, in_chans=in_chans, **kwargs)


@register_model(
    ModelSpec(
        name="inception_v3",
        family="inception",
        paper="Rethinking the Inception Architecture for Computer Vision (Szegedy et al., CVPR 2016)",
        num_params=27_161_264,  # with the aux head, as the checkpoint holds it; 23,834,568 without
        gflops=5.7132,
        input_size=299,
        min_size=75,
        weights=(
            Weights(
                tag="imagenet",
                file_name="inception_v3_google-0cc3c7bd.pth",
                sha256="0cc3c7bd",
                sources=(WeightsLocation("url", _TORCHVISION + "inception_v3_google-0cc3c7bd.pth"),),
                top1=77.294,
                top5=93.45,
                transform=EvalTransform(resize=342, crop=299, interpolation="bilinear"),
                model_kwargs=(("transform_input", True),),
                origin="torchvision Inception_V3_Weights.IMAGENET1K_V1 (ported from TensorFlow)",
            ),
        ),
    )
)
def inception_v3(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> InceptionV3:
    """Inception v3; options as :class:`InceptionV3` (``aux_logits`` defaults to False)."""
    return InceptionV3(num_classes=num_classes, in_chans=in_chans, **kwargs)


# The state_dict of pt_inception-2015-12-05-6726825d.pth (describe_state_dict's text): torchvision's
# Inception v3 keys without AuxLogits, fc with 1008 outputs, every BatchNorm with num_batches_tracked
# (pytorch-fid issue #34: loading it into torch 0.4.0, which lacks them, reports exactly those keys).
# Derived from torchvision's own inception_v3 state_dict, not from this file's model code.
PT_INCEPTION_2015_12_05_LAYOUT = """
conv_bn Conv2d_1a_3x3 32x3x3x3 +nbt
conv_bn Conv2d_2a_3x3 32x32x3x3 +nbt
conv_bn Conv2d_2b_3x3 64x32x3x3 +nbt
conv_bn Conv2d_3b_1x1 80x64x1x1 +nbt
conv_bn Conv2d_4a_3x3 192x80x3x3 +nbt
conv_bn Mixed_5b.branch1x1 64x192x1x1 +nbt
conv_bn Mixed_5b.branch5x5_1 48x192x1x1 +nbt
conv_bn Mixed_5b.branch5x5_2 64x48x5x5 +nbt
conv_bn Mixed_5b.branch3x3dbl_1 64x192x1x1 +nbt
conv_bn Mixed_5b.branch3x3dbl_2 96x64x3x3 +nbt
conv_bn Mixed_5b.branch3x3dbl_3 96x96x3x3 +nbt
conv_bn Mixed_5b.branch_pool 32x192x1x1 +nbt
conv_bn Mixed_5c.branch1x1 64x256x1x1 +nbt
conv_bn Mixed_5c.branch5x5_1 48x256x1x1 +nbt
conv_bn Mixed_5c.branch5x5_2 64x48x5x5 +nbt
conv_bn Mixed_5c.branch3x3dbl_1 64x256x1x1 +nbt
conv_bn Mixed_5c.branch3x3dbl_2 96x64x3x3 +nbt
conv_bn Mixed_5c.branch3x3dbl_3 96x96x3x3 +nbt
conv_bn Mixed_5c.branch_pool 64x256x1x1 +nbt
conv_bn Mixed_5d.branch1x1 64x288x1x1 +nbt
conv_bn Mixed_5d.branch5x5_1 48x288x1x1 +nbt
conv_bn Mixed_5d.branch5x5_2 64x48x5x5 +nbt
conv_bn Mixed_5d.branch3x3dbl_1 64x288x1x1 +nbt
conv_bn Mixed_5d.branch3x3dbl_2 96x64x3x3 +nbt
conv_bn Mixed_5d.branch3x3dbl_3 96x96x3x3 +nbt
conv_bn Mixed_5d.branch_pool 64x288x1x1 +nbt
conv_bn Mixed_6a.branch3x3 384x288x3x3 +nbt
conv_bn Mixed_6a.branch3x3dbl_1 64x288x1x1 +nbt
conv_bn Mixed_6a.branch3x3dbl_2 96x64x3x3 +nbt
conv_bn Mixed_6a.branch3x3dbl_3 96x96x3x3 +nbt
conv_bn Mixed_6b.branch1x1 192x768x1x1 +nbt
conv_bn Mixed_6b.branch7x7_1 128x768x1x1 +nbt
conv_bn Mixed_6b.branch7x7_2 128x128x1x7 +nbt
conv_bn Mixed_6b.branch7x7_3 192x128x7x1 +nbt
conv_bn Mixed_6b.branch7x7dbl_1 128x768x1x1 +nbt
conv_bn Mixed_6b.branch7x7dbl_2 128x128x7x1 +nbt
conv_bn Mixed_6b.branch7x7dbl_3 128x128x1x7 +nbt
conv_bn Mixed_6b.branch7x7dbl_4 128x128x7x1 +nbt
conv_bn Mixed_6b.branch7x7dbl_5 192x128x1x7 +nbt
conv_bn Mixed_6b.branch_pool 192x768x1x1 +nbt
conv_bn Mixed_6c.branch1x1 192x768x1x1 +nbt
conv_bn Mixed_6c.branch7x7_1 160x768x1x1 +nbt
conv_bn Mixed_6c.branch7x7_2 160x160x1x7 +nbt
conv_bn Mixed_6c.branch7x7_3 192x160x7x1 +nbt
conv_bn Mixed_6c.branch7x7dbl_1 160x768x1x1 +nbt
conv_bn Mixed_6c.branch7x7dbl_2 160x160x7x1 +nbt
conv_bn Mixed_6c.branch7x7dbl_3 160x160x1x7 +nbt
conv_bn Mixed_6c.branch7x7dbl_4 160x160x7x1 +nbt
conv_bn Mixed_6c.branch7x7dbl_5 192x160x1x7 +nbt
conv_bn Mixed_6c.branch_pool 192x768x1x1 +nbt
conv_bn Mixed_6d.branch1x1 192x768x1x1 +nbt
conv_bn Mixed_6d.branch7x7_1 160x768x1x1 +nbt
conv_bn Mixed_6d.branch7x7_2 160x160x1x7 +nbt
conv_bn Mixed_6d.branch7x7_3 192x160x7x1 +nbt
conv_bn Mixed_6d.branch7x7dbl_1 160x768x1x1 +nbt
conv_bn Mixed_6d.branch7x7dbl_2 160x160x7x1 +nbt
conv_bn Mixed_6d.branch7x7dbl_3 160x160x1x7 +nbt
conv_bn Mixed_6d.branch7x7dbl_4 160x160x7x1 +nbt
conv_bn Mixed_6d.branch7x7dbl_5 192x160x1x7 +nbt
conv_bn Mixed_6d.branch_pool 192x768x1x1 +nbt
conv_bn Mixed_6e.branch1x1 192x768x1x1 +nbt
conv_bn Mixed_6e.branch7x7_1 192x768x1x1 +nbt
conv_bn Mixed_6e.branch7x7_2 192x192x1x7 +nbt
conv_bn Mixed_6e.branch7x7_3 192x192x7x1 +nbt
conv_bn Mixed_6e.branch7x7dbl_1 192x768x1x1 +nbt
conv_bn Mixed_6e.branch7x7dbl_2 192x192x7x1 +nbt
conv_bn Mixed_6e.branch7x7dbl_3 192x192x1x7 +nbt
conv_bn Mixed_6e.branch7x7dbl_4 192x192x7x1 +nbt
conv_bn Mixed_6e.branch7x7dbl_5 192x192x1x7 +nbt
conv_bn Mixed_6e.branch_pool 192x768x1x1 +nbt
conv_bn Mixed_7a.branch3x3_1 192x768x1x1 +nbt
conv_bn Mixed_7a.branch3x3_2 320x192x3x3 +nbt
conv_bn Mixed_7a.branch7x7x3_1 192x768x1x1 +nbt
conv_bn Mixed_7a.branch7x7x3_2 192x192x1x7 +nbt
conv_bn Mixed_7a.branch7x7x3_3 192x192x7x1 +nbt
conv_bn Mixed_7a.branch7x7x3_4 192x192x3x3 +nbt
conv_bn Mixed_7b.branch1x1 320x1280x1x1 +nbt
conv_bn Mixed_7b.branch3x3_1 384x1280x1x1 +nbt
conv_bn Mixed_7b.branch3x3_2a 384x384x1x3 +nbt
conv_bn Mixed_7b.branch3x3_2b 384x384x3x1 +nbt
conv_bn Mixed_7b.branch3x3dbl_1 448x1280x1x1 +nbt
conv_bn Mixed_7b.branch3x3dbl_2 384x448x3x3 +nbt
conv_bn Mixed_7b.branch3x3dbl_3a 384x384x1x3 +nbt
conv_bn Mixed_7b.branch3x3dbl_3b 384x384x3x1 +nbt
conv_bn Mixed_7b.branch_pool 192x1280x1x1 +nbt
conv_bn Mixed_7c.branch1x1 320x2048x1x1 +nbt
conv_bn Mixed_7c.branch3x3_1 384x2048x1x1 +nbt
conv_bn Mixed_7c.branch3x3_2a 384x384x1x3 +nbt
conv_bn Mixed_7c.branch3x3_2b 384x384x3x1 +nbt
conv_bn Mixed_7c.branch3x3dbl_1 448x2048x1x1 +nbt
conv_bn Mixed_7c.branch3x3dbl_2 384x448x3x3 +nbt
conv_bn Mixed_7c.branch3x3dbl_3a 384x384x1x3 +nbt
conv_bn Mixed_7c.branch3x3dbl_3b 384x384x3x1 +nbt
conv_bn Mixed_7c.branch_pool 192x2048x1x1 +nbt
linear fc 1008x2048
"""

_FID_WEIGHTS_URL = (
    "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"
)


@register_model(
    ModelSpec(
        name="fid_inception_v3",
        family="inception",
        paper="Rethinking the Inception Architecture for Computer Vision (Szegedy et al., CVPR 2016), as the "
        "FID of GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium "
        "(Heusel et al., NeurIPS 2017) uses it",
        num_params=23_834_568,  # at 1000 classes, the registry's convention; 23,850,960 at the published 1008
        gflops=5.7132,
        input_size=299,
        min_size=75,
        weights=(
            Weights(
                tag="fid",
                file_name="pt_inception-2015-12-05-6726825d.pth",
                sha256="6726825d",
                sources=(WeightsLocation("url", _FID_WEIGHTS_URL),),
                num_classes=1008,
                categories="inception-2015-12-05",  # the graph's own 1008-entry class map, not torchvision's order
                transform=EvalTransform(
                    resize=299, crop=299, interpolation="bilinear", mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)
                ),
                license="Apache-2.0",
                origin="pytorch-fid (Seitzer), ported from TensorFlow's inception-2015-12-05 graph",
                layout=PT_INCEPTION_2015_12_05_LAYOUT,
            ),
        ),
    )
)
def fid_inception_v3(*, num_classes: int = 1008, in_chans: int = 3, **kwargs: Any) -> FIDInceptionV3:
    """The FID Inception v3; options as :class:`FIDInceptionV3`.

    ``create_model("fid_inception_v3", weights="fid")`` keeps the published 1008-way
    classifier (the Inception Score needs it; FID uses the pool features only); without
    weights or with a file, ``create_model`` builds 1000 classes unless
    ``num_classes=1008`` is asked for.
    """
    return FIDInceptionV3(num_classes=num_classes, in_chans=in_chans, **kwargs)
