"""RunDir: the one writer of run folders: prepare's overwrite / resume rules, every file, atomic writes."""

from __future__ import annotations

import json

import pytest
import torch
import yaml

from vistakit.engine import RunDir, RunDirError
from vistakit.engine._rundir import BEST, CHECKPOINT, CONFIG, FINAL, METRICS, PROBE, REPORT, SUMMARY


class Boom:
    """Fails while being pickled: the write is interrupted half-way."""

    def __reduce__(self):
        raise RuntimeError("boom")


def test_a_new_folder_is_made_and_another_run_is_refused_unchanged(tmp_path):
    run = RunDir(tmp_path / "a" / "b").prepare()
    assert run.path.is_dir() and run.holds_run() == []
    run.write_config({"model": "m", "train": {"epochs": 1}})
    with pytest.raises(RunDirError, match="already holds a run \\(config.yaml\\).*--overwrite"):
        RunDir(run.path).prepare()
    assert yaml.safe_load((run / CONFIG).read_text()) == {"model": "m", "train": {"epochs": 1}}
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError):
        RunDir(tmp_path / "file").check()


def test_overwrite_removes_the_run_and_its_sub_runs_but_keeps_other_files(tmp_path):
    run = RunDir(tmp_path).prepare()
    for name in (CONFIG, METRICS, CHECKPOINT, BEST, SUMMARY, REPORT, PROBE):
        (run / name).write_text("old")
    (run / "features_train.npy").write_text("cache")  # a cache, not the run's result
    (run / "notes.txt").write_text("mine")
    for sub in (run.member(1), run.member(2), run.sub("head")):
        sub.prepare()
        (sub / BEST).write_text("old")
        (sub / FINAL).write_text("old")
    (run.member(2) / "keep.txt").write_text("mine")
    run.prepare(overwrite=True, subruns=["head"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["features_train.npy", "member-2", "notes.txt"]
    assert [p.name for p in (tmp_path / "member-2").iterdir()] == ["keep.txt"]


def test_resume_needs_a_checkpoint_and_removes_nothing(tmp_path):
    run = RunDir(tmp_path)
    with pytest.raises(FileNotFoundError, match="cannot resume"):
        run.prepare(resume=True)
    run.prepare()
    run.save(CHECKPOINT, {"format": "vistakit-train/1", "epoch": 3})
    run.write_metrics([{"epoch": 1}])
    run.prepare(resume=True)
    assert run.load(CHECKPOINT)["epoch"] == 3 and run.read_metrics() == [{"epoch": 1}]
    # an ensemble resumes from its config and a member's checkpoint
    ens = RunDir(tmp_path / "ens").prepare()
    ens.write_config({"train": {}})
    with pytest.raises(FileNotFoundError):
        ens.check(resume=True)
    ens.member(1).prepare().save(CHECKPOINT, {"format": "vistakit-train/1"})
    assert ens.check(resume=True) is ens


def test_metrics_append_and_rewrite(tmp_path):
    run = RunDir(tmp_path).prepare()
    assert run.read_metrics() == []
    run.append_metrics({"epoch": 1, "loss": 0.5})
    run.append_metrics({"epoch": 2, "loss": None})
    assert (run / METRICS).read_text() == '{"epoch": 1, "loss": 0.5}\n{"epoch": 2, "loss": null}\n'
    run.write_metrics([{"epoch": 1}])
    assert run.read_metrics() == [{"epoch": 1}]
    (run / METRICS).write_text('{"epoch": 1}\nnot json\n')
    with pytest.raises(ValueError, match="metrics.jsonl, line 2"):
        run.read_metrics()


def test_summary_report_config_and_files(tmp_path):
    run = RunDir(tmp_path).prepare()
    run.write_summary({"test_accuracy": 0.9, "seconds": {"head": 1.5}})
    assert json.loads((run / SUMMARY).read_text()) == {"test_accuracy": 0.9, "seconds": {"head": 1.5}}
    run.write_report("<html>é</html>")
    assert (run / REPORT).read_text(encoding="utf-8") == "<html>é</html>"
    run.write_file(PROBE, b"\x00\x01")
    assert (run / PROBE).read_bytes() == b"\x00\x01"
    run.write_config({"b": 1, "a": [1, 2]})
    assert list(run.read_config()) == ["b", "a"]  # the given order
    (run / CONFIG).write_text("- a list\n")
    with pytest.raises(ValueError, match="expected a mapping"):
        run.read_config()
    with pytest.raises(FileNotFoundError, match="vistakit run folder"):
        RunDir(tmp_path / "none").read_config()
    with pytest.raises(ValueError, match="numbered from 1"):
        run.member(0)
    assert run.member(3).path == tmp_path / "member-3"


def test_an_exception_while_writing_leaves_the_old_file(tmp_path):
    run = RunDir(tmp_path).prepare()
    run.save(BEST, {"format": "vistakit-train/1", "w": torch.ones(2)})
    before = (run / BEST).read_bytes()
    with pytest.raises(RuntimeError, match="boom"):
        run.save(BEST, {"format": "vistakit-train/1", "w": torch.zeros(2), "bad": Boom()})
    assert (run / BEST).read_bytes() == before and torch.equal(run.load(BEST)["w"], torch.ones(2))
    run.write_config({"a": 1})
    with pytest.raises(yaml.representer.RepresenterError):
        run.write_config({"a": object()})
    assert run.read_config() == {"a": 1}
    run.write_summary({"a": 1})
    with pytest.raises(TypeError):
        run.write_summary({"a": object()})
    assert json.loads((run / SUMMARY).read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == [BEST, CONFIG, SUMMARY]  # no temporary file left
