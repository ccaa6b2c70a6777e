"""Transfer learning: frozen really means frozen; the few-label comparison of the library and the
transfer experiments of ``benchmarks/transfer.py`` built on it."""

import json

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import Subset

from vistakit.data import load_dataset
from vistakit.engine import Method, TrainConfig, compare_label_budgets, fit
from vistakit.engine._transfer import (
    discriminative_param_groups,
    freeze,
    labels_per_class_subset,
    linear_probe,
)
from vistakit.features import extract_features
from vistakit.models import ImageClassifier, create_model

from ._bench import load_benchmark

MODEL = "fastnet_fmnist"  # registered, small, with BatchNorm in every stage
CFG = TrainConfig(amp="off", warmup_epochs=0.0, label_smoothing=0.1)


class Tiny(ImageClassifier):
    classifier_name = "fc"
    first_conv = "conv1"

    def __init__(self, num_classes=3):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.layer1 = nn.Sequential(nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.layer2 = nn.Sequential(nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.fc = nn.Linear(8, num_classes)
        self.num_classes, self.num_features = num_classes, 8
        self.feature_info = [
            dict(num_chs=8, reduction=2, module="layer1"),
            dict(num_chs=8, reduction=4, module="layer2"),
        ]

    def forward_features(self, x):
        return self.layer2(self.layer1(torch.relu(self.bn1(self.conv1(x)))))

    def forward_head(self, x, pre_logits=False):
        x = x.mean((2, 3))
        return x if pre_logits else self.fc(x)

    def group_matcher(self):
        return {"stem": r"^(conv1|bn1)\.", "blocks": [r"^layer1\.", r"^layer2\."], "head": r"^fc\."}


def _train_epoch(model, opt):
    model.train()
    for _ in range(3):
        x, y = torch.randn(16, 1, 8, 8), torch.randint(0, 3, (16,))
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_frozen_backbone_is_bit_identical_after_an_epoch():
    torch.manual_seed(0)
    model = Tiny()
    assert freeze(model, "backbone") == ["stem", "stage0", "stage1"]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=0.1)
    _train_epoch(model, opt)
    after = model.state_dict()
    for k, v in before.items():
        if k.startswith("fc."):
            assert not torch.equal(v, after[k]), f"{k} should train"
        else:
            assert torch.equal(v, after[k]), f"{k} moved although frozen (BN running stats included)"
    assert all(p.grad is None for n, p in model.named_parameters() if not n.startswith("fc."))
    assert len(opt.state) == 2  # only fc.weight and fc.bias have optimizer state


def test_partial_freeze_and_unfreeze():
    model = Tiny()
    assert freeze(model, "stages:1") == ["stem", "stage0"]
    assert not model.conv1.weight.requires_grad and model.layer2[0].weight.requires_grad
    model.train()
    assert model.bn1.training  # the module flag flips, but the pre-hook keeps it in eval during forward
    model(torch.randn(2, 1, 8, 8))
    assert not model.bn1.training and model.layer2[1].training
    freeze(model, "none")
    model.train()
    model(torch.randn(2, 1, 8, 8))
    assert model.bn1.training and all(p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError, match="only 2 stages"):
        freeze(model, "stages:5")
    with pytest.raises(ValueError, match="not understood"):
        freeze(model, "layers")


def test_discriminative_learning_rates():
    model = Tiny()
    freeze(model, "stages:1")
    groups = discriminative_param_groups(model, lr=1.0, lr_mult=0.5, weight_decay=0.01)
    by_name = {g["name"]: g for g in groups}
    assert by_name["head"]["lr"] == 1.0 and by_name["stage1"]["lr"] == 0.5
    assert "stem" not in by_name and "stage0" not in by_name
    assert by_name["head.no_decay"]["weight_decay"] == 0.0


def test_features_and_linear_probe():
    torch.manual_seed(0)
    model = Tiny()
    # two well separated classes of images
    x = torch.cat([torch.zeros(20, 1, 8, 8), torch.ones(20, 1, 8, 8) * 3]) + 0.1 * torch.randn(40, 1, 8, 8)
    y = torch.cat([torch.zeros(20), torch.ones(20)]).long()
    feats, targets = extract_features(model, [(x[:25], y[:25]), (x[25:], y[25:])], progress=False)
    assert feats.shape == (40, 8) and (targets == y.numpy()).all()
    probe = linear_probe(feats, targets)
    assert (probe.predict(feats) == targets).mean() == 1.0
    with pytest.raises(ValueError, match="two classes"):
        linear_probe(feats[:5], targets[:5])


def test_labels_per_class_subset():
    t = np.repeat(np.arange(4), 10)
    idx = labels_per_class_subset(t, per_class=3, seed=1)
    assert len(idx) == 12 and all((t[idx] == c).sum() == 3 for c in range(4))
    assert (idx == labels_per_class_subset(t, per_class=3, seed=1)).all()
    with pytest.raises(ValueError, match="fewer than"):
        labels_per_class_subset(t, per_class=11)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", "train"), load_dataset("digits", "test")


def test_compare_label_budgets_shows_one_bar_for_all_its_runs(tmp_path, digits, capsys):
    train, test = digits
    methods = [
        Method(
            "scratch, lr 3e-3",
            MODEL,
            None,
            dict(freeze="none", head_epochs=1, min_steps=2, lr=3e-3, batch_size=16, image_size=12, train=CFG),
        ),
        Method(
            "scratch, lr 1e-2",
            MODEL,
            None,
            dict(freeze="none", head_epochs=1, min_steps=2, lr=1e-2, batch_size=16, image_size=12, train=CFG),
        ),
    ]
    seen = []
    cmp = compare_label_budgets(
        methods,
        train,
        test,
        labels_per_class=(1, 2),
        repeats=2,
        title="tiny",
        progress=True,
        on_run=lambda row: seen.append(row) or print(f"ran {row['method']}"),
    )
    captured = capsys.readouterr()
    assert len(cmp.rows) == len(seen) == 8 and captured.out.count("ran scratch") == 8
    # one bar over the 8 runs; none of the runs' own bars, epoch lines or phase lines
    assert "comparison" in captured.err and "/8" in captured.err
    assert "epoch" not in captured.err + captured.out and "phase" not in captured.err + captured.out
    assert [(r["labels_per_class"], r["repeat"]) for r in cmp.rows[::2]] == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert all(
        0 <= r["accuracy"] <= 1 and r["seconds"] > 0 and r["train_images"] == 10 * r["labels_per_class"]
        for r in cmp.rows
    )
    table = cmp.table()
    assert [(r["method"], r["labels_per_class"], r["repeats"]) for r in table] == [
        (m, k, 2) for m in ("scratch, lr 3e-3", "scratch, lr 1e-2") for k in (1, 2)
    ]
    first = [r["accuracy"] for r in cmp.rows if r["method"] == "scratch, lr 3e-3" and r["labels_per_class"] == 1]
    assert table[0]["accuracy"] == pytest.approx(np.mean(first))
    paths = cmp.save(tmp_path, stem="tiny")
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"
    assert json.loads(paths["json"].read_text())["rows"] == json.loads(json.dumps(cmp.rows))
    assert "| scratch, lr 3e-3 |" in paths["md"].read_text() and "±" in paths["md"].read_text()
    with pytest.raises(ValueError, match="exceed"):
        compare_label_budgets(methods, train, test, labels_per_class=(1000,))
    with pytest.raises(ValueError, match="repeats"):
        compare_label_budgets(methods, train, test, labels_per_class=(1,), repeats=0)


def test_digits_transfer_benchmark(tmp_path, digits):
    transfer = load_benchmark("transfer")
    train, test = digits
    fmnist_like = Subset(train, list(range(300)))  # any RUN_DIR works as the source
    torch.manual_seed(0)
    fit(
        create_model(MODEL, num_classes=10, in_chans=1),
        fmnist_like,
        None,
        CFG.replace(epochs=1, batch_size=50),
        run_dir=tmp_path / "src",
        progress=False,
        meta={"model": MODEL, "dataset": "digits"},
    )
    assert transfer.source_facts(tmp_path / "src")[:2] == (MODEL, 8)  # the side of the source's data set
    cmp = transfer.transfer_to_digits(
        tmp_path / "src", labels_per_class=(1, 2), repeats=1, steps=2, out_dir=tmp_path / "out"
    )
    assert {(r["method"], r["labels_per_class"]) for r in cmp.rows} == {
        (m, k)
        for m in (
            "transferred: head, then unfrozen",
            "transferred: all layers fine-tuned",
            "transferred: frozen + linear probe",
            "from scratch",
        )
        for k in (1, 2)
    }
    assert all(0 <= r["accuracy"] <= 1 and r["seconds"] > 0 for r in cmp.rows)
    assert cmp.test_images == 297
    for suffix in ("png", "md", "json", "html"):
        assert (tmp_path / "out" / f"transfer-digits.{suffix}").is_file()
    assert (tmp_path / "out" / "transfer-digits.png").read_bytes()[:4] == b"\x89PNG"
    md = (tmp_path / "out" / "transfer-digits.md").read_text()
    assert "| from scratch |" in md and "1/class" in md
    with pytest.raises(FileNotFoundError, match="no best.pt"):
        transfer.source_facts(tmp_path)


def test_pretrained_benchmark_plans_its_methods_and_probes_offline_weights(tmp_path):
    transfer = load_benchmark("transfer")
    kw = dict(
        weights="imagenet",
        image_size=32,
        finetune_steps=5,
        unfreeze_stages=2,
        unfreeze_lr=1e-3,
        freeze_bn_stats=True,
        scratch_steps=5,
        fast_steps=5,
    )
    plan = transfer.pretrained_methods(
        ["mobilenet_v2"], scratch="efficientnet_lite0", methods=("probe", "finetune", "scratch", "fast"), **kw
    )
    assert [m.name for m in plan] == [
        "mobilenet_v2 imagenet, frozen + linear probe",
        "mobilenet_v2 imagenet, fine-tuned",
        "efficientnet_lite0 from scratch",
        "fastnet (fast recipe) from scratch, 28x28",
    ]
    assert [m.weights for m in plan] == ["imagenet", "imagenet", None, None]
    assert plan[1].options["head_init"] == "probe" and plan[1].options["unfreeze_stages"] == 2
    with pytest.raises(ValueError, match="unknown method"):
        transfer.pretrained_methods([], scratch=None, methods=("probes",), **kw)
    cmp = transfer.pretrained_comparison(
        ("mobilenet_v2", "no_such_net"),
        dataset="digits",
        labels_per_class=(3,),
        image_size=32,
        methods=("probe",),
        test_limit=50,
        out_dir=tmp_path,
    )
    assert [r["method"] for r in cmp.rows] == ["mobilenet_v2 imagenet, frozen + linear probe"]
    assert cmp.test_images == 50 and cmp.rows[0]["accuracy"] > 0.3  # chance is 0.1
    assert any(n.startswith("no_such_net skipped") for n in cmp.notes)
    assert (tmp_path / "transfer.html").is_file() and (tmp_path / "features").is_dir()
