"""Swin Transformer v1 and v2, weight-compatible with torchvision's published checkpoints.

Liu et al., "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows"
(ICCV 2021) and "Swin Transformer V2: Scaling Up Capacity and Resolution" (CVPR 2022).

Layout (torchvision's keys)::

    features.0   stem: 4x4/4 conv (``.0``), to channels-last (``.1``), LayerNorm (``.2``)
    features.1   stage 0: blocks at C,  stride 4
    features.2   patch merging -> 2C
    features.3   stage 1: blocks at 2C, stride 8
    features.4   patch merging -> 4C
    features.5   stage 2: blocks at 4C, stride 16
    features.6   patch merging -> 8C
    features.7   stage 3: blocks at 8C, stride 32
    norm, head   final LayerNorm, linear classifier

Every block alternates plain and shifted window attention (shift = window // 2), from
:mod:`vistakit.layers`. v2 differs in three places: cosine attention with a
continuous position bias (``ShiftedWindowAttentionV2``), norms after rather than
before each residual branch, and patch merging that normalizes after the reduction.

Input sizes: like torchvision, the attention pads each stage's map to whole windows and
patch merging pads odd maps, so the published weights behave exactly as in torchvision
at every size. We accept sides that are multiples of the patch size (4), so that the
stem does not silently drop trailing rows or columns, and at least
``patch * 2**(stages-1)`` = 32, so that the last stage gets at least one real token per
side without padding. Sides that are multiples of ``patch * window * 2**(stages-1)``
(224 for v1, 256 for v2) need no padding at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..layers import DropPath, ShiftedWindowAttention, ShiftedWindowAttentionV2
from ._base import ImageClassifier
from ._registry import EvalTransform, ModelSpec, Weights, WeightsLocation, register_model

_PAPER_V1 = "Liu et al., Swin Transformer: Hierarchical Vision Transformer using Shifted Windows, ICCV 2021"
_PAPER_V2 = "Liu et al., Swin Transformer V2: Scaling Up Capacity and Resolution, CVPR 2022"


class _ToChannelsLast(nn.Module):
    """(N, C, H, W) -> (N, H, W, C); holds no state (torchvision's ``Permute`` slot)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, 2, 3, 1)


def _merge_2x2(x: torch.Tensor) -> torch.Tensor:
    """(..., H, W, C) -> (..., ceil(H/2), ceil(W/2), 4C): each 2x2 neighbourhood stacked on channels.

    Odd sides are zero-padded at the bottom / right first. Channel order is
    (top-left, bottom-left, top-right, bottom-right), as the checkpoints expect.
    """
    h, w = x.shape[-3], x.shape[-2]
    x = nn.functional.pad(x, (0, 0, 0, w % 2, 0, h % 2))
    return torch.cat([x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :], x[..., 0::2, 1::2, :], x[..., 1::2, 1::2, :]], -1)


class PatchMerging(nn.Module):
    """Halve the resolution and double the channels.

    v1: LayerNorm(4C) then Linear(4C -> 2C); v2 (``norm_after``): Linear then LayerNorm(2C).

    Shape:
        (N, H, W, C) -> (N, ceil(H/2), ceil(W/2), 2C)
    """

    def __init__(
        self, dim: int, *, norm_after: bool = False, norm_layer: Callable[[int], nn.Module] = nn.LayerNorm
    ) -> None:
        super().__init__()
        self.norm_after = norm_after
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(2 * dim if norm_after else 4 * dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _merge_2x2(x)
        if self.norm_after:
            return self.norm(self.reduction(x))
        return self.reduction(self.norm(x))


class SwinBlock(nn.Module):
    """One Swin block: window attention and an MLP, each a residual branch.

    v1 (pre-norm): ``x + drop(attn(norm1(x)))``, then ``x + drop(mlp(norm2(x)))``.
    v2 (``post_norm``): ``x + drop(norm1(attn(x)))``, then ``x + drop(norm2(mlp(x)))``.

    Args:
        dim: channels C.
        num_heads: attention heads.
        window_size: window side.
        shift_size: 0 (plain windows) or window_size // 2 (shifted windows).
        mlp_ratio: MLP hidden width / C.
        drop: dropout after the MLP layers and the attention projection.
        attn_drop: dropout on the attention weights.
        drop_path: stochastic depth probability of both branches.
        v2: Swin v2 block (cosine attention, post-norm).

    Shape:
        (N, H, W, C) -> (N, H, W, C)
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        *,
        window_size: int,
        shift_size: int,
        mlp_ratio: float = 4.0,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
        v2: bool = False,
    ) -> None:
        super().__init__()
        self.post_norm = v2
        attn_cls = ShiftedWindowAttentionV2 if v2 else ShiftedWindowAttention
        self.norm1 = nn.LayerNorm(dim)
        self.attn = attn_cls(
            dim, num_heads, window_size=window_size, shift_size=shift_size, attn_drop=attn_drop, proj_drop=drop
        )
        self.drop_path = DropPath(drop_path, "row")
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        # torchvision's MLP: Linear, GELU, Dropout, Linear, Dropout -> keys mlp.0 and mlp.3
        self.mlp = nn.Sequential(
            nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(drop), nn.Linear(hidden, dim), nn.Dropout(drop)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.post_norm:
            x = x + self.drop_path(self.norm1(self.attn(x)))
            return x + self.drop_path(self.norm2(self.mlp(x)))
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class SwinTransformer(ImageClassifier):
    """Swin Transformer (v1, or v2 with ``v2=True``) in torchvision's layout.

    Args:
        num_classes: classifier outputs (0: no classifier, ``forward`` gives pre-logits).
        in_chans: input channels.
        embed_dim: channels C of stage 0 (stage i has C * 2**i).
        depths: blocks per stage.
        num_heads: attention heads per stage.
        window_size: window side (7 for v1, 8 for v2).
        patch_size: side of the stem's patches.
        mlp_ratio: MLP hidden width / channels.
        drop_rate: dropout in the MLPs and after the attention projections.
        attn_drop_rate: dropout on the attention weights.
        drop_path_rate: stochastic depth, rising linearly from 0 at the first block to
            this value at the last.
        v2: Swin v2 blocks and patch merging.

    Shape:
        (N, in_chans, H, W) -> (N, num_classes), H and W multiples of ``patch_size``
        and at least :attr:`min_size`.
    """

    classifier_name = "head"
    first_conv = "features.0.0"

    def __init__(
        self,
        *,
        num_classes: int = 1000,
        in_chans: int = 3,
        embed_dim: int = 96,
        depths: tuple[int, ...] = (2, 2, 6, 2),
        num_heads: tuple[int, ...] = (3, 6, 12, 24),
        window_size: int = 7,
        patch_size: int = 4,
        mlp_ratio: float = 4.0,
        drop_rate: float = 0.0,
        attn_drop_rate: float = 0.0,
        drop_path_rate: float = 0.0,
        v2: bool = False,
    ) -> None:
        super().__init__()
        if len(depths) != len(num_heads):
            raise ValueError(f"SwinTransformer: depths {depths} and num_heads {num_heads} need one entry per stage")
        self.num_classes = num_classes
        self.patch_size = patch_size
        self.window_size = window_size
        self.min_size = patch_size * 2 ** (len(depths) - 1)

        layers: list[nn.Module] = [
            nn.Sequential(
                nn.Conv2d(in_chans, embed_dim, patch_size, stride=patch_size),
                _ToChannelsLast(),
                nn.LayerNorm(embed_dim),
            )
        ]
        total, block_id = sum(depths), 0
        self.feature_info = []
        for i, (depth, heads) in enumerate(zip(depths, num_heads)):
            dim = embed_dim * 2**i
            if i > 0:
                layers.append(PatchMerging(dim // 2, norm_after=v2))
            blocks = []
            for j in range(depth):
                blocks.append(
                    SwinBlock(
                        dim,
                        heads,
                        window_size=window_size,
                        shift_size=0 if j % 2 == 0 else window_size // 2,
                        mlp_ratio=mlp_ratio,
                        drop=drop_rate,
                        attn_drop=attn_drop_rate,
                        drop_path=drop_path_rate * block_id / max(total - 1, 1),
                        v2=v2,
                    )
                )
                block_id += 1
            layers.append(nn.Sequential(*blocks))
            self.feature_info.append(
                {"num_chs": dim, "reduction": patch_size * 2**i, "module": f"features.{len(layers) - 1}"}
            )
        self.features = nn.Sequential(*layers)
        self.num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = nn.LayerNorm(self.num_features)
        self.head: nn.Module = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        self._init_weights()

    def _init_weights(self) -> None:
        # torchvision's init: every Linear truncated-normal(0.02) with zero bias; the
        # relative position tables and logit scales keep their layer's own init.
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def check_input_size(self, height: int, width: int) -> None:
        """Raise a ValueError naming the valid sizes unless (height, width) is one of them."""
        p, lo = self.patch_size, self.min_size
        bad = [f"{side} {v}" for side, v in (("height", height), ("width", width)) if v % p or v < lo]
        if bad:
            raise ValueError(
                f"{type(self).__name__}: input of {height} x {width} pixels is not supported ({', '.join(bad)}); "
                f"each side must be a multiple of the patch size {p} and at least {lo}: "
                f"{lo}, {lo + p}, {lo + 2 * p}, ... (sides that are multiples of "
                f"{lo * self.window_size} need no padding inside the windows)"
            )

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """(N, in_chans, H, W) -> (N, H/32, W/32, num_features), channels last (torchvision's ``features``)."""
        self.check_input_size(x.shape[-2], x.shape[-1])
        return self.features(x)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """(N, h, w, num_features) -> final norm, global average -> (N, num_features) or logits."""
        x = self.norm(x).mean(dim=(1, 2))
        return x if pre_logits else self.head(x)

    def group_matcher(self) -> dict[str, Any]:
        # stage i >= 1 owns the patch merging that feeds it (features.2i) and its blocks (features.2i+1)
        n = len(self.feature_info)
        blocks = [r"^features\.1\."] + [rf"^features\.({2 * i}|{2 * i + 1})\." for i in range(1, n)]
        return {"stem": r"^features\.0\.", "blocks": blocks, "head": r"^(norm|head)\."}


def _weights(file_name: str, *, top1: float, top5: float, resize: int, crop: int, origin: str) -> tuple[Weights, ...]:
    return (
        Weights(
            tag="imagenet",
            file_name=file_name,
            sha256=file_name.rsplit("-", 1)[1].split(".")[0],
            sources=(WeightsLocation("url", f"https://download.pytorch.org/models/{file_name}"),),
            top1=top1,
            top5=top5,
            transform=EvalTransform(resize=resize, crop=crop, interpolation="bicubic"),
            origin=origin,
        ),
    )


def _swin(kwargs: dict[str, Any], **arch: Any) -> SwinTransformer:
    # torchvision trains (and builds) each variant with its own stochastic depth; callers may override
    kwargs.setdefault("drop_path_rate", arch.pop("drop_path_rate"))
    return SwinTransformer(**{**arch, **kwargs})


@register_model(
    ModelSpec(
        name="swin_t",
        family="swin",
        paper=_PAPER_V1,
        num_params=28288354,
        gflops=4.4906,
        input_size=224,
        min_size=32,
        weights=_weights(
            "swin_t-704ceda3.pth",
            top1=81.474,
            top5=95.776,
            resize=232,
            crop=224,
            origin="torchvision Swin_T_Weights.IMAGENET1K_V1",
        ),
    )
)
def swin_t(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> SwinTransformer:
    """Swin-T: C = 96, depths (2, 2, 6, 2), window 7; stochastic depth 0.2 by default."""
    return _swin(
        dict(kwargs, num_classes=num_classes, in_chans=in_chans),
        embed_dim=96,
        depths=(2, 2, 6, 2),
        num_heads=(3, 6, 12, 24),
        window_size=7,
        drop_path_rate=0.2,
    )


@register_model(
    ModelSpec(
        name="swin_s",
        family="swin",
        paper=_PAPER_V1,
        num_params=49606258,
        gflops=8.7409,
        input_size=224,
        min_size=32,
        weights=_weights(
            "swin_s-5e29d889.pth",
            top1=83.196,
            top5=96.36,
            resize=246,
            crop=224,
            origin="torchvision Swin_S_Weights.IMAGENET1K_V1",
        ),
    )
)
def swin_s(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> SwinTransformer:
    """Swin-S: C = 96, depths (2, 2, 18, 2), window 7; stochastic depth 0.3 by default."""
    return _swin(
        dict(kwargs, num_classes=num_classes, in_chans=in_chans),
        embed_dim=96,
        depths=(2, 2, 18, 2),
        num_heads=(3, 6, 12, 24),
        window_size=7,
        drop_path_rate=0.3,
    )


@register_model(
    ModelSpec(
        name="swin_b",
        family="swin",
        paper=_PAPER_V1,
        num_params=87768224,
        gflops=15.431,
        input_size=224,
        min_size=32,
        weights=_weights(
            "swin_b-68c6b09e.pth",
            top1=83.582,
            top5=96.64,
            resize=238,
            crop=224,
            origin="torchvision Swin_B_Weights.IMAGENET1K_V1",
        ),
    )
)
def swin_b(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> SwinTransformer:
    """Swin-B: C = 128, depths (2, 2, 18, 2), window 7; stochastic depth 0.5 by default."""
    return _swin(
        dict(kwargs, num_classes=num_classes, in_chans=in_chans),
        embed_dim=128,
        depths=(2, 2, 18, 2),
        num_heads=(4, 8, 16, 32),
        window_size=7,
        drop_path_rate=0.5,
    )


@register_model(
    ModelSpec(
        name="swin_v2_t",
        family="swin",
        paper=_PAPER_V2,
        num_params=28351570,
        gflops=4.9385,
        input_size=224,
        min_size=32,
        weights=_weights(
            "swin_v2_t-b137f0e2.pth",
            top1=82.072,
            top5=96.132,
            resize=260,
            crop=256,
            origin="torchvision Swin_V2_T_Weights.IMAGENET1K_V1",
        ),
    )
)
def swin_v2_t(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> SwinTransformer:
    """Swin-V2-T: C = 96, depths (2, 2, 6, 2), window 8; stochastic depth 0.2 by default."""
    return _swin(
        dict(kwargs, num_classes=num_classes, in_chans=in_chans),
        embed_dim=96,
        depths=(2, 2, 6, 2),
        num_heads=(3, 6, 12, 24),
        window_size=8,
        drop_path_rate=0.2,
        v2=True,
    )


@register_model(
    ModelSpec(
        name="swin_v2_s",
        family="swin",
        paper=_PAPER_V2,
        num_params=49737442,
        gflops=9.6953,
        input_size=224,
        min_size=32,
        weights=_weights(
            "swin_v2_s-637d8ceb.pth",
            top1=83.712,
            top5=96.816,
            resize=260,
            crop=256,
            origin="torchvision Swin_V2_S_Weights.IMAGENET1K_V1",
        ),
    )
)
def swin_v2_s(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> SwinTransformer:
    """Swin-V2-S: C = 96, depths (2, 2, 18, 2), window 8; stochastic depth 0.3 by default."""
    return _swin(
        dict(kwargs, num_classes=num_classes, in_chans=in_chans),
        embed_dim=96,
        depths=(2, 2, 18, 2),
        num_heads=(3, 6, 12, 24),
        window_size=8,
        drop_path_rate=0.3,
        v2=True,
    )


@register_model(
    ModelSpec(
        name="swin_v2_b",
        family="swin",
        paper=_PAPER_V2,
        num_params=87930848,
        gflops=17.048,
        input_size=224,
        min_size=32,
        weights=_weights(
            "swin_v2_b-781e5279.pth",
            top1=84.112,
            top5=96.864,
            resize=272,
            crop=256,
            origin="torchvision Swin_V2_B_Weights.IMAGENET1K_V1",
        ),
    )
)
def swin_v2_b(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> SwinTransformer:
    """Swin-V2-B: C = 128, depths (2, 2, 18, 2), window 8; stochastic depth 0.5 by default."""
    return _swin(
        dict(kwargs, num_classes=num_classes, in_chans=in_chans),
        embed_dim=128,
        depths=(2, 2, 18, 2),
        num_heads=(4, 8, 16, 32),
        window_size=8,
        drop_path_rate=0.5,
        v2=True,
    )
