"""The Fashion-MNIST benchmark's pieces (``benchmarks/fashion_mnist.py``): the baseline loop, the summary
and the verdict on the targets."""

from __future__ import annotations

import torch

from ._bench import load_benchmark

bench = load_benchmark("fashion_mnist")
TARGETS, run_baseline, speedup, target_verdict = bench.TARGETS, bench.run_baseline, bench.speedup, bench.target_verdict


class _Tiny(torch.utils.data.Dataset):
    """uint8 (1, 28, 28) images whose class is the bright quadrant: learnable in one epoch."""

    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.targets = torch.randint(0, 4, (n,), generator=g)
        self.images = torch.randint(0, 40, (n, 1, 28, 28), generator=g, dtype=torch.uint8)
        for i, t in enumerate(self.targets.tolist()):
            r, c = divmod(t, 2)
            self.images[i, 0, r * 14 : (r + 1) * 14, c * 14 : (c + 1) * 14] += 200

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i):
        return self.images[i], int(self.targets[i])


def _result(recipe_accs, base_accs, seconds=10.0):
    def run(accs):
        epochs = [{"epoch": i + 1, "test_accuracy": a, "train_seconds": seconds * (i + 1)} for i, a in enumerate(accs)]
        return bench.summarize("x", epochs, 0.91, num_params=1)

    rec, base = run(recipe_accs), run(base_accs)
    return {"recipe": rec, "baseline": base, "speedup_to_91": speedup(rec, base, "seconds_to_91")}


def test_summary_finds_the_first_epoch_at_each_level():
    out = _result([0.90, 0.912, 0.905, 0.931], [0.5])["recipe"]
    assert (out["epoch_to_91"], out["seconds_to_91"]) == (2, 20.0)
    assert (out["epoch_to_93"], out["seconds_to_93"]) == (4, 40.0)
    assert out["seconds_to_95"] is None and out["final_test_accuracy"] == 0.931


def test_verdict_on_the_fast_targets():
    assert set(TARGETS) == {"fast", "best"}
    # 91% at epoch 1 (10 s) against the baseline's epoch 4 (40 s): 4x; 93% at 30 s
    ok = target_verdict("fast", _result([0.915, 0.92, 0.935], [0.8, 0.85, 0.9, 0.911]))
    assert ok["accuracy_met"] and ok["speedup_met"] and ok["all_met"]
    # 2x only
    slow = target_verdict("fast", _result([0.90, 0.915, 0.935], [0.8, 0.85, 0.9, 0.911]))
    assert slow["accuracy_met"] and not slow["speedup_met"] and not slow["all_met"]
    # 93% reached, but after the 300 s budget
    late = target_verdict("fast", _result([0.915] * 30 + [0.931], [0.8, 0.85, 0.9, 0.911]))
    assert not late["accuracy_met"]
    # the baseline never reached 91%: its whole training time bounds the speed-up from below
    never = target_verdict("fast", _result([0.915, 0.935], [0.8, 0.85, 0.9]))
    assert never["speedup_lower_bound"] == 3.0 and never["speedup_met"]


def test_verdict_on_the_best_target_and_other_recipes():
    assert target_verdict("best", _result([0.949] * 5 + [0.951], [0.9]))["all_met"]
    assert not target_verdict("best", _result([0.9491] * 6, [0.9]))["accuracy_met"]
    assert target_verdict("default", _result([0.9], [0.9])) is None


def test_baseline_trains_and_reports_per_epoch():
    out = run_baseline(_Tiny(512, 0), _Tiny(256, 1), epochs=2, target=0.91, progress=False)
    assert [e["epoch"] for e in out["epochs"]] == [1, 2]
    assert out["num_params"] == 225_034  # the tutorial CNN, 10-way head
    assert out["epochs"][-1]["test_accuracy"] > 0.9  # the bright quadrant is easy
    assert out["train_seconds"] > 0


def test_progress_goes_to_stderr_so_stdout_carries_only_the_json(monkeypatch, capsys):
    monkeypatch.setattr(
        bench, "load_dataset", lambda name, split, root=None: _Tiny(256, 0) if split == "train" else _Tiny(128, 1)
    )
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)  # the suite's one thread stays
    result = bench.benchmark_fashion_mnist(recipe="fast", baseline_epochs=1, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "epoch 10/10" in captured.err and "baseline epoch 1" in captured.err
    assert [e["epoch"] for e in result["recipe"]["epochs"]] == list(range(1, 11))
    assert result["targets"]["accuracy_target"].startswith(">= 93.0%")


def test_an_ensemble_recipe_is_watched_as_the_networks_trained_so_far(monkeypatch):
    from vistakit.engine import _recipes

    tiny = _recipes.Recipe(
        name="tiny",
        description="two small networks averaged",
        model="fastnet_fmnist",
        options=dict(epochs=2, batch_size=50, lr=0.05, optimizer="sgd", warmup_epochs=0.5, tta=True, ensemble=2),
    )
    monkeypatch.setitem(_recipes._RECIPES, "tiny", tiny)
    out = bench.run_recipe(_Tiny(200, seed=0), _Tiny(100, seed=1), recipe="tiny", target=0.91, progress=False)
    lines = out["epochs"]
    assert [(r["epoch"], r["member"], r["member_epoch"]) for r in lines] == [(1, 1, 1), (2, 1, 2), (3, 2, 1), (4, 2, 2)]
    # while the first network trains it is the whole ensemble; then the two are averaged
    assert all(r["test_accuracy"] == r["member_test_accuracy"] for r in lines[:2])
    assert lines[-1]["train_seconds"] > lines[1]["train_seconds"] > 0
    assert out["final_test_accuracy"] == lines[-1]["test_accuracy"] and "x2 averaged" in out["name"]
    assert out["num_params"] == 2 * 107_962  # fastnet_fmnist at 1 channel, 10 classes


def test_the_seed_reaches_the_recipe_and_the_baseline(monkeypatch):
    from vistakit.engine import _recipes

    seen = []
    real_fit = bench.fit_ensemble
    monkeypatch.setattr(bench, "fit_ensemble", lambda *a, **k: seen.append(a[3].seed) or real_fit(*a, **k))
    tiny = _recipes.Recipe(
        name="tiny",
        description="one small network",
        model="fastnet_fmnist",
        options=dict(epochs=1, batch_size=50, lr=0.05, optimizer="sgd", warmup_epochs=0.5),
    )
    monkeypatch.setitem(_recipes._RECIPES, "tiny", tiny)
    monkeypatch.setattr(
        bench, "load_dataset", lambda name, split, root=None: _Tiny(200, 0) if split == "train" else _Tiny(100, 1)
    )
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)
    result = bench.benchmark_fashion_mnist(recipe="tiny", baseline_epochs=1, progress=False, seed=3)
    assert seen == [3] and result["seed"] == 3
    # the baseline's weights and shuffling follow the seed
    seeds, real_seed = [], torch.manual_seed
    monkeypatch.setattr(torch, "manual_seed", lambda s: seeds.append(s) or real_seed(s))
    run_baseline(_Tiny(64, 0), _Tiny(32, 1), epochs=1, target=0.99, progress=False, seed=5)
    assert seeds == [5]


def test_the_machine_is_named_by_its_processor_model(tmp_path):
    cpu_model = bench.cpu_model
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14 96-Core Processor\n"
        "flags\t\t: fpu vme\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 9R14 96-Core Processor\n"
    )
    assert cpu_model(str(info)) == "AMD EPYC 9R14 96-Core Processor"
    # no such file, or no model name in it (some ARM kernels): the architecture, never an error
    assert cpu_model(str(tmp_path / "missing"))
    (tmp_path / "arm").write_text("processor\t: 0\nBogoMIPS\t: 50.00\n")
    assert cpu_model(str(tmp_path / "arm")) == cpu_model(str(tmp_path / "missing"))


def test_the_script_prints_the_json_and_writes_it_where_asked(monkeypatch, tmp_path, capsys):
    import json
    import sys

    asked = []
    monkeypatch.setattr(bench, "benchmark_fashion_mnist", lambda **kw: asked.append(kw) or {"seed": kw["seed"]})
    monkeypatch.setattr(sys, "argv", ["fashion_mnist.py", "--seed", "4", "--quiet", "--json", str(tmp_path / "r.json")])
    bench.main()
    assert json.loads(capsys.readouterr().out) == {"seed": 4}
    assert json.loads((tmp_path / "r.json").read_text()) == {"seed": 4}
    assert asked[0]["progress"] is False and asked[0]["recipe"] == "fast" and asked[0]["threads"] == 2
