"""Label metrics against scikit-learn (random and edge cases, 1e-12) and hand-worked examples."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
import torch

from vistakit import metrics as vm

from ._cases import close, label_case

SEEDS = range(40)  # 4 of each kind in _cases.KINDS
pytestmark = pytest.mark.filterwarnings("ignore")


def _outcome(fn):
    """("ok", value) or ("error", exception) of a call, warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", fn()
        except ValueError as e:
            return "error", e


def _agree(ours, theirs):
    """Both raise ValueError, or both return the same numbers to 1e-12."""
    (a_kind, a), (b_kind, b) = _outcome(ours), _outcome(theirs)
    assert a_kind == b_kind, f"vistakit: {a_kind} {a!r}, scikit-learn: {b_kind} {b!r}"
    if a_kind == "ok":
        if isinstance(a, tuple):
            assert len(a) == len(b)
            for u, v in zip(a, b):
                close(u, v)
        else:
            close(a, b)
    return a


def _sk_report(*args, **kwargs) -> str:
    """scikit-learn's report text, its supports printed as integers.

    scikit-learn prints supports as floats ("5.0") when no sample at all is
    right (its true-positive counts start as float zeros), or with weights;
    vistakit keeps integer counts as integers.
    """
    text = skm.classification_report(*args, **kwargs)
    if kwargs.get("sample_weight") is None:
        text = re.sub(r"( +)(\d+)\.0\n", lambda m: " " * (len(m.group(1)) + 2) + m.group(2) + "\n", text)
    return text


def _subset_labels(case):
    rng = np.random.default_rng(case["seed"])
    present = np.union1d(case["y_true"], case["y_pred"])
    pick = rng.choice(present, size=max(1, present.size - 1), replace=False)
    return np.r_[pick, present.max() + 5]  # plus one label that never occurs


@pytest.mark.parametrize("seed", SEEDS)
def test_precision_recall_f_against_sklearn(seed):
    c = label_case(seed)
    t, p, w = c["y_true"], c["y_pred"], c["sample_weight"]
    for average in (None, "binary", "micro", "macro", "weighted"):
        for zd in ("warn", 0, 1, np.nan):
            _agree(
                lambda: vm.precision_recall_fscore_support(t, p, average=average, zero_division=zd, sample_weight=w),
                lambda: skm.precision_recall_fscore_support(t, p, average=average, zero_division=zd, sample_weight=w),
            )
    rng = np.random.default_rng(seed)
    zd = [0, 1, np.nan, "warn"][seed % 4]
    beta = float(rng.choice([0.0, 0.5, 2.0, np.inf]))
    label_sets = [(dict(labels=_subset_labels(c)), dict(labels=_subset_labels(c)))]
    if c["n_classes"] is not None:
        label_sets.append((dict(num_classes=c["n_classes"]), dict(labels=np.arange(c["n_classes"]))))
    for ours_kw, sk_kw in label_sets:
        for average in (None, "micro", "macro", "weighted"):
            _agree(
                lambda: vm.precision_recall_fscore_support(
                    t, p, beta=beta, average=average, zero_division=zd, sample_weight=w, **ours_kw
                ),
                lambda: skm.precision_recall_fscore_support(
                    t, p, beta=beta, average=average, zero_division=zd, sample_weight=w, **sk_kw
                ),
            )
            for ours, theirs in (
                (vm.precision, skm.precision_score),
                (vm.recall, skm.recall_score),
                (vm.f1_score, skm.f1_score),
            ):
                _agree(
                    lambda: ours(t, p, average=average, zero_division=zd, sample_weight=w, **ours_kw),
                    lambda: theirs(t, p, average=average, zero_division=zd, sample_weight=w, **sk_kw),
                )
            _agree(
                lambda: vm.fbeta_score(t, p, beta=beta, average=average, zero_division=zd, **ours_kw),
                lambda: skm.fbeta_score(t, p, beta=beta, average=average, zero_division=zd, **sk_kw),
            )


@pytest.mark.parametrize("seed", SEEDS)
def test_counting_metrics_against_sklearn(seed):
    c = label_case(seed)
    t, p, w = c["y_true"], c["y_pred"], c["sample_weight"]
    _agree(lambda: vm.accuracy(t, p, sample_weight=w), lambda: skm.accuracy_score(t, p, sample_weight=w))
    _agree(
        lambda: vm.accuracy(t, p, normalize=False, sample_weight=w),
        lambda: skm.accuracy_score(t, p, normalize=False, sample_weight=w),
    )
    _agree(lambda: vm.confusion_matrix(t, p, sample_weight=w), lambda: skm.confusion_matrix(t, p, sample_weight=w))
    for norm in ("true", "pred", "all"):
        _agree(lambda: vm.confusion_matrix(t, p, normalize=norm), lambda: skm.confusion_matrix(t, p, normalize=norm))
    labels = _subset_labels(c)
    _agree(lambda: vm.confusion_matrix(t, p, labels=labels), lambda: skm.confusion_matrix(t, p, labels=labels))
    _agree(
        lambda: vm.multilabel_confusion_matrix(t, p, sample_weight=w, labels=labels),
        lambda: skm.multilabel_confusion_matrix(t, p, sample_weight=w, labels=labels),
    )
    _agree(lambda: vm.matthews_corrcoef(t, p, sample_weight=w), lambda: skm.matthews_corrcoef(t, p, sample_weight=w))
    _agree(lambda: vm.hamming_loss(t, p, sample_weight=w), lambda: skm.hamming_loss(t, p, sample_weight=w))
    for weights in (None, "linear", "quadratic"):
        _agree(
            lambda: vm.cohen_kappa(t, p, weights=weights, sample_weight=w),
            lambda: skm.cohen_kappa_score(t, p, weights=weights, sample_weight=w),
        )
        _agree(
            lambda: vm.cohen_kappa(t, p, weights=weights, labels=labels),
            lambda: skm.cohen_kappa_score(t, p, weights=weights, labels=labels),
        )
    _agree(
        lambda: vm.balanced_accuracy(t, p, sample_weight=w), lambda: skm.balanced_accuracy_score(t, p, sample_weight=w)
    )
    if np.unique(t).size >= 2:  # with one class, adjusted is 0/0: scikit-learn gives inf/nan, we raise
        _agree(
            lambda: vm.balanced_accuracy(t, p, adjusted=True), lambda: skm.balanced_accuracy_score(t, p, adjusted=True)
        )
    else:
        with pytest.raises(ValueError, match="at least two classes"):
            vm.balanced_accuracy(t, p, adjusted=True)
    if c["n_classes"] is not None:
        k = c["n_classes"]
        _agree(
            lambda: vm.confusion_matrix(t, p, num_classes=k), lambda: skm.confusion_matrix(t, p, labels=np.arange(k))
        )
        _agree(
            lambda: vm.cohen_kappa(t, p, weights="linear", num_classes=k),
            lambda: skm.cohen_kappa_score(t, p, weights="linear", labels=np.arange(k)),
        )
        # num_classes only validates for these: same values as without it
        assert vm.matthews_corrcoef(t, p, num_classes=k) == vm.matthews_corrcoef(t, p)
        assert vm.balanced_accuracy(t, p, num_classes=k) == vm.balanced_accuracy(t, p)


@pytest.mark.parametrize("seed", range(20))
def test_classification_report_matches_sklearn_text_and_dict(seed):
    c = label_case(seed)
    t, p, w = c["y_true"], c["y_pred"], c["sample_weight"]
    digits = seed % 4 + 1
    names = None
    if seed % 2:
        names = [f"class {v}" for v in np.union1d(t, p)]
    for zd in (0, 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = vm.classification_report(t, p, target_names=names, digits=digits, zero_division=zd)
            assert ours == _sk_report(t, p, target_names=names, digits=digits, zero_division=zd)
            # weighted supports are float sums printed in full: compare them as numbers
            od = vm.classification_report(t, p, output_dict=True, zero_division=zd, sample_weight=w)
            sd = skm.classification_report(t, p, output_dict=True, zero_division=zd, sample_weight=w)
        assert od.keys() == sd.keys()
        for key in sd:
            if isinstance(sd[key], dict):
                assert od[key].keys() == sd[key].keys()
                for m in sd[key]:
                    close(od[key][m], sd[key][m])
            else:
                close(od[key], sd[key])
    labels = _subset_labels(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert vm.classification_report(t, p, labels=labels) == _sk_report(t, p, labels=labels)


def _multilabel(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 30)), int(rng.integers(2, 6))
    y = (rng.random((n, k)) < 0.4).astype(int)
    q = (rng.random((n, k)) < 0.4).astype(int)
    if seed % 5 == 0:
        q = y.copy()
    w = rng.random(n) if seed % 3 == 0 else None
    return y, q, w


@pytest.mark.parametrize("seed", range(25))
def test_multilabel_against_sklearn(seed):
    y, q, w = _multilabel(seed)
    _agree(lambda: vm.accuracy(y, q, sample_weight=w), lambda: skm.accuracy_score(y, q, sample_weight=w))
    _agree(lambda: vm.hamming_loss(y, q, sample_weight=w), lambda: skm.hamming_loss(y, q, sample_weight=w))
    _agree(
        lambda: vm.multilabel_confusion_matrix(y, q, sample_weight=w),
        lambda: skm.multilabel_confusion_matrix(y, q, sample_weight=w),
    )
    _agree(
        lambda: vm.multilabel_confusion_matrix(y, q, samplewise=True),
        lambda: skm.multilabel_confusion_matrix(y, q, samplewise=True),
    )
    for average in (None, "micro", "macro", "weighted", "samples", "binary"):
        for zd in (0, 1, np.nan):
            _agree(
                lambda: vm.precision_recall_fscore_support(y, q, average=average, zero_division=zd, sample_weight=w),
                lambda: skm.precision_recall_fscore_support(y, q, average=average, zero_division=zd, sample_weight=w),
            )
    _agree(
        lambda: vm.f1_score(y, q, average=None, labels=[2, 0]), lambda: skm.f1_score(y, q, average=None, labels=[2, 0])
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert vm.classification_report(y, q, zero_division=0) == _sk_report(y, q, zero_division=0)


def test_hand_worked_multiclass():
    t = [0, 1, 2, 0, 1, 2]
    p = [0, 2, 1, 0, 0, 1]
    # class 0: tp 2, predicted 3, true 2; classes 1 and 2: no hit
    prec, rec, f1, sup = vm.precision_recall_fscore_support(t, p)
    close(prec, [2 / 3, 0, 0])
    close(rec, [1, 0, 0])
    close(f1, [0.8, 0, 0])
    assert sup.tolist() == [2, 2, 2]
    close(vm.precision(t, p, average="macro"), 2 / 9)
    close(vm.recall(t, p, average="macro"), 1 / 3)
    close(vm.f1_score(t, p, average="macro"), 0.8 / 3)
    close(vm.f1_score(t, p, average="micro"), 1 / 3)
    close(vm.f1_score(t, p, average="weighted"), 0.8 / 3)
    close(vm.accuracy(t, p), 1 / 3)
    assert vm.confusion_matrix(t, p).tolist() == [[2, 0, 0], [1, 0, 1], [0, 2, 0]]
    close(vm.confusion_matrix(t, p, normalize="true"), [[1, 0, 0], [0.5, 0, 0.5], [0, 1, 0]])
    close(vm.confusion_matrix(t, p, normalize="pred"), [[2 / 3, 0, 0], [1 / 3, 0, 1], [0, 1, 0]])
    close(vm.balanced_accuracy(t, p), 1 / 3)
    assert vm.confusion_matrix(t, p, labels=[2, 0]).tolist() == [[0, 0], [0, 2]]
    assert vm.confusion_matrix(t, p, num_classes=4).shape == (4, 4)
    # per-class arrays over num_classes include the absent class 3 (zero_division there)
    close(vm.recall(t, p, average=None, num_classes=4, zero_division=1), [1, 0, 0, 1])


def test_hand_worked_binary():
    t = [1, 1, 0, 0, 1]
    p = [1, 0, 0, 1, 1]  # tp 2, fp 1, fn 1, tn 1
    close(vm.precision(t, p), 2 / 3)
    close(vm.recall(t, p), 2 / 3)
    close(vm.f1_score(t, p), 2 / 3)
    close(vm.fbeta_score(t, p, beta=2), 10 / 15)
    close(vm.precision(t, p, pos_label=0), 1 / 2)
    close(vm.matthews_corrcoef(t, p), 1 / 6)  # (tp tn - fp fn) / sqrt(3 * 3 * 2 * 2)
    close(vm.cohen_kappa(t, p), 1 / 6)  # p_o 0.6, p_e 0.52
    close(vm.balanced_accuracy(t, p), 7 / 12)
    close(vm.balanced_accuracy(t, p, adjusted=True), 1 / 6)
    assert vm.multilabel_confusion_matrix(t, p).tolist() == [[[2, 1], [1, 1]], [[1, 1], [1, 2]]]
    close(vm.hamming_loss(t, p), 2 / 5)


def test_zero_division_edge_cases():
    t = [0, 0, 0]
    p = [0, 0, 0]
    with pytest.warns(vm.UndefinedMetricWarning):
        assert vm.precision(t, p) == 0.0  # class 1 never predicted: 0/0
    assert vm.precision(t, p, zero_division=1) == 1.0
    assert np.isnan(vm.precision(t, p, zero_division=np.nan))
    assert vm.f1_score(t, p, zero_division=1) == 1.0
    # all wrong: every score 0, MCC -1 for a swap, 0 when a side is constant
    assert vm.f1_score([0, 1], [1, 0], average="macro") == 0.0
    assert vm.matthews_corrcoef([0, 1], [1, 0]) == -1.0
    assert vm.matthews_corrcoef([0, 0, 0], [0, 1, 0]) == 0.0
    # all correct
    assert vm.f1_score([0, 1, 2, 2], [0, 1, 2, 2], average="macro") == 1.0
    assert vm.cohen_kappa([0, 1, 2, 2], [0, 1, 2, 2]) == 1.0
    with pytest.warns(vm.UndefinedMetricWarning):
        assert np.isnan(vm.cohen_kappa([1, 1], [1, 1]))


def test_multilabel_hand_worked():
    y = [[1, 0, 1], [0, 1, 0]]
    q = [[1, 0, 0], [0, 1, 1]]
    assert vm.accuracy(y, q) == 0.0  # subset accuracy
    close(vm.hamming_loss(y, q), 2 / 6)
    close(vm.precision(y, q, average=None, zero_division=0), [1, 1, 0])
    close(vm.recall(y, q, average=None), [1, 1, 0])
    close(vm.f1_score(y, q, average="samples"), 2 / 3)


def test_torch_and_numpy_inputs_agree():
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 5, 100), rng.integers(0, 5, 100)
    for fn in (vm.accuracy, vm.balanced_accuracy, vm.matthews_corrcoef, vm.cohen_kappa):
        assert fn(torch.from_numpy(t), torch.from_numpy(p).int()) == fn(t, p)
    assert vm.f1_score(torch.from_numpy(t), p.tolist(), average="macro") == vm.f1_score(t, p, average="macro")
    assert vm.accuracy(t.astype(float), p) == vm.accuracy(t, p)  # whole-number floats are labels


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: vm.accuracy([0, 1, 2], [0, 1]), "3 samples but y_pred has 2"),
        (lambda: vm.f1_score([], [], average="macro"), "empty"),
        (lambda: vm.precision([0, 1, 5], [0, 1, 1], num_classes=3, average="macro"), "label 5 at index 2"),
        (lambda: vm.confusion_matrix([0, -1], [0, 0], num_classes=2), "label -1 at index 1"),
        (lambda: vm.accuracy([0, 1], [0.5, 1.0]), "integer class labels"),
        (lambda: vm.accuracy([0, 1], [[0.2, 0.8], [0.9, 0.1]]), "look like per-class scores"),
        (lambda: vm.accuracy([0, np.nan], [0, 1]), "nan"),
        (lambda: vm.f1_score([0, 1, 2], [0, 1, 2]), "average='binary'"),
        (lambda: vm.f1_score([0, 1], [0, 1], average="bogus"), "average must be one of"),
        (lambda: vm.precision([0, 1], [0, 1], zero_division=2), "zero_division"),
        (lambda: vm.confusion_matrix([0, 1], [0, 1], labels=[5]), "must be in y_true"),
        (lambda: vm.accuracy([0, 1], [0, 1], sample_weight=[1.0, -1.0]), "non-negative"),
        (lambda: vm.accuracy([0, 1], [0, 1], sample_weight=[1.0]), "1 weights but there are 2"),
        (lambda: vm.fbeta_score([0, 1], [0, 1], beta=-1), "beta"),
        (lambda: vm.f1_score([[0, 2]], [[0, 1]], average="macro"), "0/1 indicators"),
        (lambda: vm.f1_score([0, 1], [0, 1], average="samples"), "multilabel"),
    ],
)
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
