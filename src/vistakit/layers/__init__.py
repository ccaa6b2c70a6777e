"""Building blocks shared by the model families, written once and tested once."""

from ._conv import Conv2dNormActivation, ConvNormAct, make_divisible
from ._drop import DropPath, drop_path
from ._inverted_residual import FusedMBConv, InvertedResidual
from ._squeeze_excite import SqueezeExcite

__all__ = [
    "Conv2dNormActivation",
    "ConvNormAct",
    "DropPath",
    "FusedMBConv",
    "InvertedResidual",
    "SqueezeExcite",
    "drop_path",
    "make_divisible",
]
