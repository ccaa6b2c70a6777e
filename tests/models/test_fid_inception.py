"""The FID Inception v3: pytorch-fid's checkpoint layout (from the registry), TensorFlow's pooling."""

from __future__ import annotations

import pytest
import torch

from vistakit.models import (
    create_model,
    describe_state_dict,
    list_models,
    model_info,
    parse_state_dict_description,
    read_checkpoint,
)
from vistakit.models.inception import (
    FIDInceptionA,
    FIDInceptionC,
    FIDInceptionE,
    FIDInceptionEMaxPool,
    InceptionA,
    InceptionE,
)

from ._reference import load_reference


@pytest.fixture(scope="module")
def fid_model():
    torch.manual_seed(0)
    return create_model("fid_inception_v3", num_classes=1008).eval()


def _published_layout() -> dict[str, tuple[int, ...]]:
    weights = model_info("fid_inception_v3").get_weights("fid")
    assert weights.file_name == "pt_inception-2015-12-05-6726825d.pth" and weights.sha256 == "6726825d"
    assert weights.sources[0].location.endswith("/fid_weights/pt_inception-2015-12-05-6726825d.pth")
    return parse_state_dict_description(weights.layout)


def test_fid_checkpoint_description():
    layout = _published_layout()
    # what the description says of pt_inception-2015-12-05: 94 conv+BN units with num_batches_tracked,
    # a 1008-way fc, no auxiliary head
    assert len(layout) == 94 * 6 + 2
    assert layout["fc.weight"] == (1008, 2048) and layout["fc.bias"] == (1008,)
    assert layout["Conv2d_1a_3x3.conv.weight"] == (32, 3, 3, 3)
    assert layout["Mixed_7c.branch_pool.conv.weight"] == (192, 2048, 1, 1)
    assert sum(k.endswith("num_batches_tracked") for k in layout) == 94
    assert not any(k.startswith("AuxLogits.") for k in layout)


RECORDED = [(name, w.tag) for name in list_models() for w in model_info(name).weights if w.layout]


@pytest.mark.parametrize(("name", "tag"), RECORDED or [("none", "none")])
def test_recorded_layouts_match_the_model_and_a_saved_checkpoint(name, tag, tmp_path):
    """Registry-driven: every published checkpoint whose layout is recorded, against the model and a file."""
    if name == "none":
        pytest.skip("no recorded checkpoint layouts")
    weights = model_info(name).get_weights(tag)
    layout = parse_state_dict_description(weights.layout)
    kwargs = {"num_classes": weights.num_classes, **dict(weights.model_kwargs)}
    torch.manual_seed(0)
    model = create_model(name, **kwargs)
    own = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert list(own.items()) == list(layout.items())  # same keys, shapes and order

    # a checkpoint with distinct values, saved and reloaded through create_model(weights=FILE), in the
    # legacy (non-zip) serialization: pytorch-fid's file (2019) predates torch 1.6's zip format
    with torch.no_grad():
        for t in model.state_dict().values():
            if t.is_floating_point():
                t.add_(torch.rand_like(t))
    path = tmp_path / weights.file_name
    torch.save(model.state_dict(), path, _use_new_zipfile_serialization=False)
    saved = read_checkpoint(path)
    assert {k: tuple(v.shape) for k, v in saved.items()} == layout
    loaded = create_model(name, weights=path, **kwargs)
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in saved.items())
    # the same file without num_batches_tracked (as some exports are) loads too
    torch.save({k: v for k, v in saved.items() if not k.endswith("num_batches_tracked")}, path)
    loaded = create_model(name, weights=path, **kwargs)
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in saved.items() if "num_batches" not in k)


def test_registry_description_is_torchvisions_inception_v3_without_aux_and_with_1008_classes():
    # independent of this repository's model code: torchvision's own state_dict, recorded in the reference
    ref = load_reference()["inception_v3"]["state_dict"]
    if isinstance(ref, str):
        import ast

        ref = ast.literal_eval(ref)
    expected = {k: tuple(shape) for k, shape, _ in ref if not k.startswith("AuxLogits.")}
    expected["fc.weight"], expected["fc.bias"] = (1008, 2048), (1008,)
    assert list(_published_layout().items()) == list(expected.items())


def test_state_dict_description_round_trip_and_errors():
    sd = {
        "a.conv.weight": torch.zeros(4, 3, 3, 3),
        **{f"a.bn.{p}": torch.zeros(4) for p in ("weight", "bias", "running_mean", "running_var")},
        "fc.weight": torch.zeros(5, 4),
        "fc.bias": torch.zeros(5),
        "scale": torch.zeros(()),
    }
    text = describe_state_dict(sd)
    assert text.splitlines() == ["conv_bn a 4x3x3x3", "linear fc 5x4", "tensor scale -"]
    assert parse_state_dict_description(text) == {k: tuple(v.shape) for k, v in sd.items()}
    with pytest.raises(ValueError, match="line 2"):
        parse_state_dict_description("linear fc 5x4\nconv_bn a 4x3")


def test_fid_blocks_pool_like_tensorflow():
    torch.manual_seed(0)
    x = torch.full((1, 8, 6, 6), 2.0)
    # TensorFlow's average pool ignores the padding: a constant map stays constant up to the border
    for fid_block, plain in (
        (FIDInceptionA(8, pool_features=4), InceptionA(8, pool_features=4)),
        (FIDInceptionC(8, channels_7x7=4), None),
        (FIDInceptionE(8), InceptionE(8)),
    ):
        pooled = fid_block._pool(x)
        torch.testing.assert_close(pooled, x)
        if plain is not None:
            corner = plain._pool(x)[0, 0, 0, 0]
            assert corner == pytest.approx(2.0 * 4 / 9)  # torch's default counts the zero padding
    # the second InceptionE max-pools: a single spike spreads unchanged over its 3x3 neighbourhood
    spike = torch.zeros(1, 8, 6, 6)
    spike[0, :, 2, 3] = 5.0
    pooled = FIDInceptionEMaxPool(8)._pool(spike)
    assert (pooled[0, :, 1:4, 2:5] == 5.0).all() and pooled.sum() == 5.0 * 9 * 8


def test_model_uses_the_fid_blocks_and_gives_2048_pool_features(fid_model):
    model = fid_model
    assert [type(getattr(model, f"Mixed_{n}")).__name__ for n in ("5b", "6b", "7b", "7c")] == [
        "FIDInceptionA",
        "FIDInceptionC",
        "FIDInceptionE",
        "FIDInceptionEMaxPool",
    ]
    assert model.AuxLogits is None and not model.transform_input
    with torch.no_grad():
        feats = model.forward_features(torch.rand(1, 3, 75, 75) * 2 - 1)
        assert model.forward_head(feats, pre_logits=True).shape == (1, 2048)
        assert model.forward_head(feats).shape == (1, 1008)


def test_published_tag_keeps_its_1008_classes_and_the_extractor_names_it(fid_model, tmp_path, monkeypatch):
    # no download in tests: the published file is stood in for by a local one of its layout
    from vistakit.features import get_extractor
    from vistakit.models import _factory

    sd = fid_model.state_dict()
    path = tmp_path / "pt_inception-2015-12-05-6726825d.pth"
    torch.save(sd, path)
    asked = []
    monkeypatch.setattr(_factory, "resolve_weights_file", lambda spec, w, **k: asked.append(w.tag) or path)
    model = create_model("fid_inception_v3", weights="fid")
    assert asked == ["fid"] and model.fc.weight.shape == (1008, 2048)
    assert torch.equal(model.fc.weight, sd["fc.weight"])
    other = create_model("fid_inception_v3", weights=path)  # a file: 1000 classes unless asked, fresh fc
    assert other.fc.weight.shape == (1000, 2048) and torch.equal(
        other.Mixed_7c.branch_pool.conv.weight, sd["Mixed_7c.branch_pool.conv.weight"]
    )
    ext = get_extractor("fid_inception")  # weights="default": the published "fid"
    assert ext.name == "fid_inception (pt_inception-2015-12-05)" and asked == ["fid", "fid"]
