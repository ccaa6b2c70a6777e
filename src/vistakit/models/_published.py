"""Short constructors for the two common kinds of published weights: torchvision's and timm's."""

from __future__ import annotations

import math

from ._registry import IMAGENET_MEAN, IMAGENET_STD, EvalTransform, Weights, WeightsLocation

TORCHVISION_URL = "https://download.pytorch.org/models/"


def torchvision_weights(
    tag: str,
    file_name: str,
    *,
    enum: str,
    top1: float | None,
    top5: float | None,
    resize: int = 256,
    crop: int = 224,
    interpolation: str = "bilinear",
    mean: tuple[float, float, float] = IMAGENET_MEAN,
    std: tuple[float, float, float] = IMAGENET_STD,
    extra_sources: tuple[WeightsLocation, ...] = (),
) -> Weights:
    """Weights published at download.pytorch.org/models/<file_name>.

    The sha256 prefix is the one torchvision puts in the file name (``resnet18-f37072fd.pth``).

    Args:
        tag: vistakit's name for them ("imagenet", "imagenet_v2").
        file_name: the published file name.
        enum: torchvision's weights enum (``"ResNet50_Weights.IMAGENET1K_V2"``).
        top1: published ImageNet-1k top-1 (%).
        top5: published top-5 (%).
        resize: eval resize of the shorter side.
        crop: eval center crop.
        interpolation: eval resize interpolation.
        mean: normalization mean.
        std: normalization std.
        extra_sources: other places the same file can come from (e.g. a pip package), tried
            before the URL.
    """
    sha = file_name.rsplit("-", 1)[-1].split(".", 1)[0]
    return Weights(
        tag=tag,
        file_name=file_name,
        sha256=sha,
        sources=(*extra_sources, WeightsLocation("url", TORCHVISION_URL + file_name)),
        top1=top1,
        top5=top5,
        transform=EvalTransform(resize=resize, crop=crop, interpolation=interpolation, mean=mean, std=std),
        origin=f"torchvision {enum}",
    )


def timm_hub_weights(
    hf_hub_id: str,
    *,
    tag: str = "imagenet",
    crop_pct: float = 0.875,
    interpolation: str = "bicubic",
    input_size: int = 224,
    mean: tuple[float, float, float] = IMAGENET_MEAN,
    std: tuple[float, float, float] = IMAGENET_STD,
    top1: float | None = None,
    top5: float | None = None,
    license: str | None = None,
) -> Weights:
    """timm weights on the Hugging Face hub (``timm/<name>.<pretrained tag>``), as safetensors.

    The hub publishes no sha256 in the name, so none is checked. The eval transform is
    timm's: resize the shorter side to ``floor(input_size / crop_pct)``, center-crop ``input_size``.
    """
    repo_name = hf_hub_id.split("/", 1)[1]
    return Weights(
        tag=tag,
        file_name=f"{repo_name}.safetensors",
        sha256="",
        sources=(WeightsLocation("url", f"https://huggingface.co/{hf_hub_id}/resolve/main/model.safetensors"),),
        top1=top1,
        top5=top5,
        transform=EvalTransform(
            resize=math.floor(input_size / crop_pct), crop=input_size, interpolation=interpolation, mean=mean, std=std
        ),
        license=license,
        origin=f"timm {repo_name} (hf hub {hf_hub_id})",
    )
