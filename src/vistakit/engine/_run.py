"""train_run: what ``vistakit train`` does, from names to a run folder with a report.

RUN_DIR/config.yaml       dataset, model, recipe and the TrainConfig (what --resume reads)
RUN_DIR/metrics.jsonl     one line per epoch
RUN_DIR/checkpoint.pt     the last epoch, everything needed to resume
RUN_DIR/best.pt           the weights of the best validation epoch (loadable by create_model(weights=...))
RUN_DIR/summary.json      test accuracy, macro F1, cross-entropy and its reading, parameters, seconds, images/s
RUN_DIR/report.html       learning curves, classification report, confusion matrix, mistakes

With ``ensemble`` > 1 (``--ensemble N``) each network is trained in its own
``RUN_DIR/member-K/`` folder (config, metrics, checkpoints, best.pt); RUN_DIR keeps
config.yaml, metrics.jsonl (every member's epochs), summary.json and report.html of
the networks averaged (see :func:`vistakit.engine.fit_ensemble`).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Subset

from ._augment import build_augment, read_augment_spec
from ._config import TrainConfig
from ._distributed import init_distributed
from ._ensemble import fit_ensemble
from ._loop import evaluate_as_trained
from ._prepared import PreparedData
from ._recipes import get_recipe
from ._report import render_report, score_predictions
from ._rundir import RunDir

# ----------------------------------------------------------------------------- data sets


def load_split(name: str, split: str, *, root: str | os.PathLike | None = None) -> Any:
    """One split of a registered data set (:func:`vistakit.data.load_dataset`)."""
    from ..data import load_dataset

    return load_dataset(name, split, root=root)


def check_dataset_name(name: str) -> None:
    """Raise ValueError (with the closest names) for an unknown data set, before anything is written."""
    from ..data import dataset_info

    dataset_info(name)


def _splits(name: str) -> list[str]:
    from ..data import dataset_info

    return list(dataset_info(name).splits)


def holdout(train: Any, fraction: float, seed: int) -> tuple[Any, Any]:
    """Split a random ``fraction`` of ``train`` off as validation data (fixed by ``seed``)."""
    n = len(train)
    k = int(round(n * fraction))
    if k < 1 or k >= n:
        raise ValueError(f"val_fraction {fraction} leaves no training or no validation images out of {n}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return Subset(train, perm[k:]), Subset(train, perm[:k])


# ----------------------------------------------------------------------------- the run


def read_run_config(run_dir: str | os.PathLike) -> tuple[dict[str, Any], TrainConfig]:
    """(facts, TrainConfig) of ``run_dir/config.yaml``."""
    run = RunDir(run_dir)
    try:
        data = run.read_config()
    except FileNotFoundError as e:
        raise FileNotFoundError(f"cannot resume: {e}") from None
    if "train" not in data:
        raise ValueError(f"{run / 'config.yaml'}: not a vistakit run config (no 'train' section)")
    train = data.pop("train")
    return data, TrainConfig.from_dict(train, source=str(run / "config.yaml"))


def train_run(
    *,
    out: str | os.PathLike,
    dataset: str | None = None,
    model: str | None = None,
    recipe: str = "default",
    overrides: dict[str, Any] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    val_fraction: float = 0.1,
    data_root: str | os.PathLike | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train a registered model on a registered data set; write the run folder (see the module notes).

    Args:
        out: the run folder.
        dataset: data set name (:func:`vistakit.data.list_datasets`).
        model: model name (:func:`vistakit.models.list_models`); default: the recipe's.
        recipe: recipe name ("default", "fast", "best").
        overrides: TrainConfig fields that replace the recipe's (None values are ignored).
        resume: continue the run in ``out`` (dataset, model and options come from its config.yaml).
        overwrite: replace another run in ``out``.
        val_fraction: share of the training split held out for validation when the data
            set has no validation split.
        data_root: folder holding the data set's files.
        progress: progress bars and per-epoch lines.

    Returns:
        The summary (also written to ``out/summary.json``).

    Raises:
        ValueError: unknown data set, model or recipe (with the closest names), or a class
            count that does not fit the checkpoint being resumed.
        RunDirError: ``out`` holds another run and neither ``resume`` nor ``overwrite`` is set.
    """
    from ..models import model_info

    run = RunDir(out)
    if resume:
        facts, cfg = read_run_config(run.path)
        for given, key in ((dataset, "dataset"), (model, "model")):
            if given is not None and given != facts.get(key):
                raise ValueError(
                    f"{run.path} is a run of {key} {facts.get(key)!r}; resume it without --{key} "
                    f"or start a new run for {given!r}"
                )
        dataset, model, recipe = facts["dataset"], facts["model"], facts.get("recipe", recipe)
        val_fraction = facts.get("val_fraction", val_fraction)
    else:
        rec = get_recipe(recipe)
        cfg = rec.config(**(overrides or {}))
        model = model or rec.model
        if dataset is None:
            raise ValueError("name a data set (--dataset), e.g. fashion-mnist")
        if model is None:
            raise ValueError(f"recipe {recipe!r} has no default model: name one (--model)")
        if isinstance(cfg.augment, (str, os.PathLike)):  # the run keeps the ops, not a path to them
            cfg = cfg.replace(augment=read_augment_spec(cfg.augment))
        build_augment(cfg.augment, num_classes=2)  # a bad op fails here, before anything is written
    # names first: an unknown name must not touch RUN_DIR
    check_dataset_name(dataset)
    model_info(model)
    info = init_distributed(cfg.device)
    run.check(overwrite=overwrite, resume=resume)  # before loading anything (every process)

    train = load_split(dataset, "train", root=data_root)
    test = load_split(dataset, "test", root=data_root) if "test" in _splits(dataset) else None
    if "val" in _splits(dataset):
        val = load_split(dataset, "val", root=data_root)
        val_fraction = 0.0
    elif val_fraction > 0:
        train, val = holdout(train, val_fraction, cfg.seed)
    else:
        val = None
    data = PreparedData.from_dataset(train)  # the tensors once: class count, channels, the loaders' data
    facts = {
        "dataset": dataset,
        "model": model,
        "recipe": recipe,
        "num_classes": data.num_classes,
        "in_chans": data.in_chans,
        "val_fraction": val_fraction,
        "classes": data.class_names,
    }

    try:
        return _train_and_report(
            run, cfg, facts, data.dataset, val, test, info=info, resume=resume, overwrite=overwrite, progress=progress
        )
    finally:
        if info.enabled and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def _train_and_report(
    run: RunDir,
    cfg: TrainConfig,
    facts: dict[str, Any],
    train: Any,
    val: Any,
    test: Any,
    *,
    info: Any,
    resume: bool,
    overwrite: bool,
    progress: bool,
) -> dict[str, Any]:
    from ..models import count_flops, create_model

    dataset, model, recipe = facts["dataset"], facts["model"], facts["recipe"]
    num_classes, in_chans, names = facts["num_classes"], facts["in_chans"], facts["classes"]
    # the initial weights follow the seed (member k of an ensemble: seed + k)
    result = fit_ensemble(
        lambda k: create_model(model, num_classes=num_classes, in_chans=in_chans),
        train,
        val,
        cfg,
        run_dir=run.path,
        resume=resume,
        overwrite=overwrite,
        num_classes=num_classes,
        meta=facts,
        progress=progress,
    )

    summary: dict[str, Any] = {
        "dataset": dataset,
        "model": model,
        "recipe": recipe,
        "epochs": len(result.history),
        "best_epoch": result.best_epoch,
        "best_val_accuracy": result.best_val_accuracy,
    }
    if cfg.ensemble > 1:  # several networks averaged: each has its own folder (and best.pt) in RUN_DIR
        summary.update(
            {
                "ensemble": cfg.ensemble,
                "epochs": cfg.epochs,
                "member_val_accuracy": result.extra["member_val_accuracy"],
                "members": [Path(m).name for m in result.extra["members"]],
            }
        )
    if info.is_main:
        device = next(result.model.parameters()).device
        split = test if test is not None else val
        evaluated = PreparedData.from_dataset(split) if split is not None else None
        if evaluated is not None:
            ev = evaluate_as_trained(
                result.model, evaluated.dataset, cfg, mean=result.mean, std=result.std, device=device, collect=True
            )
            scores = score_predictions(ev.probs, ev.targets)
            from ..metrics import classification_report

            scores["classification_report"] = classification_report(
                ev.targets.numpy(), ev.probs.argmax(1).numpy(), target_names=names, digits=4
            )
            if test is None:
                scores = {k.replace("test_", "val_"): v for k, v in scores.items()}
            summary.update(scores)
            if cfg.label_smoothing > 0:
                # the model aims at the smoothed targets, not at probability 1: a model that predicts
                # them exactly scores -log(1 - s + s / K) on the hard labels, not 0
                summary["label_smoothing"] = cfg.label_smoothing
                summary["cross_entropy_floor"] = -math.log(1 - cfg.label_smoothing + cfg.label_smoothing / num_classes)
            summary["evaluated_on"] = "test" if test is not None else "validation"
        size = tuple(int(v) for v in (evaluated.dataset if evaluated is not None else train)[0][0].shape[-2:])
        gflops = count_flops(result.model, size, in_chans=in_chans)
        summary.update(
            {
                "num_params": result.num_params,
                "gflops_per_image": gflops,
                "image_size": list(size),
                "train_seconds": result.train_seconds,
                "images_per_second": result.images_per_second,
                "tta": cfg.tta,
                "stopped_early": result.stopped_early,
                "world_size": info.world_size,
            }
        )
        run.write_summary(summary)
        if evaluated is not None:
            what = f"{model} x{cfg.ensemble} (averaged)" if cfg.ensemble > 1 else model
            run.write_report(
                render_report(
                    title=f"{what} on {dataset} ({recipe} recipe)",
                    summary=summary,
                    history=result.history,
                    probs=ev.probs,
                    targets=ev.targets,
                    images=evaluated.images,
                    class_names=names,
                )
            )
    return summary


def lr_find_run(
    *,
    dataset: str,
    model: str | None = None,
    recipe: str = "default",
    overrides: dict[str, Any] | None = None,
    num_steps: int = 100,
    start_lr: float = 1e-6,
    end_lr: float = 10.0,
    data_root: str | os.PathLike | None = None,
    plot: str | os.PathLike | None = None,
    progress: bool = True,
):
    """``vistakit lr-find``: the range test of a registered model on a data set's training split.

    Returns:
        The :class:`~vistakit.engine.LRFindResult` (its curve saved to ``plot`` when given).
    """
    from ..models import create_model, model_info
    from ._lr_find import lr_find

    rec = get_recipe(recipe)
    cfg = rec.config(**(overrides or {}))
    model = model or rec.model
    if dataset is None:
        raise ValueError("name a data set (--dataset), e.g. fashion-mnist")
    if model is None:
        raise ValueError(f"recipe {recipe!r} has no default model: name one (--model)")
    check_dataset_name(dataset)
    model_info(model)
    train = load_split(dataset, "train", root=data_root)
    data = PreparedData.from_dataset(train)
    torch.manual_seed(cfg.seed)
    net = create_model(model, num_classes=data.num_classes, in_chans=data.in_chans)
    result = lr_find(net, data.dataset, cfg, start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, progress=progress)
    if plot:
        result.plot(plot)
    return result
