"""Streaming metrics equal the pure functions bit for bit, however the data are split or merged."""

from __future__ import annotations

import copy
import math
from fractions import Fraction

import numpy as np
import pytest
import torch

from vistakit import metrics as vm
from vistakit.metrics import _exact

pytestmark = pytest.mark.filterwarnings("ignore")

K = 6


def _data(seed: int, n: int = 400):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, K - 1, n)  # class K-1 never occurs in the targets
    z = rng.normal(size=(n, K)) * 2
    z[np.arange(n), y] += 1.5
    prob = np.exp(z - z.max(1, keepdims=True))
    prob /= prob.sum(1, keepdims=True)
    return y, z, prob


def _pairs(y, z, prob):
    """(streaming metric, its preds array, the pure result over all data)."""
    lab = z.argmax(1)
    out = [
        (vm.ConfusionMatrix(K), z, vm.confusion_matrix(y, lab, num_classes=K)),
        (vm.ConfusionMatrix(K, normalize="true"), lab, vm.confusion_matrix(y, lab, num_classes=K, normalize="true")),
        (
            vm.PrecisionRecallFScoreSupport(K, zero_division=0),
            z,
            vm.precision_recall_fscore_support(y, lab, num_classes=K, zero_division=0),
        ),
        (
            vm.FBetaScore(K, beta=2.0, labels=[4, 1]),
            lab,
            vm.fbeta_score(y, lab, beta=2.0, labels=[4, 1], average="macro"),
        ),
        (vm.BalancedAccuracy(K), lab, vm.balanced_accuracy(y, lab)),
        (vm.BalancedAccuracy(K, adjusted=True), lab, vm.balanced_accuracy(y, lab, adjusted=True)),
        (vm.MatthewsCorrCoef(K), z, vm.matthews_corrcoef(y, lab)),
        (vm.CohenKappa(K, weights="quadratic"), lab, vm.cohen_kappa(y, lab, weights="quadratic", num_classes=K)),
        (vm.Accuracy(), lab, vm.accuracy(y, lab)),
        (vm.Accuracy(top_k=3), z, vm.top_k_accuracy(y, z, k=3)),
        (vm.CrossEntropy(), prob, vm.log_loss(y, prob)),
        (vm.CrossEntropy(from_logits=True), z, vm.cross_entropy(y, z, from_logits=True)),
        (vm.ROCAUC(num_classes=K, average="weighted"), prob, vm.roc_auc(y, prob, average="weighted")),
        (vm.ROCAUC(multi_class="ovo"), prob, vm.roc_auc(y, prob, multi_class="ovo")),
        (vm.AveragePrecision(average="micro"), prob, vm.average_precision(y, prob, average="micro")),
    ]
    for average in ("macro", "weighted", "micro", None):
        for cls, fn in ((vm.Precision, vm.precision), (vm.Recall, vm.recall), (vm.F1Score, vm.f1_score)):
            out.append(
                (
                    cls(K, average=average, zero_division=0),
                    z,
                    fn(y, lab, average=average, num_classes=K, zero_division=0),
                )
            )
    for norm in ("l1", "l2", "max"):
        out.append(
            (
                vm.CalibrationError(n_bins=10, norm=norm),
                prob,
                vm.expected_calibration_error(y, prob, n_bins=10, norm=norm),
            )
        )
    return out


def _identical(a, b):
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            _identical(u, v)
        return
    if a is None or b is None:
        assert a is None and b is None
        return
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype or (a.dtype.kind == "f" and b.dtype.kind == "f"), (a.dtype, b.dtype)
    assert np.array_equal(a, b, equal_nan=True), (a, b)  # exact, not approximately


def _cuts(rng, n, parts):
    return np.sort(rng.choice(np.arange(1, n), size=parts - 1, replace=False))


@pytest.mark.parametrize("seed", range(4))
def test_streamed_and_merged_equal_pure_bit_for_bit(seed):
    y, z, prob = _data(seed)
    rng = np.random.default_rng(seed)
    for metric, preds, expected in _pairs(y, z, prob):
        # batches of random sizes, some as torch tensors
        bounds = np.r_[0, _cuts(rng, y.size, 7), y.size]
        for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
            p, t = preds[a:b], y[a:b]
            metric.update(torch.from_numpy(p) if i % 2 else p, torch.from_numpy(t) if i % 3 else t)
        _identical(metric.compute(), expected)
        # three "processes" on a shuffled split, merged in another order
        order = rng.permutation(y.size)
        shards = np.array_split(order, 3)
        workers = []
        for shard in shards:
            m = copy.deepcopy(metric)
            m.reset()
            m.update(preds[shard], y[shard])
            workers.append(m)
        merged = workers[2].merge(workers[0]).merge(workers[1])
        _identical(merged.compute(), expected)
        # state_dict round trip, and reset
        fresh = copy.deepcopy(merged)
        fresh.reset()
        fresh.load_state_dict(merged.state_dict())
        _identical(fresh.compute(), expected)
        metric.reset()
        with pytest.raises(ValueError, match="no samples yet"):
            metric.compute()


def test_calibration_curve_streams_exactly():
    y, z, prob = _data(7)
    m = vm.CalibrationError(n_bins=8)
    for a in range(0, y.size, 37):
        m.update(prob[a : a + 37], y[a : a + 37])
    ours, ref = m.curve(), vm.reliability_curve(y, prob, n_bins=8)
    for field in ("edges", "count", "accuracy", "confidence"):
        _identical(getattr(ours, field), getattr(ref, field))
    assert ours.ece == ref.ece


def test_streaming_errors():
    m = vm.F1Score(3)
    with pytest.raises(ValueError, match="label 3 at index 1"):
        m.update(np.array([0, 3]), np.array([0, 1]))
    with pytest.raises(ValueError, match="4 columns"):
        m.update(np.zeros((2, 4)), np.array([0, 1]))
    with pytest.raises(ValueError, match="cannot merge"):
        m.merge(vm.F1Score(4))
    with pytest.raises(ValueError, match="cannot merge"):
        m.merge(vm.Recall(3))
    with pytest.raises(ValueError, match="average='binary' needs num_classes=2"):
        vm.F1Score(3, average="binary")
    with pytest.raises(ValueError, match="off by"):
        vm.CrossEntropy().update(np.array([[0.5, 0.6]]), np.array([0]))
    assert vm.ConfusionMatrix(3).sync() is not None  # no process group: a no-op


def test_exact_sums_are_exact():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            rng.standard_normal(500) * 10.0 ** rng.integers(-300, 300, 500),
            [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e308, 1e-320],
            rng.random(500),
        ]
    )
    groups = rng.integers(0, 4, x.size)
    sums = _exact.exact_sums(x, groups, 4)
    for g in range(4):
        assert Fraction(sums[g], 1 << 1074) == sum(Fraction(float(v)) for v in x[groups == g])
    assert _exact.from_limbs(_exact.to_limbs(sums) * 3) == [3 * s for s in sums]
    # the order of the additions does not matter, the rounding happens once
    y = rng.random(10_000) * 1e-3
    total = _exact.exact_sums(y)[0]
    assert _exact.exact_sums(y[::-1])[0] == total
    assert _exact.to_float(total, y.size) == float(Fraction(total, y.size << 1074))
    assert _exact.to_float(total) == math.fsum(y)


def test_exact_sums_in_chunks_and_rounds(monkeypatch):
    x = np.random.default_rng(1).random(1000)
    whole = _exact.exact_sums(x)
    monkeypatch.setattr(_exact, "_CHUNK", 7)
    monkeypatch.setattr(_exact, "_MAX_EXACT", 100)
    assert _exact.exact_sums(x) == whole
    # the float accumulators' worst case: full mantissas, all in one exponent
    y = np.full(5000, np.nextafter(2.0, 0.0))
    assert _exact.exact_sums(y)[0] == (Fraction(float(y[0])) * y.size * (1 << 1074))


# --------------------------------------------------------------------------- torch.distributed


def _dist_worker(rank: int, world: int, init_file: str, out_dir: str) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        y, z, prob = _data(11)
        shard = np.array_split(np.arange(y.size), world)[rank][::-1]  # uneven order per rank
        results = {}
        for name, metric, preds in (
            ("cm", vm.ConfusionMatrix(K), z),
            ("f1", vm.F1Score(K, zero_division=0), z),
            ("ce", vm.CrossEntropy(from_logits=True), z),
            ("ece", vm.CalibrationError(n_bins=10), prob),
            ("auc", vm.ROCAUC(average="weighted"), prob),
        ):
            metric.update(preds[shard], y[shard])
            metric.sync()
            results[name] = np.asarray(metric.compute())
            if name == "cm":
                try:
                    metric.sync()
                except RuntimeError:
                    results["double_sync_refused"] = np.asarray(True)
        np.savez(f"{out_dir}/rank{rank}.npz", **results)
    finally:
        dist.destroy_process_group()


def test_sync_over_torch_distributed_gives_single_process_result(tmp_path):
    import torch.multiprocessing as mp

    mp.start_processes(
        _dist_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True, start_method="spawn"
    )
    y, z, prob = _data(11)
    expected = {
        "cm": vm.confusion_matrix(y, z.argmax(1), num_classes=K),
        "f1": vm.f1_score(y, z.argmax(1), num_classes=K, average="macro", zero_division=0),
        "ce": vm.cross_entropy(y, z, from_logits=True),
        "ece": vm.expected_calibration_error(y, prob, n_bins=10),
        "auc": vm.roc_auc(y, prob, average="weighted"),
    }
    for rank in range(2):
        got = np.load(tmp_path / f"rank{rank}.npz")
        assert bool(got["double_sync_refused"])
        for name, value in expected.items():
            assert np.array_equal(got[name], np.asarray(value)), (rank, name)
