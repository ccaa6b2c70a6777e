"""Building blocks shared by the model families, written once and tested once."""

from ._conv import Conv2dNormActivation, ConvNormAct, conv2d, make_divisible
from ._drop import DropPath, drop_path
from ._inverted_residual import FusedMBConv, InvertedResidual
from ._padding import Conv2dSame, freeze_same_padding, same_padding
from ._selective_kernel import SelectiveKernel, SelectiveKernelAttention
from ._split_attention import SplitAttention
from ._squeeze_excite import SqueezeExcite
from ._window_attention import (
    ShiftedWindowAttention,
    ShiftedWindowAttentionV2,
    log_spaced_relative_coords,
    relative_position_index,
    shifted_window_mask,
    window_partition,
    window_reverse,
)

__all__ = [
    "Conv2dNormActivation",
    "Conv2dSame",
    "ConvNormAct",
    "DropPath",
    "FusedMBConv",
    "InvertedResidual",
    "SelectiveKernel",
    "SelectiveKernelAttention",
    "ShiftedWindowAttention",
    "ShiftedWindowAttentionV2",
    "SplitAttention",
    "SqueezeExcite",
    "conv2d",
    "drop_path",
    "freeze_same_padding",
    "log_spaced_relative_coords",
    "make_divisible",
    "relative_position_index",
    "same_padding",
    "shifted_window_mask",
    "window_partition",
    "window_reverse",
]
