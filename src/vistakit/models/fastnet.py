"""FastNet: a small residual network shaped for fast training on 28x28 images (Fashion-MNIST).

Shape in the spirit of the fast CIFAR-10 networks (Page's ResNet-9 for DAWNBench,
Jordan's airbench): a 3x3 stem at full resolution, then three stages that each
work at half the resolution of the one before, BatchNorm after every
convolution, residual convolutions per stage (``depths``), global max pooling
and one linear layer. The stages halve the resolution with a max-pool *before* their
first convolution (a convolution at full resolution costs 4x one at half).
With ``stem_pool`` the stem pools its convolution's output before its
BatchNorm and ReLU (airbench's conv -> pool -> norm -> act order) and the first
stage does not pool: the same convolutions, but the stem's normalization and
activation run on a quarter of the pixels (7% more images/s for
``fastnet_fmnist`` on 2 CPU cores, the same accuracy). With ``first_pool=False``
the first stage works at the stem's full resolution and only the later ones pool
(``fastnet_fmnist_fullres``: four stages, 28, 14, 7 and 3 pixels wide).

The variants are trained from scratch by :mod:`vistakit.engine` recipes ("fast"
and "best"); no published weights exist.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..layers import ConvNormAct
from ._base import ImageClassifier
from ._registry import ModelSpec, register_model


class PooledStem(ConvNormAct):
    """conv -> max-pool 2 -> bn -> act: a :class:`ConvNormAct` (same parts, same state dict) that
    pools before its normalization, so that the norm and activation run at half resolution.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        act_layer: activation constructor.
    """

    def __init__(self, in_chs: int, out_chs: int, *, act_layer: type[nn.Module] = nn.ReLU) -> None:
        super().__init__(in_chs, out_chs, 3, activation_layer=act_layer)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.pool(self.conv(x))))


class FastStage(nn.Module):
    """max-pool 2 -> conv-bn-act (widen) -> [x + conv-bn-act(x)] * ``depth``.

    Args:
        in_chs: input channels.
        out_chs: output channels.
        depth: residual convolutions after the widening one.
        act_layer: activation constructor.
        pool: halve the resolution first (False: the input is already pooled).
    """

    def __init__(
        self, in_chs: int, out_chs: int, *, depth: int = 1, act_layer: type[nn.Module] = nn.ReLU, pool: bool = True
    ) -> None:
        super().__init__()
        self.pool = nn.MaxPool2d(2) if pool else nn.Identity()
        self.conv = ConvNormAct(in_chs, out_chs, 3, activation_layer=act_layer)
        self.blocks = nn.ModuleList(ConvNormAct(out_chs, out_chs, 3, activation_layer=act_layer) for _ in range(depth))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(self.pool(x))
        for block in self.blocks:
            x = x + block(x)
        return x


class FastNet(ImageClassifier):
    """Stem, three pooled residual stages, global max pooling, linear classifier.

    Args:
        num_classes: classifier outputs (0: no classifier, pre-logits out).
        in_chans: input channels.
        stem_width: channels of the full-resolution stem convolution.
        widths: channels of the three stages (at 1/2, 1/4 and 1/8 of the input side).
        depths: residual convolutions per stage.
        act_layer: activation constructor.
        drop_rate: dropout before the classifier.
        stem_pool: pool inside the stem, before its BatchNorm (see :class:`PooledStem`),
            instead of at the start of the first stage.
        first_pool: the first stage halves the resolution (False: it works at the stem's
            resolution, and only the later stages pool). Ignored with ``stem_pool``, whose
            stem has already halved it.
    """

    classifier_name = "fc"
    first_conv = "stem.conv"

    def __init__(
        self,
        *,
        num_classes: int = 1000,
        in_chans: int = 3,
        stem_width: int = 32,
        widths: tuple[int, ...] = (64, 128, 256),
        depths: tuple[int, ...] = (1, 1, 1),
        act_layer: type[nn.Module] = nn.ReLU,
        drop_rate: float = 0.0,
        stem_pool: bool = False,
        first_pool: bool = True,
    ) -> None:
        super().__init__()
        if len(widths) != len(depths):
            raise ValueError(f"FastNet: widths {widths} and depths {depths} must have the same length")
        self.stem = (
            PooledStem(in_chans, stem_width, act_layer=act_layer)
            if stem_pool
            else ConvNormAct(in_chans, stem_width, 3, activation_layer=act_layer)
        )
        stages, chs, reduction = [], stem_width, 2 if stem_pool else 1
        self.feature_info: list[dict[str, Any]] = [{"num_chs": stem_width, "reduction": reduction, "module": "stem"}]
        for i, (w, d) in enumerate(zip(widths, depths)):
            pool = i > 0 or (first_pool and not stem_pool)
            stages.append(FastStage(chs, w, depth=d, act_layer=act_layer, pool=pool))
            chs, reduction = w, reduction * (2 if pool else 1)
            self.feature_info.append({"num_chs": w, "reduction": reduction, "module": f"stages.{i}"})
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.drop = nn.Dropout(drop_rate)
        self.num_features = chs
        self.num_classes = num_classes
        self.fc: nn.Module = nn.Linear(chs, num_classes) if num_classes > 0 else nn.Identity()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = self.drop(self.pool(x).flatten(1))
        return x if pre_logits else self.fc(x)

    def group_matcher(self) -> dict[str, Any]:
        return {"stem": r"^stem\.", "blocks": [rf"^stages\.{i}\." for i in range(len(self.stages))], "head": r"^fc\."}


_PAPER = "Page, 'How to train your ResNet' (2018); Jordan, '94% on CIFAR-10 in 3.29 seconds' (airbench, 2024)"


@register_model(
    ModelSpec(
        name="fastnet_fmnist",
        family="fastnet",
        paper=_PAPER,
        num_params=235_960,
        gflops=0.004742912,
        input_size=28,
        min_size=8,
    )
)
def fastnet_fmnist(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> FastNet:
    """FastNet for 28x28 images, sized for the "fast" Fashion-MNIST recipe (2 CPU cores).

    Shaped for the most test accuracy after two epochs per second of training (measured with
    the fast recipe and its whitened stem, two seeds per row, accuracy after epoch 2):

    - a stem 16 wide instead of 24: 8% more images/s, the same accuracy;
    - the stem pooling before its BatchNorm: 7% more images/s again, the same accuracy;
    - a residual convolution in the first stage only (the 7x7 and 3x3 ones cost more than
      they add early on): about 35% more images/s, 91.6-91.7% against 91.5-91.8% with
      one per stage (the full run ends 0.3% lower, still above 93%).
    """
    return FastNet(
        num_classes=num_classes,
        in_chans=in_chans,
        **{"stem_width": 16, "widths": (32, 64, 128), "depths": (1, 0, 0), "stem_pool": True, **kwargs},
    )


@register_model(
    ModelSpec(
        name="fastnet_fmnist_wide",
        family="fastnet",
        paper=_PAPER,
        num_params=1_420_936,
        gflops=0.030572032,
        input_size=28,
        min_size=8,
    )
)
def fastnet_fmnist_wide(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> FastNet:
    """Wider FastNet for 28x28 images (about 2x the "fast" recipe's network's cost per image)."""
    return FastNet(
        num_classes=num_classes,
        in_chans=in_chans,
        **{"stem_width": 32, "widths": (64, 128, 256), "depths": (1, 1, 1), **kwargs},
    )


@register_model(
    ModelSpec(
        name="fastnet_fmnist_large",
        family="fastnet",
        paper=_PAPER,
        num_params=3_001_816,
        gflops=0.06808704,
        input_size=28,
        min_size=8,
    )
)
def fastnet_fmnist_large(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> FastNet:
    """FastNet 1.5x wider than ``fastnet_fmnist_wide``: the first "best" Fashion-MNIST recipe's network.

    Measured with that recipe (38 epochs, flips and random erasing) on 2 CPU cores: 94.88% test
    accuracy in 3,391 s of training.
    """
    return FastNet(
        num_classes=num_classes,
        in_chans=in_chans,
        **{"stem_width": 48, "widths": (96, 192, 384), "depths": (1, 1, 1), **kwargs},
    )


@register_model(
    ModelSpec(
        name="fastnet_fmnist_fullres",
        family="fastnet",
        paper=_PAPER,
        num_params=3_003_552,
        gflops=0.077513856,
        input_size=28,
        min_size=8,
    )
)
def fastnet_fmnist_fullres(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> FastNet:
    """``fastnet_fmnist_large`` with a narrow residual stage at the full 28x28 resolution before it pools.

    The other FastNets pool right after a single stem convolution: fine detail (buttons,
    collars, seams) is reduced to a max over 2x2 before any channel mixing. Here a 32-wide
    convolution and a residual one run at full resolution first (about 1.2x the cost of large).
    The "best" Fashion-MNIST recipe's network. With that recipe's earlier settings (flips and
    random erasing, 32 epochs on 2 CPU cores) it learned faster than large (94.41% after 1,941 s
    of training, where large had 93.83%) but ended where large ended (94.84%, best epoch 94.91%),
    its training set fitted; with CutMix added it reached 95.07% at epoch 27 (1,836 s on a
    2-core Xeon) and 95.12% after 32.
    """
    return FastNet(
        num_classes=num_classes,
        in_chans=in_chans,
        **{"stem_width": 24, "widths": (32, 96, 192, 384), "depths": (1, 1, 1, 1), "first_pool": False, **kwargs},
    )
