"""Building blocks shared by the model families, written once and tested once."""

from ._conv import Conv2dNormActivation, ConvNormAct, make_divisible
from ._drop import DropPath, drop_path
from ._inverted_residual import FusedMBConv, InvertedResidual
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
    "drop_path",
    "log_spaced_relative_coords",
    "make_divisible",
    "relative_position_index",
    "shifted_window_mask",
    "window_partition",
    "window_reverse",
]
