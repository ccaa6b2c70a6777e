"""Reading checkpoints (.pth/.pt/.safetensors) and loading them strictly into models."""

from __future__ import annotations

import json
import os
import pickle
import re
import struct
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

_ST_DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, or that does not fit the model."""


@dataclass(frozen=True)
class _Adapter:
    """A registered converter of one foreign checkpoint layout (see :func:`register_adapter`)."""

    name: str
    keys: re.Pattern[str]
    convert: Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]


_ADAPTERS: dict[str, _Adapter] = {}


def register_adapter(name: str, *, keys: str):
    """Decorator registering a checkpoint-key adapter: ``fn(foreign_state_dict) -> vistakit_state_dict``.

    Like timm's checkpoint filters, an adapter converts a foreign layout (another
    library's key names) to vistakit's; it is registered next to the family whose
    checkpoints need it. An adapter must map every key explicitly; a key it does not
    know is an error (raise :class:`CheckpointError`), never silently dropped.

    Args:
        name: the layout's name (``Weights.adapter`` and ``load_weights(adapter=)`` use it).
        keys: a regular expression that a key of the foreign layout matches in full, and
            that no vistakit model's key does (``_blocks\\.\\d+\\._depthwise_conv\\.weight``):
            :func:`load_weights` recognises a checkpoint file's layout by it.

    Raises:
        ValueError: ``name`` registered twice.
    """
    pattern = re.compile(keys)

    def wrap(fn):
        if name in _ADAPTERS:
            raise ValueError(f"checkpoint adapter {name!r} is registered twice")
        _ADAPTERS[name] = _Adapter(name, pattern, fn)
        return fn

    return wrap


def get_adapter(name: str) -> Callable[[dict[str, torch.Tensor]], dict[str, torch.Tensor]]:
    """The converter registered as ``name`` (raises CheckpointError listing the known ones)."""
    if name not in _ADAPTERS:
        raise CheckpointError(f"unknown checkpoint adapter {name!r}; known: {sorted(_ADAPTERS)}")
    return _ADAPTERS[name].convert


def detect_adapter(state_dict: Mapping[str, torch.Tensor], own_keys: Iterable[str]) -> str | None:
    """The registered adapter whose key pattern a key of ``state_dict`` matches, None when none does.

    Only keys the model does not have (``own_keys``) are looked at, so a checkpoint in
    the model's own layout is never converted.

    Raises:
        CheckpointError: the keys match the patterns of several adapters (name one).
    """
    own = set(own_keys)
    foreign = [k for k in state_dict if k not in own]
    hits = [a.name for a in _ADAPTERS.values() if any(a.keys.fullmatch(k) for k in foreign)]
    if len(hits) > 1:
        raise CheckpointError(
            f"the checkpoint's keys match the layouts of several adapters ({', '.join(hits)}); "
            "name one: load_weights(..., adapter=NAME)"
        )
    return hits[0] if hits else None


def _known_layouts() -> str:
    return ", ".join(f"{a.name} (keys like {a.keys.pattern})" for a in _ADAPTERS.values()) or "none"


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    data = path.read_bytes()
    if len(data) < 8:
        raise CheckpointError(f"{path}: too short to be a safetensors file ({len(data)} bytes)")
    (n,) = struct.unpack("<Q", data[:8])
    try:
        header = json.loads(data[8 : 8 + n])
    except (ValueError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: safetensors header is not valid JSON ({e})") from None
    base = 8 + n
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        start, end = info["data_offsets"]
        if base + end > len(data):
            raise CheckpointError(f"{path}: tensor {key!r} runs past the end of the file (truncated?)")
        dtype = _ST_DTYPES.get(info["dtype"])
        if dtype is None:
            raise CheckpointError(f"{path}: tensor {key!r} has unsupported dtype {info['dtype']}")
        buf = bytearray(data[base + start : base + end])
        t = torch.frombuffer(buf, dtype=dtype) if buf else torch.empty(0, dtype=dtype)
        out[key] = t.reshape(info["shape"])
    return out


def save_safetensors(state_dict: Mapping[str, torch.Tensor], path: str | os.PathLike) -> None:
    """Write a state_dict as a .safetensors file (atomically)."""
    from .._files import atomic_write

    rev = {v: k for k, v in _ST_DTYPES.items()}
    header, chunks, offset = {}, [], 0
    for key in sorted(state_dict):
        t = state_dict[key].detach().cpu().contiguous()
        # reshape(-1): a 0-d tensor (BatchNorm's num_batches_tracked) cannot be viewed as bytes
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[key] = {"dtype": rev[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    hb = json.dumps(header).encode()
    hb += b" " * (-len(hb) % 8)
    atomic_write(path, struct.pack("<Q", len(hb)) + hb + b"".join(chunks))


def read_checkpoint(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Read a state_dict from a .pth/.pt/.bin (torch) or .safetensors file.

    Unwraps the common containers (``{"state_dict": ...}``, ``{"model": ...}``,
    ``{"model_ema": ...}``) and the ``module.`` prefix of DataParallel/DDP.

    Raises:
        CheckpointError: a missing, truncated or unreadable file, naming it.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint file not found: {path}")
    if path.suffix == ".safetensors":
        sd = _read_safetensors(path)
    else:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except (
            RuntimeError,
            EOFError,
            zipfile.BadZipFile,
            OSError,
            ValueError,
            struct.error,
            pickle.UnpicklingError,
        ) as e:
            raise CheckpointError(
                f"{path}: cannot read the checkpoint ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                "the file is truncated, corrupt or not a PyTorch checkpoint"
            ) from None
        sd = obj
        if isinstance(sd, dict):
            for k in ("state_dict", "model_ema", "model", "ema"):
                if k in sd and isinstance(sd[k], dict):
                    sd = sd[k]
                    break
        if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
            raise CheckpointError(f"{path}: does not hold a state_dict (a mapping of names to tensors)")
    if sd and all(k.startswith("module.") for k in sd):
        sd = {k[len("module.") :]: v for k, v in sd.items()}
    return dict(sd)


def _head(sd: Mapping[str, torch.Tensor], n: int = 3) -> str:
    keys = list(sd)
    return ", ".join(keys[:n]) + (", ..." if len(keys) > n else "")


def load_state_dict_strict(
    model: nn.Module,
    state_dict: Mapping[str, torch.Tensor],
    *,
    source: str = "checkpoint",
    allow_missing: tuple[str, ...] = (),
) -> None:
    """Load ``state_dict`` into ``model``, or raise one error listing every mismatch.

    Nothing is loaded unless everything fits: missing keys (except those in
    ``allow_missing``), unexpected keys and mis-shaped keys are all reported at once.
    """
    own = model.state_dict()
    # BatchNorm's num_batches_tracked is bookkeeping that checkpoints saved before torch 0.4.1
    # (and some converters) do not carry; torch itself tolerates its absence, and so do we.
    missing = [
        k for k in own if k not in state_dict and k not in allow_missing and not k.endswith("num_batches_tracked")
    ]
    unexpected = [k for k in state_dict if k not in own]
    misshaped = [
        f"{k}: checkpoint {tuple(state_dict[k].shape)}, model {tuple(own[k].shape)}"
        for k in own
        if k in state_dict and tuple(state_dict[k].shape) != tuple(own[k].shape)
    ]
    if missing or unexpected or misshaped:

        def fmt(title, items):
            if not items:
                return ""
            shown = "\n    ".join(items[:20]) + (f"\n    ... and {len(items) - 20} more" if len(items) > 20 else "")
            return f"\n  {title} ({len(items)}):\n    {shown}"

        def size(sd: Mapping[str, torch.Tensor]) -> str:
            values = sum(t.numel() for t in sd.values() if t.is_floating_point())
            return f"{len(sd)} tensors, {values:,} values"

        hint = ""
        if not any(k in own for k in state_dict):
            hint = (
                f"\n  no key in common: the checkpoint is in another layout (its keys begin {_head(state_dict)}) "
                f"that no registered adapter recognises; a registered adapter converts a known foreign layout "
                f"(register_adapter(NAME, keys=PATTERN); adapters: {_known_layouts()})"
            )
        raise CheckpointError(
            f"{source} does not fit {type(model).__name__} "
            f"(the checkpoint holds {size(state_dict)}; the model expects {size(own)}):"
            + hint
            + fmt("missing keys", missing)
            + fmt("unexpected keys", unexpected)
            + fmt("mis-shaped keys", misshaped)
        )
    with torch.no_grad():
        for k, t in own.items():
            if k in state_dict:
                t.copy_(state_dict[k].to(dtype=t.dtype) if t.is_floating_point() else state_dict[k])


def adapt_input_channels(weight: torch.Tensor, in_chans: int) -> torch.Tensor:
    """Adapt a pretrained first-conv weight (O, C, kh, kw) to ``in_chans`` inputs.

    One channel: the sum of the filters over C (a gray image, replicated to RGB, gives
    the same response). Other counts: the filters repeated cyclically and rescaled by
    ``C / in_chans`` so activations keep their scale.
    """
    c = weight.shape[1]
    if in_chans == c:
        return weight
    if in_chans == 1:
        return weight.sum(dim=1, keepdim=True)
    reps = -(-in_chans // c)
    return weight.repeat(1, reps, 1, 1)[:, :in_chans] * (c / in_chans)


_BN_PARTS = ("weight", "bias", "running_mean", "running_var")


def describe_state_dict(shapes: Mapping[str, torch.Tensor | Sequence[int]]) -> str:
    """A compact text description of a state_dict's keys and shapes, one module a line.

    The lines, in the state_dict's order:

    * ``conv_bn PREFIX OxIxKHxKW``: a bias-free conv followed by BatchNorm,
      ``PREFIX.conv.weight`` (O, I, KH, KW) and ``PREFIX.bn.{weight, bias,
      running_mean, running_var}`` (O,), plus ``PREFIX.bn.num_batches_tracked`` ()
      when the line ends with ``+nbt``;
    * ``linear PREFIX OxI``: ``PREFIX.weight`` (O, I) and ``PREFIX.bias`` (O,);
    * ``tensor KEY SHAPE``: anything else (SHAPE ``-`` for a 0-d tensor).

    :func:`parse_state_dict_description` reads it back.

    Args:
        shapes: key -> tensor or shape.
    """
    sh = {k: tuple(v.shape) if isinstance(v, torch.Tensor) else tuple(v) for k, v in shapes.items()}
    keys = list(sh)
    fmt = lambda s: "x".join(map(str, s)) if s else "-"  # noqa: E731
    lines, i = [], 0
    while i < len(keys):
        k = keys[i]
        if k.endswith(".conv.weight") and len(sh[k]) == 4:
            p = k[: -len(".conv.weight")]
            bn = [f"{p}.bn.{part}" for part in _BN_PARTS]
            if keys[i + 1 : i + 5] == bn and all(sh[b] == sh[k][:1] for b in bn):
                nbt = keys[i + 5 : i + 6] == [f"{p}.bn.num_batches_tracked"] and sh[keys[i + 5]] == ()
                lines.append(f"conv_bn {p} {fmt(sh[k])}{' +nbt' if nbt else ''}")
                i += 6 if nbt else 5
                continue
        if k.endswith(".weight") and len(sh[k]) == 2:
            p = k[: -len(".weight")]
            if keys[i + 1 : i + 2] == [f"{p}.bias"] and sh[keys[i + 1]] == sh[k][:1]:
                lines.append(f"linear {p} {fmt(sh[k])}")
                i += 2
                continue
        lines.append(f"tensor {k} {fmt(sh[k])}")
        i += 1
    return "\n".join(lines)


def parse_state_dict_description(text: str) -> dict[str, tuple[int, ...]]:
    """Key -> shape, in order, from the text of :func:`describe_state_dict`.

    Raises:
        ValueError: a line that is not one of the documented forms, naming it.
    """
    out: dict[str, tuple[int, ...]] = {}
    for n, raw in enumerate(text.strip().splitlines(), 1):
        parts = raw.split()
        try:
            kind, name, shape_s = parts[:3]
            shape = () if shape_s == "-" else tuple(int(d) for d in shape_s.split("x"))
            extra = parts[3:]
            if kind == "conv_bn" and len(shape) == 4 and extra in ([], ["+nbt"]):
                out[f"{name}.conv.weight"] = shape
                out.update({f"{name}.bn.{part}": shape[:1] for part in _BN_PARTS})
                if extra:
                    out[f"{name}.bn.num_batches_tracked"] = ()
            elif kind == "linear" and len(shape) == 2 and not extra:
                out[f"{name}.weight"], out[f"{name}.bias"] = shape, shape[:1]
            elif kind == "tensor" and not extra:
                out[name] = shape
            else:
                raise ValueError
        except ValueError:
            raise ValueError(
                f"state_dict description, line {n}: {raw.strip()!r} is not 'conv_bn PREFIX OxIxKHxKW [+nbt]', "
                "'linear PREFIX OxI' or 'tensor KEY SHAPE'"
            ) from None
    return out


def state_dict_as_numpy(sd: Mapping[str, torch.Tensor]) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy() for k, v in sd.items()}
