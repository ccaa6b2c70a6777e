"""Small constructors for the registry entries of torchvision- and timm-published weights."""

from __future__ import annotations

from ._registry import IMAGENET_MEAN, IMAGENET_STD, EvalTransform, Weights, WeightSource

TORCHVISION_URL = "https://download.pytorch.org/models/"


def torchvision_weights(
    tag: str,
    enum: str,
    file_name: str,
    *,
    top1: float,
    top5: float,
    resize: int,
    crop: int,
    interpolation: str = "bilinear",
    mean: tuple[float, float, float] = IMAGENET_MEAN,
    std: tuple[float, float, float] = IMAGENET_STD,
    extra_sources: tuple[WeightSource, ...] = (),
) -> Weights:
    """A torchvision weights enum as a :class:`Weights` entry.

    The sha256 prefix is the one torchvision puts in its file names
    (``mobilenet_v2-b0353104.pth`` -> ``b0353104``).

    Args:
        tag: vistakit tag ("imagenet" for ``IMAGENET1K_V1``, "imagenet_v2" for ``IMAGENET1K_V2``).
        enum: torchvision's enum, e.g. ``"MobileNet_V2_Weights.IMAGENET1K_V1"``.
        file_name: the published file name under download.pytorch.org/models/.
        top1: published ImageNet-1k top-1 (%).
        top5: published top-5 (%).
        resize: eval resize of the shorter side.
        crop: eval center crop.
        interpolation: eval resize interpolation.
        mean: normalization mean.
        std: normalization std.
        extra_sources: other places the same file can come from (e.g. a pip package).
    """
    stem = file_name.rsplit(".", 1)[0]
    sha = stem.rsplit("-", 1)[1]
    return Weights(
        tag=tag,
        file_name=file_name,
        sha256=sha,
        sources=(*extra_sources, WeightSource("url", TORCHVISION_URL + file_name)),
        top1=top1,
        top5=top5,
        transform=EvalTransform(resize=resize, crop=crop, interpolation=interpolation, mean=mean, std=std),
        origin=f"torchvision {enum}",
    )


def timm_hub_weights(
    model: str,
    hub_tag: str,
    *,
    tag: str = "imagenet",
    top1: float | None,
    top5: float | None,
    transform: EvalTransform,
    license: str | None = None,
) -> Weights:
    """A timm Hugging Face Hub checkpoint (``timm/<model>.<hub_tag>``) as a :class:`Weights` entry.

    The hub publishes no sha256 in the file name, so ``sha256`` is empty (the
    download is not verified against a published digest).

    Args:
        model: timm model name, e.g. ``"mobilenetv1_100"``.
        hub_tag: timm's pretrained tag, e.g. ``"ra4_e3600_r224_in1k"``.
        tag: vistakit tag users ask for.
        top1: published ImageNet-1k top-1 (%) at ``transform.crop``, if known.
        top5: published top-5 (%), if known.
        transform: the eval preprocessing of timm's ``pretrained_cfg``.
        license: license of the weights.
    """
    hub_id = f"timm/{model}.{hub_tag}"
    return Weights(
        tag=tag,
        file_name=f"{model}.{hub_tag}.safetensors",
        sha256="",
        sources=(WeightSource("url", f"https://huggingface.co/{hub_id}/resolve/main/model.safetensors"),),
        top1=top1,
        top5=top5,
        transform=transform,
        license=license,
        origin=f"timm {hub_id}",
    )
