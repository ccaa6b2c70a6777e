"""Two gloo processes with DistributedDataParallel match one process for the same global batch."""

from __future__ import annotations

import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from vistakit.engine import TrainConfig, fit, fit_ensemble, load_training_checkpoint

from ._toy import small_cnn, stripes

CFG = dict(
    epochs=2,
    batch_size=32,
    lr=0.05,
    optimizer="sgd",
    weight_decay=1e-4,
    warmup_epochs=0.5,
    seed=3,
    augment=None,
    log_every=2,
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _join(rank: int, world: int, port: int) -> None:
    """What torchrun would give this process: its rank in the group, one thread."""
    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank)
    )
    torch.set_num_threads(1)


def _net(k: int) -> torch.nn.Module:
    return small_cnn(bn=False, seed=k)


def _worker(rank: int, world: int, port: int, out: str, cfg: TrainConfig) -> None:
    _join(rank, world, port)
    try:
        res = fit_ensemble(
            _net, stripes(160), stripes(70, seed=1), cfg, progress=False, run_dir=os.path.join(out, "run")
        )
        if rank == 0:
            torch.save(
                {"state": res.model.state_dict(), "history": res.history, "val": res.best_val_accuracy},
                os.path.join(out, "result.pt"),
            )
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_gloo_processes_match_one_process(tmp_path):
    single = fit(_net(0), stripes(160), stripes(70, seed=1), TrainConfig(**CFG), progress=False)
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path), TrainConfig(**CFG)), nprocs=2, join=True)
    ddp = torch.load(tmp_path / "result.pt", weights_only=True)
    for (k, a), b in zip(single.model.state_dict().items(), ddp["state"].values()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=k)
    # metrics are all-reduced: the whole validation set (70 images, split 35 / 35) and every training image
    for a, b in zip(single.history, ddp["history"]):
        assert b["val_accuracy"] == pytest.approx(a["val_accuracy"])
        assert b["val_loss"] == pytest.approx(a["val_loss"], rel=1e-4)
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-4)
    ck = load_training_checkpoint(tmp_path / "run" / "checkpoint.pt")  # written once, by rank 0
    assert ck["epoch"] == 2 and len(ck["rng"]) == 2  # each process's random streams


def _resume_worker(rank: int, world: int, port: int, out: str, kill_after: int, resume: bool) -> None:
    _join(rank, world, port)
    cfg = TrainConfig(**{**CFG, "epochs": 3, "augment": [{"name": "BatchHorizontalFlip"}]})

    def hook(record, _model):
        if record["epoch"] == kill_after:
            raise SystemExit(0)  # every process stops after this epoch's checkpoint

    try:
        res = fit(
            small_cnn(bn=False, seed=rank),
            stripes(160),
            None,
            cfg,
            progress=False,
            run_dir=out,
            resume=resume,
            on_epoch=hook,
        )
        if rank == 0:
            torch.save(res.model.state_dict(), os.path.join(out, "final.pt"))
    except SystemExit:
        pass
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_process_resume_is_exact(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    mp.spawn(_resume_worker, args=(2, _free_port(), a, 0, False), nprocs=2, join=True)
    mp.spawn(_resume_worker, args=(2, _free_port(), b, 1, False), nprocs=2, join=True)
    assert load_training_checkpoint(os.path.join(b, "checkpoint.pt"))["epoch"] == 1
    mp.spawn(_resume_worker, args=(2, _free_port(), b, 0, True), nprocs=2, join=True)
    full = torch.load(os.path.join(a, "final.pt"), weights_only=True)
    resumed = torch.load(os.path.join(b, "final.pt"), weights_only=True)
    for k in full:
        assert torch.equal(full[k], resumed[k]), k


@pytest.mark.slow
def test_an_ensemble_under_two_processes_matches_one_process(tmp_path):
    cfg = TrainConfig(**{**CFG, "epochs": 1, "ensemble": 2})
    single = fit_ensemble(_net, stripes(160), stripes(70, seed=1), cfg, progress=False)
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path), cfg), nprocs=2, join=True)
    ddp = torch.load(tmp_path / "result.pt", weights_only=True)
    for (k, a), b in zip(single.model.state_dict().items(), ddp["state"].values()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=k)
    assert ddp["val"] == pytest.approx(single.best_val_accuracy)  # the ensemble's, all-reduced over both halves
    assert (tmp_path / "run" / "member-2" / "final.pt").is_file()
