"""The model zoo: classic classification architectures, weight-compatible with the published checkpoints.

>>> from vistakit.models import create_model, list_models
>>> model = create_model("resnet18", num_classes=10)

``weights=`` takes a published tag ("imagenet"), a checkpoint file or a run folder, read by
:func:`parse_weights`; a file in a foreign layout that a registered adapter recognises
(:func:`register_adapter`) is converted on loading.
"""

# Architecture families: importing a family registers its models.
# (one line per family module; keep sorted)
from . import (  # noqa: E402,F401  (GoogLeNet, Inception v3/v4, Inception-ResNet-v2)
    alexnet,  # noqa: E402,F401  (AlexNet)
    efficientnet,  # noqa: E402,F401  (EfficientNet B0-B7, V2)
    efficientnet_lite,  # noqa: E402,F401  (EfficientNet-Lite0-4)
    fastnet,  # noqa: E402,F401  (FastNet for 28x28 images, trained by the engine's recipes)
    inception,
    inception_v4,
    mobilenet,  # noqa: E402,F401  (MobileNet v1-v3)
    resnest,  # noqa: E402,F401  (ResNeSt)
    resnet,  # noqa: E402,F401  (ResNet, ResNeXt, Wide ResNet, SE-ResNe(X)t)
    sknet,  # noqa: E402,F401  (Selective Kernel ResNets)
    swin,  # noqa: E402,F401  (Swin Transformer v1/v2)
    vgg,  # noqa: E402,F401  (VGG)
)
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
