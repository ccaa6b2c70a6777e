"""The model zoo: classic classification architectures, weight-compatible with the published checkpoints.

>>> from vistakit.models import create_model, list_models
>>> model = create_model("resnet18", num_classes=10)
"""

from ._base import ImageClassifier, parameter_groups
from ._checkpoint import CheckpointError, read_checkpoint, register_adapter, save_safetensors
from ._factory import create_model, import_weights, load_weights, resolve_weights_file, weights_cache_path
from ._flops import count_flops
from ._registry import EvalTransform, ModelSpec, Weights, WeightSource, list_models, model_info

# Architecture families: importing a family registers its models.
# (one line per family module; keep sorted)
from . import fastnet  # noqa: E402,F401

__all__ = [
    "CheckpointError",
    "EvalTransform",
    "ImageClassifier",
    "ModelSpec",
    "WeightSource",
    "Weights",
    "count_flops",
    "create_model",
    "import_weights",
    "list_models",
    "load_weights",
    "model_info",
    "parameter_groups",
    "read_checkpoint",
    "register_adapter",
    "resolve_weights_file",
    "save_safetensors",
    "weights_cache_path",
]
