"""Training checkpoints: atomic writes, the full state (RNG included), resume, run directories."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .._files import atomic_open

FORMAT = "vistakit-train/1"
CHECKPOINT = "checkpoint.pt"
BEST = "best.pt"
# Files that mark a directory as holding a run.
RUN_FILES = ("config.yaml", "metrics.jsonl", CHECKPOINT, BEST, "summary.json")


class RunDirError(FileExistsError):
    """RUN_DIR holds another run (and neither overwrite nor resume was asked)."""


def save_atomic(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` through the atomic writer: a crash leaves the old file or the new one, never half a file."""
    with atomic_open(path) as f:
        torch.save(obj, f)


def load_training_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by :func:`vistakit.engine.fit` (tensors and plain data only).

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is unreadable or not a vistakit training checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no training checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated zip, pickle error, ...
        raise ValueError(f"{path}: cannot read the checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path}: not a vistakit training checkpoint (expected format {FORMAT!r})")
    return state


def capture_rng_state() -> dict[str, Any]:
    """The state of every random generator a training step can draw from."""
    np_state = np.random.get_state()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": {"name": np_state[0], "keys": torch.from_numpy(np_state[1].astype(np.int64)),
                  "pos": int(np_state[2]), "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])},
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Put back what :func:`capture_rng_state` saved."""
    torch.set_rng_state(state["torch"])
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    n = state["numpy"]
    np.random.set_state((n["name"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached_gaussian"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def holds_run(run_dir: str | os.PathLike) -> list[str]:
    """The run files present in ``run_dir`` (empty: the folder is free to use)."""
    run_dir = Path(run_dir)
    return [name for name in RUN_FILES if (run_dir / name).exists()]


def check_run_dir(run_dir: str | os.PathLike, *, overwrite: bool = False, resume: bool = False) -> Path:
    """Raise (changing nothing) unless ``run_dir`` may be used as asked; see :func:`prepare_run_dir`."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise NotADirectoryError(f"run directory {run_dir} is a file")
    if resume:
        ensemble = (run_dir / "config.yaml").is_file() and any(run_dir.glob("member-*/checkpoint.pt"))
        if not (run_dir / CHECKPOINT).is_file() and not ensemble:
            raise FileNotFoundError(f"cannot resume: {run_dir / CHECKPOINT} does not exist")
        return run_dir
    found = holds_run(run_dir)
    if found and not overwrite:
        raise RunDirError(
            f"{run_dir} already holds a run ({', '.join(found)}); choose another folder, "
            "resume it (--resume / resume=True) or replace it (--overwrite / overwrite=True)"
        )
    return run_dir


def prepare_run_dir(run_dir: str | os.PathLike, *, overwrite: bool = False, resume: bool = False) -> Path:
    """Make ``run_dir`` ready for a run.

    Args:
        run_dir: the folder.
        overwrite: delete the files of a previous run there.
        resume: the run continues from ``run_dir/checkpoint.pt`` (which must exist).

    Raises:
        RunDirError: the folder holds another run and neither flag is set.
        FileNotFoundError: ``resume`` without a checkpoint.
        NotADirectoryError: ``run_dir`` is a file.
    """
    run_dir = check_run_dir(run_dir, overwrite=overwrite, resume=resume)
    if not resume:
        for name in (*RUN_FILES, "report.html"):
            p = run_dir / name
            if p.is_file():
                p.unlink()
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir
