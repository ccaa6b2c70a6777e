"""Transfer learning helpers: frozen really means frozen."""

import numpy as np
import pytest
import torch
from torch import nn

from vistakit.engine._transfer import (
    discriminative_param_groups,
    freeze,
    labels_per_class_subset,
    linear_probe,
)
from vistakit.features import extract_features
from vistakit.models import ImageClassifier


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
        self.feature_info = [dict(num_chs=8, reduction=2, module="layer1"), dict(num_chs=8, reduction=4, module="layer2")]

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
