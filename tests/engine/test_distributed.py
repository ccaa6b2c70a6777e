"""Two gloo processes with DistributedDataParallel match one process for the same global batch."""

from __future__ import annotations

import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from vistakit.engine import TrainConfig, fit

from ._toy import small_cnn, stripes

CFG = dict(epochs=2, batch_size=32, lr=0.05, optimizer="sgd", weight_decay=1e-4, warmup_epochs=0.5, seed=3,
           augment=None, log_every=2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    try:
        res = fit(small_cnn(bn=False), stripes(160), stripes(70, seed=1), TrainConfig(**CFG), progress=False,
                  run_dir=out if rank == 0 else None)
        if rank == 0:
            torch.save({"state": res.model.state_dict(), "history": res.history}, os.path.join(out, "result.pt"))
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_gloo_processes_match_one_process(tmp_path):
    single = fit(small_cnn(bn=False), stripes(160), stripes(70, seed=1), TrainConfig(**CFG), progress=False)
    mp.spawn(_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    ddp = torch.load(tmp_path / "result.pt", weights_only=True)
    for (k, a), b in zip(single.model.state_dict().items(), ddp["state"].values()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=k)
    # metrics are all-reduced: the whole validation set (70 images, split 35 / 35) and every training image
    for a, b in zip(single.history, ddp["history"]):
        assert b["val_accuracy"] == pytest.approx(a["val_accuracy"])
        assert b["val_loss"] == pytest.approx(a["val_loss"], rel=1e-4)
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-4)
    assert (tmp_path / "checkpoint.pt").is_file()
