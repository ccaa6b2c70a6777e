"""Registry-driven contract: every registered model honours the shared interface.

One build per model (plus one reload), small batches at the model's smallest
supported input size, so a model is covered the moment it is registered.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from vistakit.models import (
    CheckpointError,
    ImageClassifier,
    create_model,
    list_models,
    load_weights,
    model_info,
    parameter_groups,
    save_safetensors,
)

NAMES = list_models() or ["none"]


@pytest.mark.parametrize("name", NAMES)
def test_model_contract(name, tmp_path):
    if name == "none":
        pytest.skip("no models registered yet")
    spec = model_info(name)
    size = spec.min_size
    torch.manual_seed(0)
    model = create_model(name, num_classes=7, in_chans=1)
    assert isinstance(model, ImageClassifier)
    model.eval()
    x = torch.randn(2, 1, size, size)
    with torch.no_grad():
        y = model(x)
        assert y.shape == (2, 7)
        feats = model.forward_features(x)
        torch.testing.assert_close(model.forward_head(feats), y)
        pre = model.forward_head(feats, pre_logits=True)
        assert pre.shape == (2, model.num_features)
    head = model.get_classifier()
    assert isinstance(head, nn.Linear) and head.out_features == 7

    # feature_info: channels and strides of the stages, strides increasing
    info = model.feature_info
    assert info and all({"num_chs", "reduction", "module"} <= set(f) for f in info)
    reductions = [f["reduction"] for f in info]
    assert reductions == sorted(reductions)
    assert info[-1]["num_chs"] == model.num_features or model.num_features >= info[-1]["num_chs"]

    # every parameter in exactly one group, stem first and head last
    groups = parameter_groups(model)
    assert groups[0][0] == "stem" and groups[-1][0] == "head"
    assert sum(len(ps) for _, ps in groups) == len(list(model.parameters()))
    assert any(p is head.weight for _, p in groups[-1][1])

    # checkpoint round trip through create_model(weights=FILE), .pth and .safetensors alike, into a
    # model with another class count: everything but the classifier loads, the classifier is new
    path = tmp_path / ("w.safetensors" if len(name) % 2 else "w.pth")
    if path.suffix == ".pth":
        torch.save(model.state_dict(), path)
    else:
        save_safetensors(model.state_dict(), path)
    other = create_model(name, num_classes=3, in_chans=1, weights=path).eval()
    sd_old, sd_new = model.state_dict(), other.state_dict()
    prefix = model.classifier_name + "."
    assert all(torch.equal(sd_old[k], v) for k, v in sd_new.items() if not k.startswith(prefix))
    assert other.get_classifier().out_features == 3
    with torch.no_grad():
        torch.testing.assert_close(other.forward_head(other.forward_features(x), pre_logits=True), pre, rtol=0, atol=0)
    # and the same file loads whole into the same architecture
    del other
    model.reset_classifier(7)
    load_weights(model, path)
    with torch.no_grad():
        torch.testing.assert_close(model(x), y, rtol=0, atol=0)

    # reset_classifier
    model.reset_classifier(3)
    with torch.no_grad():
        assert model(x).shape == (2, 3)
    model.reset_classifier(0)
    with torch.no_grad():
        assert model(x).shape == (2, model.num_features)

    # a truncated checkpoint is a clear error
    bad = tmp_path / "bad.pth"
    bad.write_bytes(path.read_bytes()[:1000] if path.suffix == ".pth" else b"\x00" * 4)
    with pytest.raises(CheckpointError):
        load_weights(model, bad)
