"""The way in and out of a transform: validation, the working form, and back.

Transforms work on one *working form* of a :class:`~vistakit.structures.Sample`:

* ``image``: (H, W, C) numpy array, C in {1, 3}, uint8 (float32 after ``Normalize``);
* ``boxes``: :class:`Boxes` holding (N, 4) float64 numpy ``xyxy`` pixel coordinates;
* ``labels``, ``ids``: (N,) numpy arrays; ``texts``: a list;
* ``masks``: (N, H, W) numpy array of a dtype OpenCV can warp; ``mask``: (H, W) likewise;
* ``keypoints``: :class:`Keypoints` with float64 (N, K, 2) data and (N, K) bool visibility;
* ``polygons``: a list of N :class:`Polygons`; ``text_instances``: a list of
  :class:`TextInstance` (both float64 numpy points in pixels); ``captions``: a list.

:func:`prepare` validates what the caller gave (before any work is done) and
converts it to that form, remembering how to convert back; :meth:`Restore.finish`
returns the result in the caller's form (typed sample, dict of keywords, or a bare
image; tensors stay tensors, boxes keep their declared format).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..structures import Boxes, BoxFormat, Caption, Keypoints, Polygons, Sample, TextInstance, convert_boxes

__all__ = ["BOX_FORMATS", "prepare", "Restore", "as_sample", "working_sample", "evolve"]

# Names accepted by the keyword form's ``box_format=``: (layout, normalized).
BOX_FORMATS: dict[str, tuple[BoxFormat, bool]] = {
    "xyxy": (BoxFormat.XYXY, False),
    "xywh": (BoxFormat.XYWH, False),
    "cxcywh": (BoxFormat.CXCYWH, False),
    "xyxy_normalized": (BoxFormat.XYXY, True),
    "xywh_normalized": (BoxFormat.XYWH, True),
    "cxcywh_normalized": (BoxFormat.CXCYWH, True),
    "pascal_voc": (BoxFormat.XYXY, False),
    "coco": (BoxFormat.XYWH, False),
    "yolo": (BoxFormat.CXCYWH, True),
    "albumentations": (BoxFormat.XYXY, True),
}

_KEYWORDS = (
    "image",
    "label",
    "boxes",
    "labels",
    "masks",
    "mask",
    "keypoints",
    "keypoints_visible",
    "ids",
    "texts",
    "polygons",
    "text_instances",
    "captions",
    "meta",
    "mix_samples",
)

_BOX_TOL = 1e-3  # pixels a box may stick out of the image (float round-off)


def evolve(s: Sample, **changes: Any) -> Sample:
    """A shallow copy of ``s`` with some fields replaced.

    Same result as ``Sample.replace`` without ``dataclasses.replace``'s
    per-call introspection, which dominated the cost of cheap transforms.
    """
    new = object.__new__(Sample)
    new.__dict__ = {**s.__dict__, **changes}
    return new


# ----------------------------------------------------------------------------- array kinds


@dataclass(frozen=True)
class _Kind:
    """How an array came in: numpy or tensor, its dtype and device; list when a list."""

    kind: str  # "numpy", "tensor" or "list"
    dtype: Any = None
    device: Any = None


def _to_numpy(x: Any, field_name: str) -> tuple[np.ndarray, _Kind]:
    if isinstance(x, np.ndarray):
        return x, _Kind("numpy", x.dtype)
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy(), _Kind("tensor", x.dtype, x.device)
    if isinstance(x, (list, tuple)):
        try:
            arr = np.asarray(x)
        except ValueError as e:
            raise ValueError(f"{field_name}: cannot read as an array ({e})") from None
        return arr, _Kind("list", arr.dtype)
    raise ValueError(f"{field_name}: expected a numpy array, a torch tensor or a list, got {type(x).__name__}")


def _from_numpy(arr: np.ndarray, kind: _Kind, *, keep_dtype: bool = True) -> Any:
    if kind.kind == "tensor":
        t = torch.from_numpy(np.ascontiguousarray(arr))
        if keep_dtype and kind.dtype is not None and t.dtype != kind.dtype:
            t = t.to(kind.dtype)
        return t.to(kind.device) if kind.device is not None and kind.device.type != "cpu" else t
    if kind.kind == "list":
        return arr.tolist()
    if keep_dtype and kind.dtype is not None and arr.dtype != kind.dtype:
        return arr.astype(kind.dtype)
    return arr


def _mask_working_dtype(arr: np.ndarray, field_name: str) -> np.ndarray:
    """A dtype OpenCV warps with nearest-neighbour sampling, without changing any value."""
    if arr.dtype == np.bool_:
        return arr.view(np.uint8)
    if arr.dtype in (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64):
        return arr
    if np.issubdtype(arr.dtype, np.integer):
        if arr.size == 0:
            return arr.astype(np.int32)
        lo, hi = int(arr.min()), int(arr.max())
        if np.iinfo(np.int32).min <= lo and hi <= np.iinfo(np.int32).max:
            return arr.astype(np.int32)
        if -(2**53) <= lo and hi <= 2**53:
            return arr.astype(np.float64)
    raise ValueError(f"{field_name}: expected an integer or bool array, got dtype {arr.dtype}")


# ----------------------------------------------------------------------------- validation


_NUMPY_UINT8 = _Kind("numpy", np.dtype(np.uint8))


def _check_image(image: Any) -> tuple[np.ndarray, str, _Kind]:
    """Validate the image and return it as HWC numpy, with its layout and kind."""
    # The common case, checked first and cheaply: an (H, W, 1|3) uint8 numpy image.
    if type(image) is np.ndarray and image.dtype == np.uint8 and image.ndim == 3:
        h, w, c = image.shape
        if h and w and (c == 3 or c == 1):
            return image, "hwc", _NUMPY_UINT8
    expected = (
        "expected an (H, W, C) numpy array or a (C, H, W) torch tensor (or (H, W)), "
        "C in {1, 3}, dtype uint8 (or float32)"
    )
    if isinstance(image, torch.Tensor):
        if image.ndim not in (2, 3):
            raise ValueError(f"image: {expected}; got a tensor of shape {tuple(image.shape)}")
        if image.ndim == 3 and image.shape[0] not in (1, 3):
            raise ValueError(
                f"image: {expected}; got a tensor of shape {tuple(image.shape)} ({image.shape[0]} channels)"
            )
        arr = image.detach().cpu().numpy()
        layout = "hw" if arr.ndim == 2 else "chw"
        arr = arr[:, :, None] if arr.ndim == 2 else arr.transpose(1, 2, 0)
        kind = _Kind("tensor", image.dtype, image.device)
    elif isinstance(image, np.ndarray):
        if image.ndim not in (2, 3):
            raise ValueError(f"image: {expected}; got an array of shape {image.shape}")
        if image.ndim == 3 and image.shape[2] not in (1, 3):
            hint = (
                " (it looks like (C, H, W); pass a torch tensor or transpose to (H, W, C))"
                if image.shape[0] in (1, 3)
                else ""
            )
            raise ValueError(
                f"image: {expected}; got an array of shape {image.shape} ({image.shape[2]} channels){hint}"
            )
        layout = "hw" if image.ndim == 2 else "hwc"
        arr = image[:, :, None] if image.ndim == 2 else image
        kind = _Kind("numpy", image.dtype)
    else:
        raise ValueError(f"image: {expected}; got {type(image).__name__}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"image: empty image of size {arr.shape[0]}x{arr.shape[1]}; {expected}")
    if arr.dtype not in (np.uint8, np.float32):
        raise ValueError(f"image: {expected}; got dtype {arr.dtype}")
    if not arr.flags.c_contiguous and layout == "chw":
        arr = np.ascontiguousarray(arr)
    return arr, layout, kind


def _check_boxes(xyxy: np.ndarray, height: int, width: int, fmt: str) -> None:
    if not np.all(np.isfinite(xyxy)):
        i = int(np.argwhere(~np.isfinite(xyxy).all(axis=1))[0, 0])
        raise ValueError(f"boxes[{i}]: {xyxy[i].tolist()} is not finite; expected {fmt} boxes")
    bad = (xyxy[:, 2] < xyxy[:, 0]) | (xyxy[:, 3] < xyxy[:, 1])
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"boxes[{i}]: {xyxy[i].tolist()} (as xyxy) has x2 < x1 or y2 < y1; "
            f"expected {fmt} boxes with x1 <= x2 and y1 <= y2"
        )
    out = (
        (xyxy[:, 0] < -_BOX_TOL)
        | (xyxy[:, 1] < -_BOX_TOL)
        | (xyxy[:, 2] > width + _BOX_TOL)
        | (xyxy[:, 3] > height + _BOX_TOL)
    )
    if out.any():
        i = int(np.argmax(out))
        raise ValueError(
            f"boxes[{i}]: {xyxy[i].tolist()} (as xyxy pixels) lies outside the "
            f"{width}x{height} image; expected {fmt} boxes inside [0, {width}] x [0, {height}] "
            "(clip them first)"
        )


def _check_length(name: str, arr: Any, n: int, what: str = "boxes") -> None:
    if len(arr) != n:
        raise ValueError(f"{name}: has {len(arr)} entries but there are {n} {what}; expected one per box")


# ----------------------------------------------------------------------------- restore


@dataclass
class Restore:
    """How to give the result back in the form the caller used."""

    form: str  # "sample", "keywords" or "image"
    image_layout: str = "hwc"
    image_kind: _Kind = _Kind("numpy")
    boxes_format: BoxFormat = BoxFormat.XYXY
    boxes_normalized: bool = False
    boxes_kind: _Kind | None = None
    labels_kind: _Kind | None = None
    ids_kind: _Kind | None = None
    masks_kind: _Kind | None = None
    mask_kind: _Kind | None = None
    keypoints_kind: _Kind | None = None
    keypoints_cols: int = 2  # keyword form: 3 when visibility came as a third column
    keypoints_flat: bool = False  # keyword form: (K, 2|3) instead of (N, K, 2|3)
    keys: tuple[str, ...] = ()

    def image(self, image: Any) -> Any:
        """The working image back in the caller's layout (a tensor stays a tensor)."""
        if self.image_layout == "hwc" and self.image_kind.kind == "numpy":
            return image
        if isinstance(image, torch.Tensor):  # ToTensor already produced the final form
            return image
        if self.image_kind.kind == "tensor":
            arr = image[:, :, 0] if self.image_layout == "hw" else image.transpose(2, 0, 1)
            t = torch.from_numpy(np.ascontiguousarray(arr))
            dev = self.image_kind.device
            return t.to(dev) if dev is not None and dev.type != "cpu" else t
        if self.image_layout == "hw" and image.ndim == 3 and image.shape[2] == 1:
            return image[:, :, 0]
        return image

    def boxes(self, boxes: Boxes, height: int, width: int) -> Any:
        """The working boxes' data back in the caller's format, normalization and kind."""
        data = convert_boxes(np.asarray(boxes.data, dtype=np.float64), src=BoxFormat.XYXY, dst=self.boxes_format)
        if self.boxes_normalized:
            data = data / np.array([width, height, width, height], dtype=np.float64)
        kind = self.boxes_kind
        if kind is not None and kind.dtype is not None:
            floating = (
                kind.dtype.is_floating_point
                if isinstance(kind.dtype, torch.dtype)
                else np.issubdtype(kind.dtype, np.floating)
            )
            if not floating:
                kind = _Kind(kind.kind, torch.float32 if kind.kind == "tensor" else np.float64, kind.device)
        return _from_numpy(data, kind) if kind else data

    def finish(self, s: Sample) -> Any:
        """Convert a working sample back to the caller's form."""
        if self.keys == ("image",):
            return {"image": self.image(s.image)}
        h, w = int(s.image.shape[0]), int(s.image.shape[1])
        if isinstance(s.image, torch.Tensor):
            h, w = int(s.image.shape[-2]), int(s.image.shape[-1])
        image = self.image(s.image)
        if self.form == "image":
            return image
        label = s.label
        if isinstance(label, np.ndarray) and self.image_kind.kind == "tensor":
            label = torch.from_numpy(label)
        boxes = self.boxes(s.boxes, h, w) if s.boxes is not None else None
        if boxes is not None and self.form == "sample":
            boxes = Boxes(boxes, self.boxes_format, self.boxes_normalized)
        labels = _from_numpy(s.labels, self.labels_kind) if s.labels is not None and self.labels_kind else s.labels
        ids = _from_numpy(s.ids, self.ids_kind) if s.ids is not None and self.ids_kind else s.ids
        masks = _from_numpy(s.masks, self.masks_kind) if s.masks is not None and self.masks_kind else s.masks
        mask = _from_numpy(s.mask, self.mask_kind) if s.mask is not None and self.mask_kind else s.mask
        kp = s.keypoints
        if self.form == "sample":
            if kp is not None and self.keypoints_kind is not None:
                kp = Keypoints(
                    _from_numpy(kp.data, self.keypoints_kind),
                    _from_numpy(
                        kp.visible,
                        _Kind(
                            self.keypoints_kind.kind,
                            torch.bool if self.keypoints_kind.kind == "tensor" else np.bool_,
                            self.keypoints_kind.device,
                        ),
                    ),
                    kp.names,
                )
            return Sample(
                image=image,
                label=label,
                boxes=boxes,
                labels=labels,
                masks=masks,
                mask=mask,
                keypoints=kp,
                texts=s.texts,
                ids=ids,
                meta=s.meta,
                polygons=s.polygons,
                text_instances=s.text_instances,
                captions=s.captions,
            )
        out: dict[str, Any] = {}
        for key in self.keys:
            if key == "image":
                out[key] = image
            elif key == "label":
                out[key] = label
            elif key == "boxes":
                out[key] = boxes
            elif key == "labels":
                out[key] = labels
            elif key == "ids":
                out[key] = ids
            elif key == "masks":
                out[key] = masks
            elif key == "mask":
                out[key] = mask
            elif key in ("texts", "polygons", "text_instances", "captions"):
                value = getattr(s, key)
                out[key] = list(value) if value is not None else None
            elif key == "meta":
                out[key] = s.meta
            elif key == "keypoints":
                if kp is None:
                    out[key] = None
                    continue
                data, vis = kp.data, kp.visible
                if self.keypoints_cols == 3:
                    data = np.concatenate([data, vis[..., None].astype(data.dtype)], axis=-1)
                if self.keypoints_flat:
                    data, vis = data[0], vis[0]
                out["keypoints"] = _from_numpy(data, self.keypoints_kind)
                if self.keypoints_cols == 2:
                    vkind = _Kind(
                        self.keypoints_kind.kind,
                        torch.bool if self.keypoints_kind.kind == "tensor" else np.bool_,
                        self.keypoints_kind.device,
                    )
                    out["keypoints_visible"] = _from_numpy(vis, vkind)
        return out


# ----------------------------------------------------------------------------- prepare


def prepare(sample: Any, targets: dict[str, Any]) -> tuple[Sample, Restore]:
    """Validate the caller's input and convert it to the working form.

    Args:
        sample: a :class:`Sample`, a bare image (array or tensor), a dict of the
            keyword targets, or None when the targets come as keywords.
        targets: keyword targets (``image=``, ``boxes=``, ``labels=``, ``masks=``,
            ``mask=``, ``keypoints=``, ``keypoints_visible=``, ``label=``, ``ids=``,
            ``texts=``, ``meta=``, ``mix_samples=``, ``box_format=``).

    Raises:
        ValueError: naming the field and the expected form, before any work is done.
    """
    if sample is None:
        return _prepare_keywords(targets)  # a fresh ``**kwargs`` dict: ours to consume
    if targets:
        raise ValueError(
            "pass either a sample positionally or targets as keywords, not both "
            f"(got a {type(sample).__name__} and {sorted(targets)})"
        )
    if isinstance(sample, Sample):
        return _prepare_sample(sample)
    if isinstance(sample, dict):
        return _prepare_keywords(dict(sample))
    if isinstance(sample, (np.ndarray, torch.Tensor)):
        image, layout, kind = _check_image(sample)
        return Sample(image=image), Restore("image", layout, kind)
    raise ValueError(
        "expected a Sample, an image (numpy HWC or tensor CHW) or keyword targets "
        f"(image=..., boxes=...), got {type(sample).__name__}"
    )


def _prepare_common(
    *,
    image: Any,
    boxes_xyxy: np.ndarray | None,
    box_fmt_text: str,
    labels: Any,
    masks: Any,
    mask: Any,
    keypoints: tuple[np.ndarray, np.ndarray, tuple | None] | None,
    ids: Any,
    texts: Any,
    label: Any,
    meta: dict,
    restore: Restore,
    polygons: Any = None,
    text_instances: Any = None,
    captions: Any = None,
) -> Sample:
    """Shared checks once the image and boxes are in numpy form."""
    img = image
    h, w = img.shape[:2]
    n = None
    boxes = None
    if boxes_xyxy is not None:
        _check_boxes(boxes_xyxy, h, w, box_fmt_text)
        n = len(boxes_xyxy)
        boxes = Boxes(boxes_xyxy, BoxFormat.XYXY, False)
    labels_np = None
    if labels is not None:
        labels_np, restore.labels_kind = _to_numpy(labels, "labels")
        if labels_np.ndim != 1:
            raise ValueError(f"labels: expected shape (N,), got {labels_np.shape}")
        if n is not None:
            _check_length("labels", labels_np, n)
    ids_np = None
    if ids is not None:
        ids_np, restore.ids_kind = _to_numpy(ids, "ids")
        if ids_np.ndim != 1:
            raise ValueError(f"ids: expected shape (N,), got {ids_np.shape}")
        if n is not None:
            _check_length("ids", ids_np, n)
    if texts is not None:
        texts = list(texts)
        if n is not None:
            _check_length("texts", texts, n)
    if polygons is not None:
        polygons = _typed_list(polygons, Polygons, "polygons")
        if n is not None:
            _check_length("polygons", polygons, n)
    if text_instances is not None:
        text_instances = _typed_list(text_instances, TextInstance, "text_instances")
        if n is not None:
            _check_length("text_instances", text_instances, n)
    if captions is not None:
        captions = _typed_list(captions, Caption, "captions")
    masks_np = None
    if masks is not None:
        masks_np, restore.masks_kind = _to_numpy(masks, "masks")
        if masks_np.ndim != 3 or masks_np.shape[1:] != (h, w):
            raise ValueError(
                f"masks: expected shape (N, {h}, {w}) (N instance masks of the image's size), got {masks_np.shape}"
            )
        if n is not None and masks_np.shape[0] != n:
            raise ValueError(f"masks: has {masks_np.shape[0]} masks but there are {n} boxes; expected one per box")
        masks_np = np.ascontiguousarray(_mask_working_dtype(masks_np, "masks"))
    mask_np = None
    if mask is not None:
        mask_np, restore.mask_kind = _to_numpy(mask, "mask")
        if mask_np.shape != (h, w):
            raise ValueError(f"mask: expected shape ({h}, {w}) (the image's size), got {mask_np.shape}")
        mask_np = np.ascontiguousarray(_mask_working_dtype(mask_np, "mask"))
    kp = None
    if keypoints is not None:
        data, vis, names = keypoints
        kp = Keypoints(data, vis, names)
    if label is not None and isinstance(label, torch.Tensor):
        label = label.item() if label.ndim == 0 else label.detach().cpu().numpy()
    if isinstance(label, np.ndarray) and label.ndim == 0:
        label = label.item()
    return Sample(
        image=img,
        label=label,
        boxes=boxes,
        labels=labels_np,
        masks=masks_np,
        mask=mask_np,
        keypoints=kp,
        texts=texts,
        ids=ids_np,
        meta=dict(meta) if meta else {},
        polygons=polygons,
        text_instances=text_instances,
        captions=captions,
    )


def _typed_list(values: Any, cls: type, field_name: str) -> list:
    """``values`` as a list whose every item is a ``cls``, or a ValueError naming the item."""
    if isinstance(values, (str, bytes, np.ndarray)) or not hasattr(values, "__iter__"):
        raise ValueError(f"{field_name}: expected a list of {cls.__name__}, got {type(values).__name__}")
    out = list(values)
    for i, v in enumerate(out):
        if not isinstance(v, cls):
            raise ValueError(
                f"{field_name}[{i}]: expected a vistakit.structures.{cls.__name__}, got {type(v).__name__}"
            )
    return out


def _keypoints_numpy(data: Any, visible: Any, field_name: str) -> tuple[np.ndarray, np.ndarray, _Kind]:
    arr, kind = _to_numpy(data, field_name)
    arr = arr.astype(np.float64)
    if arr.ndim != 3 or arr.shape[-1] != 2:
        raise ValueError(f"{field_name}: expected shape (N, K, 2), got {arr.shape}")
    if visible is None:
        vis = np.ones(arr.shape[:2], dtype=bool)
    else:
        vis, _ = _to_numpy(visible, f"{field_name}.visible")
        vis = vis.astype(bool)
        if vis.shape != arr.shape[:2]:
            raise ValueError(f"{field_name}.visible: expected shape {arr.shape[:2]}, got {vis.shape}")
    return arr, vis, kind


def _prepare_sample(sample: Sample) -> tuple[Sample, Restore]:
    image, layout, kind = _check_image(sample.image)
    restore = Restore("sample", layout, kind)
    h, w = image.shape[:2]
    xyxy = None
    fmt_text = "xyxy"
    if sample.boxes is not None:
        if not isinstance(sample.boxes, Boxes):
            raise ValueError(f"boxes: expected a vistakit.structures.Boxes, got {type(sample.boxes).__name__}")
        b = sample.boxes
        data, restore.boxes_kind = _to_numpy(b.data, "boxes")
        data = data.astype(np.float64)
        if b.normalized:
            data = data * np.array([w, h, w, h], dtype=np.float64)
        xyxy = convert_boxes(data, src=b.format, dst=BoxFormat.XYXY)
        restore.boxes_format, restore.boxes_normalized = b.format, b.normalized
        fmt_text = f"{b.format.value}{' normalized' if b.normalized else ' pixel'}"
    kp = None
    if sample.keypoints is not None:
        k = sample.keypoints
        data, vis, restore.keypoints_kind = _keypoints_numpy(k.data, k.visible, "keypoints")
        kp = (data, vis, k.names)
    s = _prepare_common(
        image=image,
        boxes_xyxy=xyxy,
        box_fmt_text=fmt_text,
        labels=sample.labels,
        masks=sample.masks,
        mask=sample.mask,
        keypoints=kp,
        ids=sample.ids,
        texts=sample.texts,
        label=sample.label,
        meta=sample.meta,
        restore=restore,
        polygons=sample.polygons,
        text_instances=sample.text_instances,
        captions=sample.captions,
    )
    return s, restore


_EMPTY_SAMPLE = Sample(image=np.zeros((1, 1, 1), np.uint8))
_IMAGE_ONLY_HWC_UINT8: Restore | None = None  # set below, once Restore exists


def image_sample(image: np.ndarray) -> Sample:
    """``Sample(image=image)`` without the dataclass constructor's cost."""
    return evolve(_EMPTY_SAMPLE, image=image, meta={})


def _prepare_keywords(targets: dict[str, Any]) -> tuple[Sample, Restore]:
    if len(targets) == 1 and "image" in targets:  # image only: the hot path of pixel pipelines
        image, layout, kind = _check_image(targets["image"])
        if kind is _NUMPY_UINT8:
            return image_sample(image), _IMAGE_ONLY_HWC_UINT8
        return image_sample(image), Restore("keywords", layout, kind, keys=("image",))
    box_format = targets.pop("box_format", "xyxy")
    unknown = sorted(set(targets) - set(_KEYWORDS))
    if unknown:
        raise ValueError(f"unknown target(s) {unknown}; expected some of {list(_KEYWORDS) + ['box_format']}")
    if targets.get("image") is None:
        raise ValueError("image: required; expected image=<(H, W, C) uint8 array or (C, H, W) tensor>")
    image, layout, kind = _check_image(targets["image"])
    restore = Restore("keywords", layout, kind, keys=tuple(targets))
    h, w = image.shape[:2]
    xyxy = None
    fmt_text = "xyxy"
    if targets.get("boxes") is not None:
        if box_format not in BOX_FORMATS:
            raise ValueError(f"box_format: expected one of {sorted(BOX_FORMATS)}, got {box_format!r}")
        fmt, normalized = BOX_FORMATS[box_format]
        data, restore.boxes_kind = _to_numpy(targets["boxes"], "boxes")
        if data.size == 0:
            data = data.reshape(0, 4)
        if data.ndim != 2 or data.shape[1] != 4:
            raise ValueError(f"boxes: expected shape (N, 4) in {box_format} format, got {data.shape}")
        data = data.astype(np.float64)
        if normalized:
            data = data * np.array([w, h, w, h], dtype=np.float64)
        xyxy = convert_boxes(data, src=fmt, dst=BoxFormat.XYXY)
        restore.boxes_format, restore.boxes_normalized = fmt, normalized
        fmt_text = f"box_format={box_format!r}"
    kp = None
    if targets.get("keypoints") is not None:
        arr, restore.keypoints_kind = _to_numpy(targets["keypoints"], "keypoints")
        if arr.ndim == 2:
            restore.keypoints_flat = True
            arr = arr[None]
        if arr.ndim != 3 or arr.shape[-1] not in (2, 3):
            raise ValueError(f"keypoints: expected shape (N, K, 2|3) or (K, 2|3), got {arr.shape}")
        vis = targets.get("keypoints_visible")
        if arr.shape[-1] == 3:
            restore.keypoints_cols = 3
            vis = arr[..., 2] > 0
            arr = arr[..., :2]
        elif vis is not None:
            vis, _ = _to_numpy(vis, "keypoints_visible")
            vis = vis[None] if restore.keypoints_flat else vis
        data, vis, _ = _keypoints_numpy(arr, vis, "keypoints")
        kp = (data, vis, None)
    s = _prepare_common(
        image=image,
        boxes_xyxy=xyxy,
        box_fmt_text=fmt_text,
        labels=targets.get("labels"),
        masks=targets.get("masks"),
        mask=targets.get("mask"),
        keypoints=kp,
        ids=targets.get("ids"),
        texts=targets.get("texts"),
        label=targets.get("label"),
        meta=targets.get("meta") or {},
        restore=restore,
        polygons=targets.get("polygons"),
        text_instances=targets.get("text_instances"),
        captions=targets.get("captions"),
    )
    if targets.get("mix_samples") is not None:
        s.meta["mix_samples"] = list(targets["mix_samples"])
    return s, restore


_IMAGE_ONLY_HWC_UINT8 = Restore("keywords", "hwc", _NUMPY_UINT8, keys=("image",))


def as_sample(item: Any) -> Sample:
    """A dataset item as a :class:`Sample`: a Sample, a dict of targets, or (image, target).

    ``target`` may be a class index, a soft-label vector, or a dict of targets.
    """
    if isinstance(item, Sample):
        return item
    if isinstance(item, dict):
        fields = {k: v for k, v in item.items() if k in Sample.__dataclass_fields__}
        return Sample(**fields)
    if isinstance(item, (tuple, list)) and len(item) == 2:
        image, target = item
        if isinstance(target, dict):
            fields = {k: v for k, v in target.items() if k in Sample.__dataclass_fields__}
            return Sample(image=image, **fields)
        return Sample(image=image, label=target)
    if isinstance(item, (np.ndarray, torch.Tensor)):
        return Sample(image=item)
    raise ValueError(f"cannot read a sample from a {type(item).__name__}; expected a Sample, dict or (image, target)")


def working_sample(item: Any) -> Sample:
    """A dataset item (see :func:`as_sample`) validated and converted to the working form."""
    s = as_sample(item)
    if isinstance(item, dict) and "box_format" in item:
        s, _ = _prepare_keywords(dict(item))
        return s
    s, _ = _prepare_sample(s)
    return s
