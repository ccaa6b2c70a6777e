"""Augmentation: colour, geometric, object-level and mixing transforms that keep every
target of a sample in sync.

Every transform takes a typed :class:`~vistakit.structures.Sample` (image plus
any of class label, boxes in any declared format, instance masks, semantic
mask, keypoints with visibility, polygons, text instances) and applies one
sampled set of parameters to all of them; or it is called Albumentations-style with keywords::

    t = Compose([RandomResizedCrop(224), HorizontalFlip(), ColorJitter(brightness=0.4), Normalize()], seed=0)
    out = t(image=hwc_uint8, boxes=xyxy, labels=labels)            # dict with the same keys
    sample = t(Sample(image=chw_uint8_tensor, label=3))             # Sample back, CHW tensor back
    out, params = t(sample, return_params=True); replay(params, other_sample)

Default probabilities follow Albumentations: augmentations apply with
``p=0.5``; data-shaping ops (resize, crops, pad, letterbox, Normalize,
ToTensor), policies and composites with ``p=1``.

Speed: images stay uint8 HWC until :class:`Normalize`; kernels are OpenCV calls
and lookup tables (see ``benchmarks/augment.py``). :mod:`vistakit.transforms.batch`
augments whole (N, C, H, W) tensors with per-sample parameters on CPU or GPU.
"""

from . import batch
from ._base import Transform, from_dict, get_transform_class, registered_transforms, replay
from ._color import (
    CLAHE,
    IMAGENET_MEAN,
    IMAGENET_STD,
    AutoContrast,
    Brightness,
    ChannelShuffle,
    ColorJitter,
    Contrast,
    Equalize,
    Gamma,
    GaussianBlur,
    GaussianNoise,
    Grayscale,
    Hue,
    Invert,
    ISONoise,
    JPEGCompression,
    MedianBlur,
    MotionBlur,
    Normalize,
    Posterize,
    RGBShift,
    Saturation,
    Sharpen,
    Solarize,
    ToTensor,
)
from ._compose import Compose, OneOf, RandomOrder, SomeOf
from ._geometric import (
    Affine,
    CenterCrop,
    Crop,
    ElasticTransform,
    GridDistortion,
    HorizontalFlip,
    Letterbox,
    LongestMaxSize,
    Pad,
    PadIfNeeded,
    Perspective,
    RandomCrop,
    RandomResizedCrop,
    RandomRotate90,
    Resize,
    Rotate,
    SmallestMaxSize,
    VerticalFlip,
)
from ._mix import CoarseDropout, CopyPaste, CutMix, MixUp, Mosaic, RandomErasing
from ._policies import AutoAugment, RandAugment, TrivialAugmentWide
from ._preview import draw_sample, preview_grid, save_image
from ._serialize import load_pipeline, pipeline_from_config, pipeline_to_yaml, save_pipeline

__all__ = [
    # base and composition
    "Transform",
    "Compose",
    "OneOf",
    "SomeOf",
    "RandomOrder",
    "replay",
    "from_dict",
    "get_transform_class",
    "registered_transforms",
    "save_pipeline",
    "load_pipeline",
    "pipeline_from_config",
    "pipeline_to_yaml",
    "preview_grid",
    "draw_sample",
    "save_image",
    "batch",
    # colour
    "Brightness",
    "Contrast",
    "Saturation",
    "Hue",
    "ColorJitter",
    "Gamma",
    "Grayscale",
    "Solarize",
    "Posterize",
    "Equalize",
    "AutoContrast",
    "CLAHE",
    "RGBShift",
    "ChannelShuffle",
    "Invert",
    "GaussianNoise",
    "ISONoise",
    "JPEGCompression",
    "Normalize",
    "ToTensor",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    # blur and sharpness
    "GaussianBlur",
    "MotionBlur",
    "MedianBlur",
    "Sharpen",
    # geometric
    "HorizontalFlip",
    "VerticalFlip",
    "RandomRotate90",
    "Rotate",
    "Affine",
    "Perspective",
    "ElasticTransform",
    "GridDistortion",
    "Resize",
    "SmallestMaxSize",
    "LongestMaxSize",
    "RandomResizedCrop",
    "CenterCrop",
    "RandomCrop",
    "Crop",
    "Pad",
    "PadIfNeeded",
    "Letterbox",
    # object-level and mixing
    "CoarseDropout",
    "RandomErasing",
    "MixUp",
    "CutMix",
    "Mosaic",
    "CopyPaste",
    # policies
    "RandAugment",
    "TrivialAugmentWide",
    "AutoAugment",
]
