"""finetune(): frozen means frozen through the real path, discriminative unfreezing, RUN_DIR weights,
the linear probe and its feature cache (the few-label comparisons: test_transfer.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import yaml
from torch.utils.data import Subset, TensorDataset

from vistakit.data import load_dataset
from vistakit.engine import FinetuneConfig, RunDirError, TrainConfig, fit
from vistakit.engine._checkpoint import load_training_checkpoint
from vistakit.engine._finetune import (
    Phase,
    attach_resize,
    cached_features,
    finetune,
    fit_linear_probe,
    labelled_subset,
    plan_phases,
    probe_to_linear,
)
from vistakit.features import FeatureCache
from vistakit.models import CheckpointError, create_model, parameter_groups

from ._toy import stripes

MODEL = "fastnet_fmnist"  # registered, small, with BatchNorm in every stage
CFG = TrainConfig(amp="off", warmup_epochs=0.0, label_smoothing=0.1)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", "train"), load_dataset("digits", "test")


def _checkpoint(tmp_path, seed=0):
    """A FastNet state unlike any fresh init: random weights and BatchNorm statistics moved by data."""
    torch.manual_seed(seed)
    net = create_model(MODEL, num_classes=7, in_chans=1)
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(16, 1, 12, 12) * 2 + 1)
    path = tmp_path / "start.pt"
    torch.save(net.state_dict(), path)
    return path, {k: v.clone() for k, v in net.state_dict().items()}


def _group_of(model):
    return {pname: g for g, params in parameter_groups(model) for pname, _ in params}


def test_frozen_head_phase_is_bit_identical(tmp_path):
    path, start = _checkpoint(tmp_path)
    data = stripes(96, classes=4, size=12)
    res = finetune(
        MODEL,
        data,
        cfg=FinetuneConfig(freeze="backbone", head_epochs=2, batch_size=32, train=CFG),
        weights=str(path),
        run_dir=tmp_path / "run",
        progress=False,
    )
    after = res.model.state_dict()
    groups = _group_of(res.model)
    head = [k for k in after if k.startswith("fc.")]
    assert head and all(groups.get(k) == "head" for k in head)
    for k, v in after.items():
        if k in head:
            continue
        assert torch.equal(v, start[k]), f"{k} moved although frozen (BatchNorm running stats included)"
    assert any(k.endswith("running_mean") for k in after)  # the BatchNorm buffers were compared too
    # the new 4-class head trained; the optimizer held state for the head only
    assert after["fc.weight"].shape == (4, 128)
    ck = load_training_checkpoint(tmp_path / "run" / "head" / "checkpoint.pt")
    assert len(ck["optimizer"]["state"]) == 2
    assert sum(len(g["params"]) for g in ck["optimizer"]["param_groups"]) == 2
    assert [r["phase"] for r in res.history] == ["head", "head"]
    assert res.summary["trainable_params"]["head"] == 4 * 128 + 4


def test_unfreeze_phase_uses_discriminative_learning_rates(tmp_path):
    path, start = _checkpoint(tmp_path)
    cfg = FinetuneConfig(
        freeze="backbone",
        head_epochs=1,
        unfreeze_epochs=2,
        unfreeze_stages=2,
        unfreeze_lr=1e-3,
        lr_mult=0.5,
        batch_size=32,
        train=CFG.replace(schedule="constant"),
    )
    res = finetune(
        MODEL, stripes(96, classes=4, size=12), cfg=cfg, weights=str(path), run_dir=tmp_path / "run", progress=False
    )
    ck = load_training_checkpoint(tmp_path / "run" / "unfreeze" / "checkpoint.pt")
    groups = {g["name"]: g for g in ck["optimizer"]["param_groups"]}
    assert set(groups) == {"stage1", "stage1.no_decay", "stage2", "stage2.no_decay", "head", "head.no_decay"}
    assert groups["head"]["lr"] == pytest.approx(1e-3)
    assert groups["stage2"]["lr"] == pytest.approx(5e-4)
    assert groups["stage1"]["lr"] == pytest.approx(2.5e-4)
    assert groups["stage1.no_decay"]["weight_decay"] == 0.0
    # the stem and the first stage stayed frozen through both phases, BatchNorm statistics included
    after, owner = res.model.state_dict(), _group_of(res.model)
    for k, v in after.items():
        g = owner.get(k, owner.get(k.rsplit(".", 1)[0] + ".weight"))
        if g in ("stem", "stage0"):
            assert torch.equal(v, start[k]), k
        elif g in ("stage1", "stage2") and k.endswith("running_mean"):
            assert not torch.equal(v, start[k]), f"{k}: unfrozen BatchNorm should adapt"
    assert [r["phase"] for r in res.history] == ["head", "unfreeze", "unfreeze"]
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["phase"] for x in lines] == ["head", "unfreeze", "unfreeze"]


def test_weights_run_dir(tmp_path, digits):
    train, test = digits
    sub = Subset(train, list(range(200)))
    torch.manual_seed(0)
    net = create_model(MODEL, num_classes=10, in_chans=1)
    fit(
        net,
        sub,
        None,
        CFG.replace(epochs=1, batch_size=50),
        run_dir=tmp_path / "src",
        progress=False,
        meta={"model": MODEL, "dataset": "digits"},
    )
    best = load_training_checkpoint(tmp_path / "src" / "best.pt")
    data = stripes(64, classes=3, size=8)  # another class count: the head is replaced
    res = finetune(
        None,
        data,
        cfg=FinetuneConfig(head_epochs=1, batch_size=32, train=CFG),
        weights=tmp_path / "src",
        run_dir=tmp_path / "ft",
        progress=False,
    )
    assert res.summary["model"] == MODEL and res.mean == tuple(best["mean"])
    facts = yaml.safe_load((tmp_path / "ft" / "config.yaml").read_text())["finetune"]
    assert facts["freeze_bn_stats"] is False  # auto: BatchNorm trains for weights other than published ones
    after = res.model.state_dict()
    for k, v in best["model"].items():
        if not k.startswith("fc."):
            assert torch.equal(after[k], v), k
    assert after["fc.weight"].shape == (3, 128)
    # the fine-tuned run is itself a RUN_DIR, and its best.pt loads into a plain model
    again = create_model(MODEL, num_classes=3, in_chans=1, weights=tmp_path / "ft" / "best.pt")
    assert torch.equal(again.state_dict()["fc.weight"], after["fc.weight"])
    with pytest.raises(ValueError, match="holds a fastnet_fmnist checkpoint, not fastnet_fmnist_wide"):
        finetune("fastnet_fmnist_wide", data, weights=tmp_path / "src", progress=False)
    with pytest.raises(FileNotFoundError, match="no best.pt"):
        finetune(None, data, weights=tmp_path, progress=False)


def test_clear_errors(tmp_path):
    data = stripes(64, classes=3, size=8)
    with pytest.raises(ValueError, match="did you mean fastnet_fmnist"):
        finetune("fastnet_fmnst", data, progress=False)
    with pytest.raises(ValueError, match="not understood"):
        FinetuneConfig(freeze="layers")
    with pytest.raises(ValueError, match="nothing to train"):
        FinetuneConfig(head_epochs=0)
    with pytest.raises(ValueError, match="only 3 stages"):
        finetune(
            MODEL,
            data,
            cfg=FinetuneConfig(head_epochs=0, unfreeze_epochs=1, unfreeze_stages=5, train=CFG),
            progress=False,
        )
    with pytest.raises(ValueError, match="fewer than --labels-per-class 40"):
        finetune(MODEL, data, cfg=FinetuneConfig(labels_per_class=40), progress=False)
    # a checkpoint of another architecture: every mis-shaped key is listed
    torch.save(create_model("fastnet_fmnist_wide", num_classes=3, in_chans=1).state_dict(), tmp_path / "wide.pt")
    with pytest.raises(CheckpointError, match="mis-shaped keys"):
        finetune(MODEL, data, weights=tmp_path / "wide.pt", progress=False)
    # a folder holding a run is refused, untouched, without overwrite
    run = tmp_path / "run"
    cfg = FinetuneConfig(head_epochs=1, batch_size=32, train=CFG)
    finetune(MODEL, data, cfg=cfg, run_dir=run, progress=False)
    before = (run / "best.pt").read_bytes()
    with pytest.raises(RunDirError, match="already holds a run"):
        finetune(MODEL, data, cfg=cfg, run_dir=run, progress=False)
    assert (run / "best.pt").read_bytes() == before


def test_labelled_subset_is_nested_and_balanced():
    t = np.repeat(np.arange(5), 40)
    small, big = labelled_subset(t, per_class=3, seed=2), labelled_subset(t, per_class=10, seed=2)
    assert set(small) <= set(big)
    assert all((t[big] == c).sum() == 10 for c in range(5))
    assert not np.array_equal(small, labelled_subset(t, per_class=3, seed=3))
    with pytest.raises(ValueError, match="fewer than"):
        labelled_subset(t, per_class=41)


def test_resize_hook_keeps_the_state_dict():
    net = create_model(MODEL, num_classes=3, in_chans=1).eval()
    seen = []
    net.stem.register_forward_pre_hook(lambda m, a: seen.append(tuple(a[0].shape[-2:])))
    keys = list(net.state_dict())
    attach_resize(net, 20)
    net(torch.rand(2, 1, 8, 8))
    attach_resize(net, 16)  # replaces, does not stack
    net(torch.rand(2, 1, 8, 8))
    attach_resize(net, None)
    net(torch.rand(2, 1, 8, 8))
    assert seen == [(20, 20), (16, 16), (8, 8)]
    assert list(net.state_dict()) == keys


def test_probe_head_equals_the_probe():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 6)) * [1, 2, 3, 4, 5, 6] + 3
    y = np.repeat(np.arange(3), 20)
    x[y == 1, 0] += 4
    x[y == 2, 3] -= 6
    probe = fit_linear_probe(x, y)
    linear = torch.nn.Linear(6, 4)  # a fourth class the probe never saw
    probe_to_linear(probe, linear)
    with torch.no_grad():
        p = linear(torch.as_tensor(x, dtype=torch.float32)).softmax(1).numpy()
    np.testing.assert_allclose(p[:, :3], probe.predict_proba(x), atol=1e-5)
    assert p[:, 3].max() < 1e-10


def test_cached_features_add_only_missing_rows(tmp_path, digits):
    train, _ = digits
    net = create_model(MODEL, num_classes=0, in_chans=1)
    key = {"model": MODEL}
    kw = dict(split="train", key=key, cache=tmp_path, mean=(0.3,), std=(0.4,), image_size=12, amp="off")
    a, ya, n1 = cached_features(net, train, [5, 1, 9], **kw)
    b, yb, n2 = cached_features(net, train, [1, 2, 5, 9, 30], **kw)
    c, _, n3 = cached_features(net, train, [9, 1], **kw)
    assert (n1, n2, n3) == (3, 2, 0)
    np.testing.assert_array_equal(ya, train.targets[[5, 1, 9]].numpy())
    np.testing.assert_allclose(b[[2, 0, 3]], a, rtol=1e-6)
    np.testing.assert_allclose(c, a[[2, 1]], rtol=1e-6)
    _, _, n4 = cached_features(net, train, [1], **{**kw, "image_size": 16})  # another key starts afresh
    assert n4 == 1
    stored = FeatureCache.load(tmp_path / "features_train.npz")
    assert stored.index.tolist() == [1] and stored.key["preprocessing"]["image_size"] == 16


def test_linear_probe_on_pretrained_mobilenet_v2(tmp_path, digits):
    train, test = digits
    kw = dict(
        weights="imagenet", cfg=FinetuneConfig(linear_probe=True, labels_per_class=8, image_size=32), progress=False
    )
    res = finetune("mobilenet_v2", train, test=test, run_dir=tmp_path / "probe", **kw)
    s = res.summary
    assert s["train_images"] == 80 and s["evaluated_images"] == 297
    assert s["test_accuracy"] > 0.5  # chance is 0.1: ImageNet features through the summed grey filters
    assert s["features_computed"] == {"train": 80, "test": 297}
    assert res.mean == pytest.approx((0.449,), abs=1e-3)  # ImageNet mean averaged over RGB
    for name in ("features_train.npz", "features_test.npz", "probe.npz", "summary.json", "report.html"):
        assert (tmp_path / "probe" / name).is_file()
    again = finetune("mobilenet_v2", train, test=test, run_dir=tmp_path / "probe", overwrite=True, **kw)
    assert again.summary["features_computed"] == {"train": 0, "test": 0}
    assert again.summary["test_accuracy"] == s["test_accuracy"]


def test_linear_probe_without_test_data_and_errors(tmp_path):
    data = TensorDataset((torch.rand(40, 1, 8, 8) * 255).to(torch.uint8), torch.arange(40) % 2)
    res = finetune(MODEL, data, cfg=FinetuneConfig(linear_probe=True), progress=False)
    assert res.probe is not None and "test_accuracy" not in res.summary and res.phases == []
    with pytest.raises(ValueError, match="linear probe trains no network"):
        FinetuneConfig(linear_probe=True, unfreeze_epochs=2)


def test_freeze_bn_stats_keeps_every_statistic(tmp_path):
    path, start = _checkpoint(tmp_path)
    cfg = FinetuneConfig(freeze="none", head_epochs=1, freeze_bn_stats=True, batch_size=32, train=CFG)
    res = finetune(MODEL, stripes(64, classes=4, size=12), cfg=cfg, weights=str(path), progress=False)
    after = res.model.state_dict()
    stats = [k for k in after if "running_" in k or k.endswith("num_batches_tracked")]
    assert stats and all(torch.equal(after[k], start[k]) for k in stats)
    assert not torch.equal(after["stem.conv.weight"], start["stem.conv.weight"])  # the weights did train
    assert not torch.equal(after["stem.bn.weight"], start["stem.bn.weight"])  # and the BatchNorm scale
    res.model.train()
    res.model(torch.rand(4, 1, 12, 12))  # the hooks are gone afterwards: BatchNorm trains again
    assert not torch.equal(res.model.state_dict()["stem.bn.running_mean"], start["stem.bn.running_mean"])


def test_precise_bn_statistics_are_those_of_the_data():
    from vistakit.engine._finetune import recompute_bn_statistics

    torch.manual_seed(0)
    net = create_model(MODEL, num_classes=3, in_chans=1)
    data = stripes(64, classes=3, size=12)
    x = (data.tensors[0].float() / 255 - 0.3) / 0.4
    seen = []  # what the stem's BatchNorm sees does not depend on any statistic
    hook = net.stem.bn.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach()))
    with torch.no_grad():
        net.eval()(x)
    hook.remove()
    net.train()
    pre_bn = seen[0]
    assert recompute_bn_statistics(net, data, mean=(0.3,), std=(0.4,)) == sum(
        isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()
    )
    torch.testing.assert_close(net.stem.bn.running_mean, pre_bn.mean((0, 2, 3)), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(net.stem.bn.running_var, pre_bn.var((0, 2, 3), unbiased=True), rtol=1e-4, atol=1e-5)
    assert net.stem.bn.momentum == 0.1 and net.training


def test_whitening_never_overwrites_loaded_or_trained_weights(tmp_path, monkeypatch):
    # a config asking for a whitened stem (the fast recipe's) whitens only a network that starts from
    # no weights, once: loaded weights and the first phase's training are kept
    from vistakit.engine import _loop

    calls = []
    real = _loop.whiten_conv_
    monkeypatch.setattr(_loop, "whiten_conv_", lambda conv, images: calls.append(conv) or real(conv, images))
    cfg = CFG.replace(whiten_stem=True)
    path, start = _checkpoint(tmp_path)
    data = stripes(96, classes=4, size=12)
    ft = FinetuneConfig(freeze="none", head_epochs=1, unfreeze_epochs=1, batch_size=32, train=cfg)
    finetune(MODEL, data, cfg=ft, weights=str(path), progress=False)
    assert calls == []
    finetune(MODEL, data, cfg=ft, progress=False)
    assert len(calls) == 1  # from no weights: the first phase whitens, the second keeps what it trained


# ----------------------------------------------------------------------------- the config and the plan


def test_config_round_trips_and_names_the_bad_field():
    cfg = FinetuneConfig(
        freeze="stages:1",
        unfreeze_epochs=3,
        unfreeze_stages=2,
        lr_mult=0.7,
        train=CFG.replace(mean=(0.5,), std=(0.25,)),
    )
    data = cfg.to_dict()
    assert data["train"]["mean"] == [0.5] and data["freeze"] == "stages:1"
    assert yaml.safe_load(yaml.safe_dump(data)) == data  # plain data only
    assert FinetuneConfig.from_dict(data) == cfg
    assert cfg.replace(lr=1e-2).lr == 1e-2 and cfg.lr == 3e-3
    assert FinetuneConfig().train == TrainConfig(amp="auto", label_smoothing=0.1, warmup_epochs=0.0)
    with pytest.raises(ValueError, match="unknown fine-tuning option 'head_epoch'; did you mean 'head_epochs'"):
        FinetuneConfig.from_dict({"head_epoch": 2})
    with pytest.raises(ValueError, match=r"train.*unknown training option 'lrr'"):
        FinetuneConfig.from_dict({"train": {"lrr": 1}})
    for bad, field in (
        (dict(image_size=4), "image_size"),
        (dict(labels_per_class=0), "labels_per_class"),
        (dict(lr_mult=0), "lr_mult"),
        (dict(unfreeze_stages=-1), "unfreeze_stages"),
        (dict(head_init="zeros"), "head_init"),
        (dict(batch_size=0), "batch_size"),
    ):
        with pytest.raises(ValueError, match=f"FinetuneConfig.{field} = "):
            FinetuneConfig(**bad)


def test_plan_phases():
    net = create_model(MODEL, num_classes=4, in_chans=1)  # stem, stage0..stage2, head
    cfg = FinetuneConfig(
        freeze="stages:1", head_epochs=2, unfreeze_epochs=3, unfreeze_stages=2, lr=1e-2, lr_mult=0.7, batch_size=32
    )
    head, unfreeze = plan_phases(cfg, net, train_images=100, weights_kind="run")
    assert head == Phase("head", "stages:1", epochs=2, lr=1e-2, batch_size=32)
    assert unfreeze == Phase("unfreeze", "stages:1", epochs=3, lr=1e-3, batch_size=32, lr_mult=0.7)
    # all stages (None) unfreeze everything, 0 stages the head only
    assert plan_phases(cfg.replace(unfreeze_stages=None), net, train_images=100)[1].freeze == "none"
    assert plan_phases(cfg.replace(unfreeze_stages=0), net, train_images=100)[1].freeze == "backbone"
    # min_steps raises the epochs: 10 images in batches of 10 make one step an epoch
    few = plan_phases(cfg.replace(min_steps=7, unfreeze_lr=5e-4), net, train_images=10, weights_kind="published")
    assert [(p.epochs, p.batch_size, p.lr) for p in few] == [(7, 10, 1e-2), (7, 10, 5e-4)]
    assert all(p.hold_bn_stats for p in few)  # auto: published weights keep their BatchNorm statistics
    assert not any(
        p.hold_bn_stats
        for p in plan_phases(cfg.replace(freeze_bn_stats=False), net, train_images=10, weights_kind="published")
    )
    # from no weights only the first phase may whiten the stem; a probe-initialised head skips the head phase
    assert [p.whiten_stem for p in plan_phases(cfg, net, train_images=100)] == [True, False]
    only = plan_phases(cfg.replace(head_init="probe", head_epochs=0), net, train_images=100)
    assert [(p.name, p.whiten_stem) for p in only] == [("unfreeze", True)]
    assert plan_phases(FinetuneConfig(linear_probe=True), net, train_images=100) == []
    with pytest.raises(ValueError, match="only 3 stages"):
        plan_phases(cfg.replace(unfreeze_stages=4), net, train_images=100)


def test_phase_train_config_and_groups():
    net = create_model(MODEL, num_classes=4, in_chans=1)
    base = CFG.replace(epochs=8, warmup_epochs=2.0, whiten_stem=True)
    phase = Phase("unfreeze", "stages:1", epochs=4, lr=1e-3, batch_size=16, lr_mult=0.5)
    tc = phase.train_config(base, mean=[0.2], std=[0.3], seed=7)
    assert (tc.epochs, tc.lr, tc.batch_size, tc.seed, tc.mean, tc.std) == (4, 1e-3, 16, 7, (0.2,), (0.3,))
    assert tc.warmup_epochs == 1.0  # the warm-up keeps its quarter of the schedule
    assert tc.whiten_stem is False  # only a phase that may whiten does
    from vistakit.engine._transfer import freeze

    freeze(net, phase.freeze)
    groups = phase.param_groups(net, weight_decay=0.05)
    assert {g["name"]: g["lr_scale"] for g in groups} == {
        "stage1": 0.25,
        "stage1.no_decay": 0.25,
        "stage2": 0.5,
        "stage2.no_decay": 0.5,
        "head": 1.0,
        "head.no_decay": 1.0,
    }
    assert Phase("head", "backbone", epochs=1, lr=1e-3, batch_size=16).param_groups(net, weight_decay=0.0) is None


def test_finetune_returns_its_plan_and_records_it(tmp_path):
    data = stripes(64, classes=4, size=12)
    cfg = FinetuneConfig(freeze="none", head_epochs=1, unfreeze_epochs=1, unfreeze_stages=1, batch_size=32, train=CFG)
    res = finetune(MODEL, data, cfg=cfg, run_dir=tmp_path / "run", progress=False)
    assert [p.name for p in res.phases] == ["head", "unfreeze"]
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert FinetuneConfig.from_dict(saved["config"]) == cfg
    assert saved["unfreeze"]["frozen"] == ["stem", "stage0", "stage1"]
    # overwriting replaces the phase folders of the earlier run
    finetune(MODEL, data, cfg=cfg.replace(unfreeze_epochs=0), run_dir=tmp_path / "run", overwrite=True, progress=False)
    assert (tmp_path / "run" / "head" / "best.pt").is_file() and not (tmp_path / "run" / "unfreeze").exists()
