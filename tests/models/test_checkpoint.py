"""Checkpoint reading, strict loading, foreign-layout adapters and input-channel adaptation."""

import pytest
import torch
from torch import nn

from vistakit.models import (
    CheckpointError,
    _checkpoint,
    load_weights,
    read_checkpoint,
    register_adapter,
    save_safetensors,
)
from vistakit.models._checkpoint import adapt_input_channels, detect_adapter, load_state_dict_strict


def _net():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 2))


def test_safetensors_roundtrip(tmp_path):
    sd = {
        "a": torch.randn(3, 4),
        "b": torch.arange(5),
        "c": torch.randn(2, dtype=torch.float64),
        "d": torch.tensor(7),
        "e": torch.zeros(0),
    }  # d: 0-d, like BatchNorm's num_batches_tracked
    save_safetensors(sd, tmp_path / "x.safetensors")
    back = read_checkpoint(tmp_path / "x.safetensors")
    assert set(back) == set(sd)
    for k in sd:
        assert torch.equal(back[k], sd[k]) and back[k].dtype == sd[k].dtype


def test_unwraps_containers_and_module_prefix(tmp_path):
    net = _net()
    wrapped = {"model": {f"module.{k}": v for k, v in net.state_dict().items()}, "epoch": 3}
    torch.save(wrapped, tmp_path / "c.pth")
    sd = read_checkpoint(tmp_path / "c.pth")
    assert set(sd) == set(net.state_dict())


def test_truncated_and_missing_files(tmp_path):
    torch.save(_net().state_dict(), tmp_path / "ok.pth")
    (tmp_path / "bad.pth").write_bytes((tmp_path / "ok.pth").read_bytes()[:300])
    with pytest.raises(CheckpointError, match="bad.pth"):
        read_checkpoint(tmp_path / "bad.pth")
    with pytest.raises(CheckpointError, match="not found"):
        read_checkpoint(tmp_path / "nope.pth")
    (tmp_path / "zeros.pth").write_bytes(b"\x00" * 4)  # neither a zip nor a pickle
    with pytest.raises(CheckpointError, match="zeros.pth"):
        read_checkpoint(tmp_path / "zeros.pth")
    (tmp_path / "t.safetensors").write_bytes(b"\x10")
    with pytest.raises(CheckpointError, match="safetensors"):
        read_checkpoint(tmp_path / "t.safetensors")


def test_strict_load_lists_every_mismatch_and_loads_nothing():
    net = _net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    sd = {k: torch.ones_like(v) for k, v in net.state_dict().items()}
    del sd["1.running_mean"]
    sd["extra.weight"] = torch.zeros(1)
    sd["0.weight"] = torch.zeros(4, 3, 5, 5)
    with pytest.raises(CheckpointError) as e:
        load_state_dict_strict(net, sd, source="ckpt.pth")
    msg = str(e.value)
    assert "missing keys (1)" in msg and "1.running_mean" in msg
    assert "unexpected keys (1)" in msg and "extra.weight" in msg
    assert "mis-shaped keys (1)" in msg and "0.weight: checkpoint (4, 3, 5, 5), model (4, 3, 3, 3)" in msg
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_adapt_input_channels():
    w = torch.randn(8, 3, 3, 3)
    gray = adapt_input_channels(w, 1)
    x = torch.randn(1, 1, 5, 5)
    # a gray image through the summed filters == the same image replicated to RGB through the originals
    torch.testing.assert_close(nn.functional.conv2d(x, gray), nn.functional.conv2d(x.repeat(1, 3, 1, 1), w))
    w5 = adapt_input_channels(w, 5)
    assert w5.shape == (8, 5, 3, 3)
    torch.testing.assert_close(w5[:, 3], w[:, 0] * 3 / 5)
    assert adapt_input_channels(w, 3) is w


def test_checkpoints_without_num_batches_tracked_load():
    net = _net()
    sd = {k: torch.ones_like(v) for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    load_state_dict_strict(net, sd)
    assert torch.equal(net[1].running_var, torch.ones(4))


_TOY_NAMES = {"weight": "w", "bias": "b"}  # a toy foreign layout: _net()'s "N.weight" is "net.N.w" there


def _toy_layout(sd):
    out = {}
    for k, v in sd.items():
        index, part = k.split(".")
        out[f"net.{index}.{_TOY_NAMES.get(part, part)}"] = v
    return out


def _toy_adapter(sd):
    """The toy layout -> _net()'s (every key mapped, as an adapter must)."""
    back = {short: long for long, short in _TOY_NAMES.items()}
    out = {}
    for k, v in sd.items():
        _, index, part = k.split(".")
        out[f"{index}.{back.get(part, part)}"] = v
    return out


def test_a_registered_adapter_is_recognised_by_its_keys(tmp_path, monkeypatch):
    monkeypatch.setattr(_checkpoint, "_ADAPTERS", dict(_checkpoint._ADAPTERS))  # restored after the test
    register_adapter("toy_layout", keys=r"net\.\d+\.w")(_toy_adapter)
    with pytest.raises(ValueError, match="registered twice"):
        register_adapter("toy_layout", keys=r"x")(_toy_adapter)
    src = _net()
    nn.init.normal_(src[1].running_mean)
    foreign = _toy_layout(src.state_dict())
    torch.save(foreign, tmp_path / "toy.pth")
    net = _net()
    load_weights(net, tmp_path / "toy.pth")  # no adapter named: the keys tell the layout
    assert all(torch.equal(v, src.state_dict()[k]) for k, v in net.state_dict().items())
    assert detect_adapter(foreign, net.state_dict()) == "toy_layout"
    assert detect_adapter(net.state_dict(), net.state_dict()) is None  # the model's own layout: no conversion
    # two adapters that both claim the keys: an error that asks to name one
    register_adapter("toy_layout_too", keys=r"net\.0\.w")(_toy_adapter)
    with pytest.raises(CheckpointError, match="several adapters \\(toy_layout, toy_layout_too\\)"):
        load_weights(_net(), tmp_path / "toy.pth")
    load_weights(net, tmp_path / "toy.pth", adapter="toy_layout")  # named: no guessing


def test_an_unknown_layout_names_the_known_adapters(tmp_path):
    torch.save({f"other.{k}": v for k, v in _net().state_dict().items()}, tmp_path / "other.pth")
    with pytest.raises(
        CheckpointError, match="no key in common.*no registered adapter recognises.*efficientnet_pytorch"
    ):
        load_weights(_net(), tmp_path / "other.pth")
