"""preview_grid and `vistakit augment preview` on synthetic images."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import torch
from PIL import Image

import vistakit.transforms as T
from vistakit.cli._main import main
from vistakit.structures import Sample

from ._helpers import make_sample


def test_preview_grid_layout_and_drawn_boxes():
    s = make_sample(0, height=24, width=32, n=2, keypoints=False, mask=False)
    s = s.replace(image=np.zeros_like(s.image))  # black image: anything coloured was drawn
    grid = T.preview_grid([s, s], T.HorizontalFlip(), num_variants=3, tile_size=64, gap=4)
    assert grid.shape == (2 * 68 + 4, 4 * 68 + 4, 3) and grid.dtype == np.uint8
    tile = grid[4 : 4 + 64, 4 : 4 + 64]
    scale = 2.0  # 32 px wide into 64
    x1, y1, x2, y2 = (s.boxes.data[0] * scale).astype(int)
    top = 4 + (64 - 48) // 2  # letterboxed vertically
    edge = tile[top + y1, x1 + 1 : x2 - 1]
    assert (edge.sum(-1) > 0).all()  # the box's top edge is drawn
    assert np.array_equal(grid, T.preview_grid([s, s], T.HorizontalFlip(), num_variants=3, tile_size=64, gap=4))


def test_draw_sample_handles_every_form():
    s = make_sample(1)
    for item in (s, {"image": s.image, "boxes": s.boxes.data}, (torch.zeros(1, 28, 28, dtype=torch.uint8), 3), s.image):
        tile = T.draw_sample(item if not isinstance(item, tuple) else Sample(image=item[0], label=item[1]), size=40)
        assert tile.shape == (40, 40, 3)
    after = T.Compose([T.Normalize(), T.ToTensor()])(s)
    assert T.draw_sample(after, size=32).shape == (32, 32, 3)


def _write_pipeline(tmp_path):
    path = tmp_path / "aug.yaml"
    path.write_text(
        "seed: 0\ntransforms:\n  - RandomResizedCrop: {size: 20, scale: [0.5, 1.0]}\n  - HorizontalFlip: {}\n"
    )
    return path


def test_cli_preview_from_image_files(tmp_path, capsys):
    for i in range(3):
        Image.fromarray(np.random.default_rng(i).integers(0, 256, (30, 40, 3), dtype=np.uint8)).save(
            tmp_path / f"im{i}.png"
        )
    out = tmp_path / "grid.png"
    rc = main(
        [
            "augment",
            "preview",
            "--pipeline",
            str(_write_pipeline(tmp_path)),
            "--images",
            str(tmp_path / "*.png"),
            "--variants",
            "2",
            "--tile",
            "32",
            "--out",
            str(out),
        ]
    )
    assert rc == 0 and out.is_file()
    assert Image.open(out).size == (3 * 36 + 4, 3 * 36 + 4)
    assert "3 samples x 2 variants" in capsys.readouterr().out


def test_cli_preview_from_a_dataset(tmp_path, monkeypatch):
    calls = {}

    def load_dataset(name, split):
        calls["args"] = (name, split)
        return [(torch.randint(0, 256, (1, 28, 28), dtype=torch.uint8), i % 10) for i in range(20)]

    fake = types.ModuleType("vistakit.data")
    fake.load_dataset = load_dataset
    monkeypatch.setitem(sys.modules, "vistakit.data", fake)
    import vistakit

    monkeypatch.setattr(vistakit, "data", fake, raising=False)
    out = tmp_path / "grid.png"
    rc = main(
        [
            "augment",
            "preview",
            "--pipeline",
            str(_write_pipeline(tmp_path)),
            "--dataset",
            "fashion-mnist",
            "--num",
            "4",
            "--variants",
            "3",
            "--out",
            str(out),
        ]
    )
    assert rc == 0 and calls["args"] == ("fashion-mnist", "train")
    assert Image.open(out).size == (4 * 116 + 4, 4 * 116 + 4)


def test_cli_preview_errors(tmp_path, capsys):
    rc = main(
        ["augment", "preview", "--pipeline", str(tmp_path / "nope.yaml"), "--images", "x/*.png", "--out", "g.png"]
    )
    assert rc == 2 and "nope.yaml: no such pipeline file" in capsys.readouterr().err
    rc = main(
        [
            "augment",
            "preview",
            "--pipeline",
            str(_write_pipeline(tmp_path)),
            "--images",
            str(tmp_path / "*.jpg"),
            "--out",
            "g.png",
        ]
    )
    assert rc == 2 and "no files match" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["augment", "preview", "--help"])
    assert (
        "vistakit augment preview --pipeline aug.yaml --dataset fashion-mnist --out grid.png" in capsys.readouterr().out
    )
