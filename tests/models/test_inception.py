"""Inception family: auxiliary heads, transform_input and loading checkpoints that carry aux heads."""

from __future__ import annotations

import pytest
import torch

from vistakit.models import CheckpointError, _factory, create_model, model_info, parameter_groups
from vistakit.models.inception import GoogLeNetOutputs, InceptionOutputs

from ._reference import load_reference

AUX_KEYS = {"googlenet": ("aux1.", "aux2."), "inception_v3": ("AuxLogits.",)}


def _save_full_checkpoint(name: str, path, **kwargs) -> dict[str, torch.Tensor]:
    """A checkpoint as published: built with the aux heads, random but distinct weights."""
    torch.manual_seed(1)
    full = create_model(name, aux_logits=True, **kwargs)
    with torch.no_grad():
        for t in full.state_dict().values():
            if t.is_floating_point():
                t.add_(torch.rand_like(t))  # running stats away from their init, so a non-load shows
    sd = full.state_dict()
    torch.save(sd, path)
    return sd


def test_googlenet_aux_outputs_in_training_only():
    torch.manual_seed(0)
    model = create_model("googlenet", num_classes=6, aux_logits=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():  # training mode is what matters, not the graph
        out = model.train()(x)
    assert isinstance(out, GoogLeNetOutputs)
    assert [t.shape for t in out] == [(2, 6)] * 3
    # the named fields are torchvision's: aux_logits1 comes from aux1 (after inception4a)
    assert not torch.equal(out.aux_logits1, out.aux_logits2)
    with torch.no_grad():
        y = model.eval()(x)
    assert isinstance(y, torch.Tensor) and y.shape == (2, 6)


def test_inception_v3_aux_outputs_in_training_only():
    torch.manual_seed(0)
    model = create_model("inception_v3", num_classes=5, aux_logits=True)
    x = torch.randn(2, 3, 299, 299)  # the smallest input the aux head takes (2: BatchNorm of its 1x1 map)
    with torch.no_grad():  # training mode is what matters, not the graph
        out = model.train()(x)
        assert isinstance(out, InceptionOutputs)
        assert out.logits.shape == (2, 5) and out.aux_logits.shape == (2, 5)
        y = model.eval()(x)
        assert isinstance(y, torch.Tensor) and y.shape == (2, 5)
        # the aux head needs a 17x17 Mixed_6e map (267x267 inputs give 15x15): a clear error
        with pytest.raises(ValueError, match="at least 299x299"):
            model.AuxLogits(torch.randn(2, 768, 15, 15))


@pytest.mark.parametrize("name", ["googlenet", "inception_v3"])
def test_default_has_no_aux_heads(name):
    model = create_model(name, num_classes=4)
    assert model.aux_logits is False
    assert not any(k.startswith(AUX_KEYS[name]) for k in model.state_dict())
    size = 64 if name == "googlenet" else 75
    with torch.no_grad():
        out = model.train()(torch.randn(2, 3, size, size))
    assert isinstance(out, torch.Tensor) and out.shape == (2, 4)


def test_googlenet_without_aux_has_torchvisions_published_count():
    published = load_reference()["googlenet"]["published_weights"][0]["num_params"]
    n = sum(p.numel() for p in create_model("googlenet").parameters())
    assert n == published
    assert model_info("googlenet").num_params == load_reference()["googlenet"]["num_params"] > n


@pytest.mark.parametrize("name", ["googlenet", "inception_v3"])
def test_full_checkpoint_loads_into_model_without_aux(name, tmp_path):
    path = tmp_path / "full.pth"
    sd = _save_full_checkpoint(name, path)
    model = create_model(name, weights=path)  # aux_logits=False: the aux keys are dropped
    own = model.state_dict()
    assert set(own) == {k for k in sd if not k.startswith(AUX_KEYS[name])}
    assert all(torch.equal(own[k], sd[k]) for k in own)


def test_only_aux_keys_are_dropped(tmp_path):
    sd = _save_full_checkpoint("googlenet", tmp_path / "full.pth")
    bad = dict(sd, **{"aux3.fc.weight": torch.zeros(3), "inception3a.extra": torch.zeros(1)})
    torch.save(bad, tmp_path / "bad.pth")
    with pytest.raises(CheckpointError, match="unexpected keys") as e:
        create_model("googlenet", weights=tmp_path / "bad.pth")
    assert "aux3.fc.weight" in str(e.value) and "inception3a.extra" in str(e.value)
    assert "aux1." not in str(e.value)


def test_checkpoint_without_aux_does_not_fit_model_with_aux(tmp_path):
    torch.manual_seed(0)
    torch.save(create_model("googlenet").state_dict(), tmp_path / "noaux.pth")
    with pytest.raises(CheckpointError, match="missing keys") as e:
        create_model("googlenet", aux_logits=True, weights=tmp_path / "noaux.pth")
    assert "aux1.fc2.weight" in str(e.value)


def test_full_checkpoint_into_aux_model_with_other_class_count(tmp_path):
    sd = _save_full_checkpoint("googlenet", tmp_path / "full.pth")
    torch.manual_seed(0)
    fresh = create_model("googlenet", num_classes=5, aux_logits=True).state_dict()
    torch.manual_seed(0)
    model = create_model("googlenet", num_classes=5, aux_logits=True, weights=tmp_path / "full.pth")
    own = model.state_dict()
    heads = ("fc.", "aux1.fc2.", "aux2.fc2.")
    for k, v in own.items():
        if k.startswith(heads):
            assert v.shape[0] == 5 and torch.equal(v, fresh[k]), k  # new classifiers, fresh init
        else:
            assert torch.equal(v, sd[k]), k  # everything else, aux1.fc1 included, from the checkpoint


def test_published_weights_path_drops_aux_and_transforms_input(tmp_path, monkeypatch):
    """create_model(weights="imagenet") as with the real file, which carries the aux heads."""
    sd = _save_full_checkpoint("googlenet", tmp_path / "googlenet-1378be20.pth")
    monkeypatch.setattr(_factory, "resolve_weights_file", lambda spec, weights: tmp_path / weights.file_name)
    model = create_model("googlenet", weights="imagenet")
    assert model.transform_input is True and model.aux1 is None
    assert all(torch.equal(v, sd[k]) for k, v in model.state_dict().items())


def test_transform_input_matches_torchvisions_conversion():
    torch.manual_seed(0)
    plain = create_model("googlenet", num_classes=3).eval()
    converting = create_model("googlenet", num_classes=3, transform_input=True).eval()
    converting.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 32, 32)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    by_hand = torch.stack([x[:, c] * (std[c] / 0.5) + (mean[c] - 0.5) / 0.5 for c in range(3)], 1)
    with torch.no_grad():
        torch.testing.assert_close(converting(x), plain(by_hand))
    with pytest.raises(ValueError, match="in_chans=3"):
        create_model("googlenet", in_chans=1, transform_input=True)


@pytest.mark.parametrize("name", ["googlenet", "inception_v3"])
def test_published_entries_set_transform_input(name):
    assert dict(model_info(name).get_weights("imagenet").model_kwargs) == {"transform_input": True}


def test_reset_classifier_resets_aux_classifiers():
    model = create_model("googlenet", num_classes=7, aux_logits=True).train()
    x = torch.randn(2, 3, 48, 48)
    model.reset_classifier(4)
    with torch.no_grad():
        assert [t.shape for t in model(x)] == [(2, 4)] * 3
    model.reset_classifier(0)
    with torch.no_grad():
        assert [t.shape for t in model(x)] == [(2, 1024)] * 3  # pre-logits everywhere


def test_aux_heads_are_in_the_head_group():
    model = create_model("googlenet", aux_logits=True)
    groups = dict(parameter_groups(model))
    head = {n for n, _ in groups["head"]}
    assert {n for n, _ in model.named_parameters() if n.startswith(("aux1.", "aux2.", "fc."))} == head
