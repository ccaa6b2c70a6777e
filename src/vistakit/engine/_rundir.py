"""RunDir: the one writer of a run folder, shared by ``train``, ``finetune`` and ensembles.

A run folder holds what a run was asked (``config.yaml``), what it measured per epoch
(``metrics.jsonl``), its checkpoints (``checkpoint.pt``, ``best.pt``, an ensemble
member's ``final.pt``), what it found (``summary.json``, ``report.html``) and, for a
linear probe, ``probe.npz``. Sub-runs have their own folders inside it: an ensemble's
``member-K/``, a fine-tuning's phases (``head/``, ``unfreeze/``).

Every write goes through :func:`vistakit._files.atomic_write` / ``atomic_open``: a crash
or an exception while writing leaves the old file (or none), never half a file.

>>> run = RunDir("runs/a").prepare(overwrite=True)
>>> run.write_config({"model": "fastnet_fmnist", "train": cfg.to_dict()})
>>> run.append_metrics({"epoch": 1, "val_accuracy": 0.9})
>>> run.save(BEST, state)
>>> run.member(1).path          # runs/a/member-1
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import yaml

from .._files import atomic_open, atomic_write

CONFIG = "config.yaml"
METRICS = "metrics.jsonl"
CHECKPOINT = "checkpoint.pt"
BEST = "best.pt"
FINAL = "final.pt"
SUMMARY = "summary.json"
REPORT = "report.html"
PROBE = "probe.npz"
MEMBER_PREFIX = "member-"
# Files that mark a folder as holding a run (another run's folder is refused without overwrite).
RUN_FILES = (CONFIG, METRICS, CHECKPOINT, BEST, SUMMARY)
# Files a run writes: an overwritten run loses them all (cached features are kept: they are a cache).
OUTPUTS = (*RUN_FILES, FINAL, REPORT, PROBE)


class RunDirError(FileExistsError):
    """RUN_DIR holds another run (and neither overwrite nor resume was asked)."""


def save_atomic(obj: Any, path: str | os.PathLike) -> None:
    """``torch.save`` through the atomic writer: a crash leaves the old file or the new one, never half a file."""
    with atomic_open(path) as f:
        torch.save(obj, f)


class RunDir:
    """A run folder and everything written into it (see the module notes).

    Args:
        path: the folder (created by :meth:`prepare`, not by the constructor).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    # ------------------------------------------------------------------ the folder

    def holds_run(self) -> list[str]:
        """The run files present (empty: the folder is free to use)."""
        return [name for name in RUN_FILES if (self.path / name).exists()]

    def check(self, *, overwrite: bool = False, resume: bool = False) -> RunDir:
        """Raise, changing nothing, unless the folder may be used as asked (the rules of :meth:`prepare`)."""
        if self.path.exists() and not self.path.is_dir():
            raise NotADirectoryError(f"run directory {self.path} is a file")
        if resume:
            ensemble = (self.path / CONFIG).is_file() and any(self.path.glob(f"{MEMBER_PREFIX}*/{CHECKPOINT}"))
            if not (self.path / CHECKPOINT).is_file() and not ensemble:
                raise FileNotFoundError(f"cannot resume: {self.path / CHECKPOINT} does not exist")
            return self
        found = self.holds_run()
        if found and not overwrite:
            raise RunDirError(
                f"{self.path} already holds a run ({', '.join(found)}); choose another folder, "
                "resume it (--resume / resume=True) or replace it (--overwrite / overwrite=True)"
            )
        return self

    def prepare(self, *, overwrite: bool = False, resume: bool = False, subruns: Iterable[str] = ()) -> RunDir:
        """Make the folder ready for a run.

        A new run (not ``resume``) starts clean: the files of a run replaced with
        ``overwrite`` go (:data:`OUTPUTS`), and so do those of its sub-runs (the
        ``member-K`` folders, and the folders named in ``subruns``), each removed once empty.
        Other files (cached features, anything of yours) are left alone.

        Args:
            overwrite: replace a run found there.
            resume: the run continues from ``checkpoint.pt`` (or, for an ensemble, from
                ``config.yaml`` and a member's ``checkpoint.pt``); nothing is removed.
            subruns: names of sub-run folders to clear besides ``member-*`` (fine-tuning phases).

        Returns:
            ``self``.

        Raises:
            RunDirError: the folder holds another run and neither flag is set.
            FileNotFoundError: ``resume`` without a checkpoint.
            NotADirectoryError: the path is a file.
        """
        self.check(overwrite=overwrite, resume=resume)
        if not resume:
            self._remove_outputs()
            folders = {p for p in self.path.glob(f"{MEMBER_PREFIX}*") if p.is_dir()}
            folders |= {self.path / name for name in subruns if (self.path / name).is_dir()}
            for folder in sorted(folders):
                RunDir(folder)._remove_outputs()
                if not any(folder.iterdir()):
                    folder.rmdir()
        self.path.mkdir(parents=True, exist_ok=True)
        return self

    def _remove_outputs(self) -> None:
        for name in OUTPUTS:
            p = self.path / name
            if p.is_file():
                p.unlink()

    def sub(self, name: str) -> RunDir:
        """The sub-run folder ``name`` (a fine-tuning phase's :func:`fit` run)."""
        return RunDir(self.path / name)

    def member(self, number: int) -> RunDir:
        """Member ``number`` (1-based, as in the metrics lines) of an ensemble run: ``member-{number}/``."""
        if number < 1:
            raise ValueError(f"ensemble members are numbered from 1, got {number}")
        return self.sub(f"{MEMBER_PREFIX}{number}")

    # ------------------------------------------------------------------ files

    def write_config(self, config: Mapping[str, Any]) -> Path:
        """``config.yaml``: what the run was asked (keys in the given order)."""
        return atomic_write(self.path / CONFIG, yaml.safe_dump(dict(config), sort_keys=False))

    def read_config(self) -> dict[str, Any]:
        """The mapping in ``config.yaml``.

        Raises:
            FileNotFoundError: no config.yaml there.
            ValueError: not valid YAML, or not a mapping.
        """
        path = self.path / CONFIG
        if not path.is_file():
            raise FileNotFoundError(f"{path} does not exist (is {self.path} a vistakit run folder?)")
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as e:
            raise ValueError(f"{path}: not valid YAML: {e}") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping, got {type(data).__name__}")
        return data

    def append_metrics(self, record: Mapping[str, Any]) -> Path:
        """Add one line to ``metrics.jsonl`` (the file is rewritten whole, atomically)."""
        path = self.path / METRICS
        before = path.read_text() if path.is_file() else ""
        if before and not before.endswith("\n"):
            before += "\n"
        return atomic_write(path, before + json.dumps(dict(record)) + "\n")

    def write_metrics(self, history: Sequence[Mapping[str, Any]]) -> Path:
        """``metrics.jsonl`` with one line per record (replacing what was there)."""
        return atomic_write(self.path / METRICS, "".join(json.dumps(dict(r)) + "\n" for r in history))

    def read_metrics(self) -> list[dict[str, Any]]:
        """The records of ``metrics.jsonl`` (empty when there is none yet).

        Raises:
            ValueError: a line that is not JSON (names the file and the line).
        """
        path = self.path / METRICS
        if not path.is_file():
            return []
        out = []
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}, line {i}: not JSON ({e})") from None
        return out

    def save(self, name: str, state: Mapping[str, Any]) -> Path:
        """``torch.save`` ``state`` as ``name`` (``checkpoint.pt``, ``best.pt``, ``final.pt``), atomically."""
        path = self.path / name
        save_atomic(dict(state), path)
        return path

    def load(self, name: str) -> dict[str, Any]:
        """A checkpoint written by :meth:`save` in the training format (:func:`load_training_checkpoint`)."""
        from ._checkpoint import load_training_checkpoint

        return load_training_checkpoint(self.path / name)

    def write_file(self, name: str, data: bytes | str) -> Path:
        """Any other file of the run (``probe.npz``...), atomically."""
        return atomic_write(self.path / name, data)

    def write_summary(self, summary: Mapping[str, Any]) -> Path:
        """``summary.json``, indented."""
        return atomic_write(self.path / SUMMARY, json.dumps(dict(summary), indent=2) + "\n")

    def write_report(self, html: str) -> Path:
        """``report.html`` (a self-contained page, e.g. ``HtmlReport.render()``)."""
        return atomic_write(self.path / REPORT, html.encode("utf-8"))


def check_run_dir(run_dir: str | os.PathLike, *, overwrite: bool = False, resume: bool = False) -> Path:
    """``RunDir(run_dir).check(...)``: raise, changing nothing, unless the folder may be used as asked."""
    return RunDir(run_dir).check(overwrite=overwrite, resume=resume).path


def prepare_run_dir(run_dir: str | os.PathLike, *, overwrite: bool = False, resume: bool = False) -> Path:
    """``RunDir(run_dir).prepare(...)``: make the folder ready for a run (see :meth:`RunDir.prepare`)."""
    return RunDir(run_dir).prepare(overwrite=overwrite, resume=resume).path


__all__ = [
    "BEST",
    "CHECKPOINT",
    "CONFIG",
    "FINAL",
    "METRICS",
    "OUTPUTS",
    "PROBE",
    "REPORT",
    "RUN_FILES",
    "RunDir",
    "RunDirError",
    "SUMMARY",
    "check_run_dir",
    "prepare_run_dir",
    "save_atomic",
]
