"""`vistakit models ...` on real registered models (small inputs keep it quick)."""

import json

import numpy as np

from vistakit.cli import main
from vistakit.models import list_models, model_info


def test_list_table_and_json(capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["name", "family", "params", "GFLOPs", "top-1", "input"]
    assert len(out) == len(list_models()) + 1
    row = next(line for line in out if line.startswith("resnet50 "))
    assert row.split()[1:] == ["resnet", "25.6M", "4.09", "76.13", "224"]
    assert main(["models", "list", "swin_v2*", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["swin_v2_b", "swin_v2_s", "swin_v2_t"]


def test_info_prints_the_layer_tree_with_shapes_and_params(capsys):
    assert main(["models", "info", "resnet18", "--depth", "1", "--input-size", "64"]) == 0
    out = capsys.readouterr().out
    assert "resnet18  family=resnet  params=11,689,512" in out
    layer4 = next(line for line in out.splitlines() if line.startswith("layer4 "))
    assert "1x512x2x2" in layer4 and layer4.split()[-1] == f"{8_393_728:,}"
    assert "fc (Linear)" in out and "1x1000" in out


def test_profile_reports_each_mode(capsys):
    assert (
        main(
            [
                "models",
                "profile",
                "mobilenet_v3_small",
                "--batch-size",
                "2",
                "--input-size",
                "64",
                "--steps",
                "1",
                "--modes",
                "eager,channels_last",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "eager" in out and "channels_last" in out and "images/s" in out


def test_export_onnx_checks_against_onnxruntime(tmp_path, capsys):
    out = tmp_path / "m.onnx"
    assert (
        main(
            [
                "models",
                "export",
                "mobilenet_v3_small",
                "--format",
                "onnx",
                "--out",
                str(out),
                "--input-size",
                "64",
                "--num-classes",
                "10",
            ]
        )
        == 0
    )
    assert out.stat().st_size > 100_000
    assert "onnxruntime agrees with torch" in capsys.readouterr().out


def test_predict_with_a_local_checkpoint(tmp_path, capsys):
    import torch
    from PIL import Image

    from vistakit.models import create_model

    torch.manual_seed(0)
    ckpt = tmp_path / "w.pth"
    torch.save(create_model("mobilenet_v3_small").state_dict(), ckpt)
    img = tmp_path / "x.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 260, 3), dtype=np.uint8)).save(img)
    assert main(["models", "predict", "mobilenet_v3_small", "--weights", str(ckpt), str(img), "--topk", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("x.png") and len(lines) == 4


def test_every_registered_spec_is_consistent():
    for name in list_models():
        spec = model_info(name)
        assert spec.name == name and spec.num_params > 0 and spec.gflops > 0
        assert 1 <= spec.min_size <= spec.input_size
        tags = [w.tag for w in spec.weights]
        assert len(tags) == len(set(tags)), f"{name}: duplicate weights tags"
        for w in spec.weights:
            assert w.sources, f"{name}/{w.tag}: no source"
            assert w.transform.crop <= w.transform.resize


def test_unknown_weights_tag_lists_the_available(capsys):
    assert main(["models", "predict", "resnet18", "--weights", "imagenet_v9", "x.jpg"]) == 2
    assert "available: imagenet" in capsys.readouterr().err
