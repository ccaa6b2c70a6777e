"""The model zoo: classic classification architectures, weight-compatible with the published checkpoints.

>>> from vistakit.models import create_model, list_models
>>> model = create_model("resnet18", num_classes=10)

``weights=`` takes a published tag ("imagenet"), a checkpoint file or a run folder, read by
:func:`parse_weights`; a file in a foreign layout that a registered adapter recognises
(:func:`register_adapter`) is converted on loading.
"""

from ._base import ImageClassifier, parameter_groups
from ._checkpoint import (
    CheckpointError,
    describe_state_dict,
    parse_state_dict_description,
    read_checkpoint,
    register_adapter,
    save_safetensors,
)
from ._factory import create_model, import_weights, load_weights, resolve_weights_file, weights_cache_path
from ._flops import count_flops
from ._inference import Prediction, load_image, predict, preprocess
from ._registry import EvalTransform, ModelSpec, Weights, WeightsLocation, list_models, model_info, register_model
from ._tools import LayerRow, export_onnx, profile, summarize
from ._weights_arg import WeightsArg, parse_weights

# Architecture families: importing a family registers its models.
# (one line per family module; keep sorted)
from . import alexnet  # noqa: E402,F401  (AlexNet)
from . import efficientnet  # noqa: E402,F401  (EfficientNet B0-B7, V2)
from . import efficientnet_lite  # noqa: E402,F401  (EfficientNet-Lite0-4)
from . import fastnet  # noqa: E402,F401  (FastNet for 28x28 images, trained by the engine's recipes)
from . import inception, inception_v4  # noqa: E402,F401  (GoogLeNet, Inception v3/v4, Inception-ResNet-v2)
from . import mobilenet  # noqa: E402,F401  (MobileNet v1-v3)
from . import resnest  # noqa: E402,F401  (ResNeSt)
from . import resnet  # noqa: E402,F401  (ResNet, ResNeXt, Wide ResNet, SE-ResNe(X)t)
from . import sknet  # noqa: E402,F401  (Selective Kernel ResNets)
from . import swin  # noqa: E402,F401  (Swin Transformer v1/v2)
from . import vgg  # noqa: E402,F401  (VGG)

__all__ = [
    "CheckpointError",
    "EvalTransform",
    "ImageClassifier",
    "LayerRow",
    "ModelSpec",
    "Prediction",
    "Weights",
    "WeightsArg",
    "WeightsLocation",
    "count_flops",
    "create_model",
    "describe_state_dict",
    "export_onnx",
    "import_weights",
    "list_models",
    "load_image",
    "load_weights",
    "model_info",
    "parameter_groups",
    "parse_state_dict_description",
    "parse_weights",
    "predict",
    "preprocess",
    "profile",
    "read_checkpoint",
    "register_adapter",
    "register_model",
    "resolve_weights_file",
    "save_safetensors",
    "summarize",
    "weights_cache_path",
]
