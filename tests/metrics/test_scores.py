"""Score metrics (cross-entropy, ROC AUC, AP, top-k, calibration) against scikit-learn and torch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import sklearn.calibration as skc
import sklearn.metrics as skm
import torch
import torch.nn.functional as F

from vistakit import metrics as vm

from ._cases import close, prob_case

SEEDS = range(24)
pytestmark = pytest.mark.filterwarnings("ignore")


def _sk(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# --------------------------------------------------------------------------- cross-entropy


@pytest.mark.parametrize("seed", SEEDS)
def test_log_loss_against_sklearn_and_torch(seed):
    c = prob_case(seed)
    y, prob, z, w, k = c["y_true"], c["y_prob"], c["logits"], c["sample_weight"], c["k"]
    close(vm.log_loss(y, prob, sample_weight=w), _sk(skm.log_loss, y, prob, labels=range(k), sample_weight=w))
    close(vm.log_loss(y, prob, normalize=False), _sk(skm.log_loss, y, prob, labels=range(k), normalize=False))
    # logits: stable log-softmax, the same as torch's float64 cross-entropy
    zt, yt = torch.from_numpy(z), torch.from_numpy(y)
    per = F.cross_entropy(zt, yt, reduction="none").numpy()
    expected = per.mean() if w is None else np.sum(per * w) / np.sum(w)
    close(vm.cross_entropy(y, z, from_logits=True, sample_weight=w), expected)
    close(vm.log_loss(yt, zt, from_logits=True), vm.log_loss(y, prob))
    if k == 2:  # binary: 1-d probability of class 1, and 1-d logits
        close(vm.log_loss(y, prob[:, 1]), _sk(skm.log_loss, y, prob[:, 1], labels=[0, 1]))
        margin = z[:, 1] - z[:, 0]
        ref = F.binary_cross_entropy_with_logits(torch.from_numpy(margin), yt.double()).item()
        close(vm.log_loss(y, margin, from_logits=True), ref)


def test_log_loss_hand_worked_and_extremes():
    close(vm.log_loss([1, 0], [0.8, 0.3]), -(math.log(0.8) + math.log(0.7)) / 2)
    close(vm.log_loss([0, 2], [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]), -(math.log(0.7) + math.log(0.8)) / 2)
    close(vm.log_loss([0], [[0.0, 0.0]], from_logits=True), math.log(2))
    # one sample
    close(vm.log_loss([2], [[0.2, 0.3, 0.5]]), -math.log(0.5))
    close(vm.log_loss([2], [[0.2, 0.3, 0.5]]), _sk(skm.log_loss, [2], [[0.2, 0.3, 0.5]], labels=[0, 1, 2]))
    # zero probability on the true class: clipped at eps, as scikit-learn (not infinite)
    eps = np.finfo(np.float64).eps
    close(vm.log_loss([1, 0], [[1.0, 0.0], [1.0, 0.0]]), (-math.log(eps) - math.log(1 - eps)) / 2)
    close(vm.log_loss([1, 0], [[1.0, 0.0], [1.0, 0.0]]), _sk(skm.log_loss, [1, 0], [[1.0, 0.0], [1.0, 0.0]]))
    # float32 probabilities clip at float32's eps (logs are float64)
    p32 = np.array([[1.0, 0.0]], dtype=np.float32)
    close(vm.log_loss([1], p32), -math.log(np.finfo(np.float32).eps))
    # logits are never clipped: huge margins give exact large or tiny losses
    assert vm.log_loss([1], [[1000.0, 0.0]], from_logits=True) == 1000.0
    assert vm.log_loss([0], [[1000.0, 0.0]], from_logits=True) == 0.0
    close(vm.log_loss([1], [-800.0], from_logits=True), 800.0)
    close(vm.log_loss([0], [-40.0], from_logits=True), math.log1p(math.exp(-40)))


def test_cross_entropy_reading_bands():
    cases = {
        0.0: "perfect probabilities",
        0.0049: "perfect probabilities",
        0.005: "great",
        0.0199: "great",
        0.02: "on the right track",
        0.0499: "on the right track",
        0.05: "fine",
        0.1999: "fine",
        0.2: "between fine and not great",
        0.25: "between fine and not great",
        0.3: "between fine and not great",
        0.3001: "not great",
        1.0: "not great",
        1.0001: "terrible",
        2.0: "terrible",
        2.0001: "something is broken",
        50.0: "something is broken",
    }
    for value, text in cases.items():
        assert vm.cross_entropy_reading(value) == text, value
    for bad in (float("nan"), -0.01):
        with pytest.raises(ValueError, match="non-negative"):
            vm.cross_entropy_reading(bad)


# --------------------------------------------------------------------------- ranking


@pytest.mark.parametrize("seed", SEEDS)
def test_roc_auc_and_average_precision_against_sklearn(seed):
    c = prob_case(seed, ties=seed % 2 == 1)
    y, prob, w, k = c["y_true"], c["y_prob"], c["sample_weight"], c["k"]
    if k == 2:
        s = np.round(prob[:, 1], 1) if seed % 2 else prob[:, 1]
        close(vm.roc_auc(y, s, sample_weight=w), _sk(skm.roc_auc_score, y, s, sample_weight=w))
        close(vm.average_precision(y, s, sample_weight=w), _sk(skm.average_precision_score, y, s, sample_weight=w))
        for ours, theirs in zip(vm.roc_curve(y, s, sample_weight=w), _sk(skm.roc_curve, y, s, sample_weight=w)):
            close(ours, theirs)
        for drop in (False, True):
            for ours, theirs in zip(
                vm.precision_recall_curve(y, s, drop_intermediate=drop),
                _sk(skm.precision_recall_curve, y, s, drop_intermediate=drop),
            ):
                close(ours, theirs)
        return
    for average in ("macro", "weighted", "micro", None):
        close(
            vm.roc_auc(y, prob, average=average, sample_weight=w),
            _sk(skm.roc_auc_score, y, prob, multi_class="ovr", average=average, sample_weight=w),
        )
        close(
            vm.average_precision(y, prob, average=average, sample_weight=w),
            _sk(skm.average_precision_score, y, prob, average=average, sample_weight=w),
        )
    for average in ("macro", "weighted"):
        close(
            vm.roc_auc(y, prob, multi_class="ovo", average=average),
            _sk(skm.roc_auc_score, y, prob, multi_class="ovo", average=average),
        )
    close(vm.roc_auc(y, c["logits"], from_logits=True), _sk(skm.roc_auc_score, y, prob, multi_class="ovr"))


@pytest.mark.parametrize("seed", range(10))
def test_ranking_multilabel_against_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = (rng.random((40, 4)) < 0.5).astype(int)
    y[0], y[1] = 1, 0  # every label has both classes
    s = np.round(rng.random((40, 4)), 1)
    w = rng.random(40) if seed % 2 else None
    for average in ("macro", "weighted", "micro", None):
        close(
            vm.roc_auc(y, s, average=average, sample_weight=w),
            _sk(skm.roc_auc_score, y, s, average=average, sample_weight=w),
        )
        close(
            vm.average_precision(y, s, average=average, sample_weight=w),
            _sk(skm.average_precision_score, y, s, average=average, sample_weight=w),
        )


def test_ranking_hand_worked():
    y, s = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    close(vm.roc_auc(y, s), 0.75)  # 3 of the 4 positive-negative pairs ordered right
    close(vm.average_precision(y, s), (1 / 1 + 2 / 3) / 2)
    close(vm.roc_auc([0, 1], [0.5, 0.5]), 0.5)  # a tie counts half
    close(vm.roc_auc([0, 1, 1], [0.2, 0.2, 0.9]), (0.5 + 1) / 2)
    assert vm.roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0  # all pairs right
    assert vm.roc_auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 0.0  # all pairs wrong
    assert vm.average_precision([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    # ovo: classes 0/1/2, scores placing every sample's own class highest
    p = np.eye(3)[[0, 1, 2, 0]] * 0.8 + 0.2 / 3
    assert vm.roc_auc([0, 1, 2, 0], p, multi_class="ovo") == 1.0


def test_undefined_ranking_metrics_raise_not_nan():
    with pytest.raises(ValueError, match="only one class"):
        vm.roc_auc([1, 1, 1], [0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match="no positive"):
        vm.average_precision([0, 0], [0.2, 0.5])
    prob = np.array([[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])
    with pytest.raises(ValueError, match="class 2 is undefined"):
        vm.roc_auc([0, 1, 0], prob)
    # weighted: the absent class weighs 0, as in scikit-learn
    close(
        vm.roc_auc([0, 1, 0], prob, average="weighted"),
        _sk(skm.roc_auc_score, [0, 1, 0], prob, multi_class="ovr", average="weighted", labels=[0, 1, 2]),
    )
    with pytest.raises(ValueError, match="sum to 1|summing to 1"):
        vm.roc_auc([0, 1, 2], np.eye(3) * 2)
    with pytest.raises(ValueError, match="sample_weight is not supported"):
        vm.roc_auc([0, 1, 2], np.eye(3), multi_class="ovo", sample_weight=[1, 1, 1])


@pytest.mark.parametrize("seed", SEEDS)
def test_top_k_accuracy_against_sklearn(seed):
    c = prob_case(seed, ties=True)  # rounded logits: many ties, broken as scikit-learn does
    y, z, w, k = c["y_true"], c["logits"], c["sample_weight"], c["k"]
    for kk in range(1, k + 1):
        # scikit-learn's own algorithm (it refuses (N, 2) scores with binary labels)
        top = np.argsort(z, axis=1, kind="mergesort")[:, ::-1][:, :kk]
        close(vm.top_k_accuracy(y, z, k=kk, sample_weight=w), np.average((top == y[:, None]).any(1), weights=w))
        if k > 2:
            close(
                vm.top_k_accuracy(y, z, k=kk, sample_weight=w),
                _sk(skm.top_k_accuracy_score, y, z, k=kk, labels=np.arange(k), sample_weight=w),
            )
            close(
                vm.top_k_accuracy(y, z, k=kk, normalize=False),
                _sk(skm.top_k_accuracy_score, y, z, k=kk, labels=np.arange(k), normalize=False),
            )
    if k == 2:
        for kk in (1, 2):
            close(vm.top_k_accuracy(y, z[:, 1], k=kk), _sk(skm.top_k_accuracy_score, y, z[:, 1], k=kk))


def test_top_k_hand_worked_ties():
    s = [[0.5, 0.2, 0.2], [0.3, 0.4, 0.2], [0.2, 0.4, 0.3], [0.7, 0.2, 0.1]]
    close(vm.top_k_accuracy([0, 1, 2, 2], s, k=2), 0.75)
    # a tie ranks the higher class index first (scikit-learn's reversed stable sort)
    assert vm.top_k_accuracy([0], [[0.5, 0.5, 0.0]], k=1) == 0.0
    assert vm.top_k_accuracy([1], [[0.5, 0.5, 0.0]], k=1) == 1.0


# --------------------------------------------------------------------------- calibration


def _reference_ece(y, prob, n_bins, norm="l1"):
    """Independent loop over bins (lo, hi], 0 in the first: Guo et al. 2017."""
    conf = prob.max(axis=1)
    pred = prob.argmax(axis=1)
    edges = np.linspace(0, 1, n_bins + 1)
    gaps, weights = [], []
    for b in range(n_bins):
        lo, hi = edges[b], edges[b + 1]
        inside = (conf > lo) & (conf <= hi) if b else (conf >= lo) & (conf <= hi)
        if inside.any():
            gaps.append(abs(np.mean(pred[inside] == y[inside]) - np.mean(conf[inside])))
            weights.append(inside.mean())
    gaps, weights = np.array(gaps), np.array(weights)
    if norm == "l1":
        return float(np.sum(gaps * weights))
    if norm == "l2":
        return float(np.sqrt(np.sum(gaps**2 * weights)))
    return float(gaps.max())


@pytest.mark.parametrize("seed", range(15))
def test_calibration_against_references(seed):
    c = prob_case(seed)
    y, prob, z = c["y_true"], c["y_prob"], c["logits"]
    for n_bins in (1, 5, 15):
        for norm in ("l1", "l2", "max"):
            close(
                vm.expected_calibration_error(y, prob, n_bins=n_bins, norm=norm), _reference_ece(y, prob, n_bins, norm)
            )
    close(vm.expected_calibration_error(y, z, from_logits=True), vm.expected_calibration_error(y, prob))
    curve = vm.reliability_curve(y, prob, n_bins=10)
    assert curve.count.sum() == y.size and curve.edges.size == 11
    assert curve.ece == vm.expected_calibration_error(y, prob, n_bins=10)
    filled = curve.count > 0
    assert np.isnan(curve.accuracy[~filled]).all() and np.isfinite(curve.confidence[filled]).all()
    if c["k"] == 2:
        for strategy in ("uniform", "quantile"):
            for ours, theirs in zip(
                vm.calibration_curve(y, prob[:, 1], n_bins=5, strategy=strategy),
                _sk(skc.calibration_curve, y, prob[:, 1], n_bins=5, strategy=strategy),
            ):
                close(ours, theirs)


def test_calibration_hand_worked():
    # binary p(class 1): predictions 1, 1, 0, 1 with confidences .9, .9, .8, .6; the last is wrong
    y, p = [1, 1, 0, 0], [0.9, 0.9, 0.2, 0.6]
    # bins of width .2: {.9, .9} gap .1, {.8} gap .2, {.6} gap .6 (.6 falls in (.4, .6])
    close(vm.expected_calibration_error(y, p, n_bins=5), 0.5 * 0.1 + 0.25 * 0.2 + 0.25 * 0.6)
    close(vm.expected_calibration_error(y, p, n_bins=5, norm="max"), 0.6)
    close(vm.expected_calibration_error(y, p, n_bins=5, norm="l2"), math.sqrt(0.5 * 0.01 + 0.25 * 0.04 + 0.25 * 0.36))
    assert vm.expected_calibration_error([0, 1], [[1.0, 0.0], [0.0, 1.0]]) == 0.0


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: vm.log_loss([0, 1], [[0.5, 0.4], [0.5, 0.5]]), r"row 0 sums to 0\.9, off by 0\.1"),
        (lambda: vm.log_loss([0, 1], [[0.5, 0.6], [0.5, 0.7]]), r"2 rows are off, the worst by 0\.2 \(row 1\)"),
        (lambda: vm.log_loss([0, 1], [[np.nan, 1.0], [0.5, 0.5]]), "contains NaN at row 0, column 0"),
        (lambda: vm.log_loss([0, 3], [[0.5, 0.5], [0.5, 0.5]]), "label 3 at index 1, outside the 2 classes"),
        (lambda: vm.log_loss([0, 1], [[0.5, 0.5]]), "2 samples but y_proba has 1"),
        (lambda: vm.log_loss([], np.zeros((0, 3))), "empty"),
        (lambda: vm.log_loss([0, 1], [[1.5, -0.5], [0.5, 0.5]]), r"probabilities must lie in \[0, 1\]"),
        (lambda: vm.log_loss([0, 1], [[0.5, 0.5], [0.5, 0.5]], num_classes=3), "num_classes=3"),
        (lambda: vm.roc_auc([0, 1], [0.5, np.inf]), "contains inf"),
        (lambda: vm.roc_auc([0, 2], [0.5, 0.6]), "binary problem with labels 0 and 1"),
        (lambda: vm.top_k_accuracy([0, 1], [[0.1, 0.9], [0.2, 0.8]], k=0), "positive int"),
        (lambda: vm.expected_calibration_error([0, 1], [[0.5, 0.5], [0.2, 0.9]]), "off by"),
        (lambda: vm.expected_calibration_error([0], [[1.0, 0.0]], n_bins=0), "n_bins"),
        (lambda: vm.average_precision([0, 1], [[0.5, 0.5], [0.5, 0.5]], average="bogus"), "average must be"),
    ],
)
def test_bad_scores_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
