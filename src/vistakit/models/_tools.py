"""Inspecting, profiling and exporting models."""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .._files import atomic_open


@dataclass(frozen=True)
class LayerRow:
    """One line of :func:`summarize`: a module, its output shape and its own parameter count."""

    name: str
    kind: str
    depth: int
    output_shape: tuple[int, ...] | None
    params: int


@torch.no_grad()
def summarize(
    model: nn.Module, input_size: int | tuple[int, int], *, in_chans: int = 3, max_depth: int = 3
) -> list[LayerRow]:
    """The layer tree down to ``max_depth`` with output shapes (batch of 1) and parameter counts.

    ``params`` counts every parameter under the module (its whole subtree).
    """
    h, w = (input_size, input_size) if isinstance(input_size, int) else input_size
    shapes: dict[str, tuple[int, ...]] = {}
    hooks = []
    named = [(n, m) for n, m in model.named_modules() if n and n.count(".") < max_depth]

    def hook(name):
        def fn(_mod, _inp, out):
            if isinstance(out, (tuple, list)):
                out = out[0]
            if isinstance(out, torch.Tensor):
                shapes[name] = tuple(out.shape)

        return fn

    for n, m in named:
        hooks.append(m.register_forward_hook(hook(n)))
    was = model.training
    model.eval()
    try:
        model(torch.zeros(1, in_chans, h, w))
    finally:
        for hk in hooks:
            hk.remove()
        model.train(was)
    return [
        LayerRow(n, type(m).__name__, n.count("."), shapes.get(n), sum(p.numel() for p in m.parameters()))
        for n, m in named
    ]


def profile(
    model: nn.Module,
    *,
    batch_size: int,
    input_size: int,
    in_chans: int = 3,
    steps: int = 5,
    modes: tuple[str, ...] = ("eager", "channels_last", "compile"),
) -> dict[str, dict[str, float]]:
    """Inference throughput on this machine: images/s and latency per batch for each mode.

    Modes: "eager" (plain), "channels_last" (NHWC memory format), "compile" (torch.compile;
    skipped with the reason when it fails here). One warm-up batch per mode, then ``steps``.
    """
    x = torch.randn(batch_size, in_chans, input_size, input_size)
    model = model.eval()
    results: dict[str, dict[str, float]] = {}
    for mode in modes:
        m, xin = model, x
        try:
            if mode == "channels_last":
                m = model.to(memory_format=torch.channels_last)
                xin = x.contiguous(memory_format=torch.channels_last)
            elif mode == "compile":
                m = torch.compile(model)
            with torch.inference_mode():
                m(xin)  # warm-up (and compilation)
                t0 = time.perf_counter()
                for _ in range(steps):
                    m(xin)
                dt = (time.perf_counter() - t0) / steps
            results[mode] = {"images_per_s": batch_size / dt, "latency_ms": dt * 1000}
        except Exception as e:  # torch.compile needs a C compiler and may not work everywhere
            results[mode] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"}
        finally:
            model.to(memory_format=torch.contiguous_format)
    return results


def export_onnx(
    model: nn.Module,
    path: str | os.PathLike,
    *,
    input_size: int,
    in_chans: int = 3,
    opset: int = 17,
    check: bool = True,
) -> float | None:
    """Export to ONNX (dynamic batch) and, with ``check``, compare with onnxruntime.

    Returns:
        The largest relative logit difference between torch and onnxruntime, or None
        without ``check``.

    Raises:
        ValueError: when onnxruntime's logits differ by more than 1e-4 relative.
    """
    path = Path(path)
    model = model.eval()
    x = torch.randn(2, in_chans, input_size, input_size)
    with warnings.catch_warnings(), atomic_open(path) as f:
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (x,),
            f,
            dynamo=False,
            input_names=["input"],
            output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=opset,
        )
    if not check:
        return None
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        ref = model(x).numpy()
    got = sess.run(None, {"input": x.numpy()})[0]
    rel = float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-12))
    if rel > 1e-4:
        raise ValueError(f"ONNX export of {type(model).__name__} differs from torch by {rel:.2e} relative (> 1e-4)")
    return rel
