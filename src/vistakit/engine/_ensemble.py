"""fit_ensemble(): several networks trained one after another, predicting together.

Averaging the softmax of independently trained networks buys accuracy with compute
when the members are strong and differ: on Fashion-MNIST, H100-trained pairs of
94.7-94.9% networks averaged to 94.99-95.15%, while two 40-epoch networks of the same
shape trained on 2 CPU cores (94.64%, 94.70%) made only 94.78%. Member k starts from seed ``seed + k`` (its weights, data order and
augmentation) and is trained by :func:`fit` with every other option the same.

RUN_DIR/config.yaml           the facts and the TrainConfig (``ensemble`` > 1)
RUN_DIR/metrics.jsonl         every member's epochs, each line with its ``member``
RUN_DIR/member-K/...          member K's own run folder (config, metrics, checkpoints)
RUN_DIR/member-K/final.pt     member K's weights once it is done (what resuming reloads)
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ._checkpoint import FORMAT
from ._config import TrainConfig
from ._distributed import barrier, init_distributed, resolve_device
from ._loop import TrainResult, evaluate_as_trained, fit
from ._rundir import CHECKPOINT, CONFIG, FINAL, RunDir


class Ensemble(nn.Module):
    """Networks that predict together: the mean of their softmax probabilities.

    ``forward`` returns the log of that mean, (N, K): its softmax is the averaged
    probabilities, its argmax the ensemble's class, and cross-entropy on it the
    negative log-likelihood of the averaged prediction, so anything that reads
    logits (:func:`evaluate`, reports, TTA) reads the ensemble correctly.

    Args:
        members: classifiers of (N, C, H, W) -> (N, K) logits, same K.
    """

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an Ensemble needs at least one member")
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        log_probs = torch.stack([m(x).float().log_softmax(1) for m in self.members])  # (M, N, K)
        return torch.logsumexp(log_probs, 0) - math.log(len(self.members))


def fit_ensemble(
    make_model: Callable[[int], nn.Module],
    train_data: Any,
    val_data: Any = None,
    config: TrainConfig | None = None,
    *,
    run_dir: str | os.PathLike | None = None,
    resume: bool = False,
    overwrite: bool = False,
    meta: dict[str, Any] | None = None,
    progress: bool = True,
    on_epoch: Callable[[dict[str, Any], nn.Module], None] | None = None,
    **fit_kwargs: Any,
) -> TrainResult:
    """Train ``config.ensemble`` networks with :func:`fit`, one after another; they predict together.

    With ``ensemble == 1`` this is exactly ``fit(make_model(0), ...)`` (same run folder).

    Args:
        make_model: ``k -> nn.Module``, a new untrained member; it is called after
            ``torch.manual_seed(config.seed + k)``, so its initial weights follow the member's seed.
        train_data: as :func:`fit`.
        val_data: evaluated after every epoch of every member, and the ensemble at the end.
        config: the options; member k is trained with ``seed + k``.
        run_dir: the run folder (layout in the module notes); None: nothing is written.
        resume: continue: finished members are reloaded from ``member-K/final.pt``, the
            member in progress resumes from its checkpoint, the rest start afresh; the result
            equals an uninterrupted run's.
        overwrite: replace another run in ``run_dir``.
        meta: facts written to ``config.yaml`` and the checkpoints (as :func:`fit`).
        progress: progress bars and per-epoch lines.
        on_epoch: called after each epoch of each member with the metrics line (with its
            ``member``, 1-based) and the member being evaluated.
        **fit_kwargs: passed to :func:`fit` (``augment``, ``num_classes``, ``param_groups``).

    Returns:
        A :class:`TrainResult` whose ``model`` is an :class:`Ensemble` (in eval mode), whose
        history holds every member's epochs, and whose ``best_val_accuracy`` is the
        ensemble's; ``extra`` has ``ensemble``, ``member_val_accuracy`` and ``members``.
    """
    cfg = config or TrainConfig()
    if cfg.ensemble == 1:
        torch.manual_seed(cfg.seed)
        return fit(
            make_model(0),
            train_data,
            val_data,
            cfg,
            run_dir=run_dir,
            resume=resume,
            overwrite=overwrite,
            meta=meta,
            progress=progress,
            on_epoch=on_epoch,
            **fit_kwargs,
        )
    info = init_distributed(cfg.device)
    run = RunDir(run_dir) if run_dir is not None else None
    if resume and run is None:
        raise ValueError("resume=True needs the run_dir to resume from")
    if run is not None and info.is_main:
        if resume:
            if not (run / CONFIG).is_file():
                raise FileNotFoundError(f"cannot resume: {run / CONFIG} does not exist")
        else:  # a replaced run's members go too
            run.prepare(overwrite=overwrite).write_config({**(meta or {}), "train": cfg.to_dict()})
    barrier(info)

    members: list[nn.Module] = []
    results: list[dict[str, Any]] = []  # per member: history, seconds, images/s, ...
    device = resolve_device(cfg.device, info)
    for k in range(cfg.ensemble):
        member_cfg = cfg.replace(seed=cfg.seed + k, ensemble=1)
        folder = run.member(k + 1) if run is not None else None
        torch.manual_seed(member_cfg.seed)
        net = make_model(k)
        if resume and folder is not None and (folder / FINAL).is_file():
            net, summary = _load_final(net, folder, member_cfg, device)
            members.append(net)
            results.append(summary)
            continue
        again = resume and folder is not None and (folder / CHECKPOINT).is_file()

        def on_member_epoch(
            record: dict[str, Any], model: nn.Module, k: int = k, folder: RunDir | None = folder
        ) -> None:
            record = {"member": k + 1, **record}
            if run is not None and info.is_main:
                _write_metrics(run, results, k, folder)
            if on_epoch is not None:
                on_epoch(record, model)

        res = fit(
            net,
            train_data,
            val_data,
            member_cfg,
            run_dir=None if folder is None else folder.path,
            resume=again,
            overwrite=not again,
            meta={**(meta or {}), "member": k + 1, "ensemble": cfg.ensemble},
            progress=progress,
            on_epoch=on_member_epoch,
            **fit_kwargs,
        )
        summary = {
            "history": [{"member": k + 1, **r} for r in res.history],
            "train_seconds": res.train_seconds,
            "images_per_second": res.images_per_second,
            "stopped_early": res.stopped_early,
            "best_epoch": res.best_epoch,
            "best_val_accuracy": res.best_val_accuracy,
            "num_params": res.num_params,
            "mean": list(res.mean),
            "std": list(res.std),
        }
        if folder is not None and info.is_main:
            folder.save(
                FINAL,
                {
                    "format": FORMAT,
                    "kind": "final",
                    "model": res.model.state_dict(),
                    "config": member_cfg.to_dict(),
                    "meta": meta or {},
                    "result": summary,
                },
            )
        members.append(res.model)
        results.append(summary)
        if progress and info.is_main:
            acc = res.history[-1]["val_accuracy"] if res.history else None
            print(
                f"member {k + 1}/{cfg.ensemble} done" + (f": val accuracy {acc:.4f}" if acc is not None else ""),
                flush=True,
            )
    barrier(info)
    if run is not None and info.is_main:
        _write_metrics(run, results, cfg.ensemble, None)

    ensemble = Ensemble(members).eval()
    mean, std = tuple(results[0]["mean"]), tuple(results[0]["std"])
    val_acc = None
    if val_data is not None:
        val_acc = evaluate_as_trained(ensemble, val_data, cfg, mean=mean, std=std, device=device, info=info).accuracy
    history = [r for res in results for r in res["history"]]
    seconds = sum(r["train_seconds"] for r in results)
    images = sum(r["images_per_second"] * r["train_seconds"] for r in results)
    return TrainResult(
        model=ensemble,
        history=history,
        best_epoch=None,
        best_val_accuracy=val_acc,
        train_seconds=seconds,
        images_per_second=images / max(seconds, 1e-9),
        stopped_early=any(r["stopped_early"] for r in results),
        mean=mean,
        std=std,
        num_params=sum(r["num_params"] for r in results),
        run_dir=None if run is None else run.path,
        extra={
            "ensemble": cfg.ensemble,
            "member_val_accuracy": [r["history"][-1]["val_accuracy"] if r["history"] else None for r in results],
            "members": [str(run.member(k + 1).path) for k in range(cfg.ensemble)] if run else [],
        },
    )


def _load_final(
    net: nn.Module, folder: RunDir, cfg: TrainConfig, device: torch.device
) -> tuple[nn.Module, dict[str, Any]]:
    """A finished member, as fit returned it (EMA / best weights), and its results, from its final.pt."""
    path = folder / FINAL
    state = folder.load(FINAL)
    if state.get("kind") != "final":
        raise ValueError(f"{path}: not a finished ensemble member (kind {state.get('kind')!r}, expected 'final')")
    try:
        net.load_state_dict(state["model"])
    except RuntimeError as e:
        raise ValueError(f"{path}: the member's weights do not fit the model ({e})") from None
    net.to(device)
    if cfg.channels_last:
        net.to(memory_format=torch.channels_last)
    return net.eval(), state["result"]


def _write_metrics(run: RunDir, done: list[dict[str, Any]], k: int, folder: RunDir | None) -> None:
    """RUN_DIR/metrics.jsonl: the finished members' epochs, then member ``k``'s so far (its own file)."""
    records = [r for res in done for r in res["history"]]
    if folder is not None:
        records += [{"member": k + 1, **r} for r in folder.read_metrics()]
    run.write_metrics(records)
