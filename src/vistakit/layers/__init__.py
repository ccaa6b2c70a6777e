"""Building blocks shared by the model families, written once and tested once."""

from ._conv import Conv2dNormActivation, ConvNormAct, make_divisible
from ._drop import DropPath, drop_path
from ._selective_kernel import SelectiveKernel, SelectiveKernelAttention
from ._split_attention import SplitAttention
from ._squeeze_excite import SqueezeExcite

__all__ = [
    "Conv2dNormActivation",
    "ConvNormAct",
    "DropPath",
    "SelectiveKernel",
    "SelectiveKernelAttention",
    "SplitAttention",
    "SqueezeExcite",
    "drop_path",
    "make_divisible",
]
