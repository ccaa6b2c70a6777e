"""``vistakit embed``, ``vistakit similar`` and ``datasets check --near-duplicates`` through the entry point."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vistakit.cli import main
from vistakit.features import Embeddings

from ..engine._tiny import NAME, TOY_TRANSFORM, register_tiny
from ..features.test_embed import smooth_image, write_folder


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    monkeypatch.setenv("VISTAKIT_DATA", str(tmp_path / "data-cache"))
    return register_tiny(monkeypatch, tmp_path)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_embed_then_similar(tiny, tmp_path, capsys, monkeypatch):
    paths = write_folder(tmp_path / "imgs", 8)
    code, out, err = run(
        capsys,
        "embed",
        tmp_path / "imgs",
        "--model",
        NAME,
        "--weights",
        "toy",
        "--out",
        tmp_path / "feats.npz",
        "--batch-size",
        3,
    )
    assert code == 0, err
    assert "8 images" in out and "x 16 dimensions" in out and "resize 40, crop 32, bicubic" in out
    emb = Embeddings.load(tmp_path / "feats.npz")
    assert emb.paths == [str(p) for p in paths] and emb.transform == TOY_TRANSFORM and emb.weights == "toy"
    for _ in range(2):  # through the feature cache: the same numbers, one cache file
        code, _, err = run(
            capsys,
            "embed",
            tmp_path / "imgs",
            "--model",
            NAME,
            "--weights",
            "toy",
            "--out",
            tmp_path / "cached.npz",
            "--batch-size",
            3,
            "--cache",
            tmp_path / "cache",
        )
        assert code == 0, err
        np.testing.assert_array_equal(Embeddings.load(tmp_path / "cached.npz").features, emb.features)
    assert len(list((tmp_path / "cache").iterdir())) == 1

    arr = np.asarray(Image.open(paths[6]), np.float64)
    Image.fromarray(np.clip(arr + 10, 0, 255).astype(np.uint8)).save(tmp_path / "query.png")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "similar", tmp_path / "feats.npz", tmp_path / "query.png", "-k", 3)
    assert code == 0, err
    header, *rows, wrote = out.splitlines()
    assert header.split() == ["rank", "cosine", "path"] and len(rows) == 3
    assert rows[0].split()[0] == "1" and rows[0].split()[2] == str(paths[6])
    sims = [float(r.split()[1]) for r in rows]
    assert sims == sorted(sims, reverse=True)
    assert wrote == "wrote similar.html" and (tmp_path / "similar.html").read_text().count("base64,") == 4


def test_embed_a_dataset_to_npy(tiny, tmp_path, capsys):
    for c in ("cat", "dog"):
        for i in range(3):
            (tmp_path / "tree" / "test" / c).mkdir(parents=True, exist_ok=True)
            Image.fromarray(smooth_image(np.random.default_rng(i + 10 * len(c)))).save(
                tmp_path / "tree" / "test" / c / f"{i}.png"
            )
    code, out, err = run(
        capsys,
        "embed",
        "--dataset",
        "imagefolder",
        "--root",
        tmp_path / "tree",
        "--split",
        "test",
        "--model",
        NAME,
        "--image-size",
        24,
        "--out",
        tmp_path / "f.npy",
    )
    assert code == 0, err
    assert f"(+ {tmp_path / 'f.json'})" in out and "imagefolder test" in out and "resize 24, crop 24, bilinear" in out
    emb = Embeddings.load(tmp_path / "f.npy")
    assert emb.features.shape == (6, 16) and emb.labels.tolist() == [0, 0, 0, 1, 1, 1] and emb.classes == ["cat", "dog"]
    assert emb.weights is None and emb.source["kind"] == "dataset"
    code, out, _ = run(
        capsys, "similar", tmp_path / "f.npy", tmp_path / "tree" / "test" / "dog" / "1.png", "-k", 1, "--html", ""
    )
    assert code == 0 and "[dog]" in out and "wrote" not in out and "1.0000" in out


def test_usage_errors(tiny, tmp_path, capsys):
    write_folder(tmp_path / "imgs", 2)
    code, _, err = run(
        capsys, "embed", tmp_path / "imgs", "--dataset", "digits", "--model", NAME, "--out", tmp_path / "x.npz"
    )
    assert code == 2 and "either a folder of images or --dataset" in err
    code, _, err = run(capsys, "embed", tmp_path / "imgs", "--model", NAME, "--out", tmp_path / "x.txt")
    assert code == 2 and "written to .npz or .npy" in err
    code, _, err = run(capsys, "similar", tmp_path / "missing.npz", tmp_path / "q.png")
    assert code == 2 and "missing.npz: no such embeddings file" in err


def _leaky_tree(root):
    rng = np.random.default_rng(0)
    imgs = [smooth_image(rng, (40, 40)) for _ in range(7)]
    for i in range(6):
        sub = root / "train" / ("a" if i < 3 else "b")
        sub.mkdir(parents=True, exist_ok=True)
        Image.fromarray(imgs[i]).save(sub / f"{i}.png")
    (root / "test" / "a").mkdir(parents=True)
    Image.fromarray(imgs[6]).save(root / "test" / "a" / "new.png")
    shifted = np.clip(imgs[2].astype(np.float64) + 20, 0, 255).astype(np.uint8)
    Image.fromarray(shifted).save(root / "test" / "a" / "shifted.png")


def test_datasets_check_near_duplicates(tiny, tmp_path, capsys):
    _leaky_tree(tmp_path / "tree")
    code, out, err = run(capsys, "datasets", "check", "imagefolder", "--root", tmp_path / "tree")
    assert code == 0 and "near duplicates" not in out  # off by default: unchanged behaviour
    code, out, err = run(capsys, "datasets", "check", "imagefolder", "--root", tmp_path / "tree", "--near-duplicates")
    assert code == 1, err
    assert "near duplicates train -> test (cosine >= 0.995, thumbnail 16x16, mean-centred): 1 image(s)" in out
    assert "train[2]~test[1]" in out
    # with a backbone: the count the library gives on the same embeddings
    from vistakit.data import find_near_leaks, load_dataset
    from vistakit.features import embed_dataset

    feats = {
        s: embed_dataset(NAME, load_dataset("imagefolder", s, root=tmp_path / "tree"), weights="toy").features
        for s in ("train", "test")
    }
    sims = [find_near_leaks(feats["train"], feats["test"][j : j + 1], threshold=1e-6)[1][0][2] for j in range(2)]
    threshold = (sims[0] + sims[1]) / 2  # one image above, one below
    code, out, err = run(
        capsys,
        "datasets",
        "check",
        "imagefolder",
        "--root",
        tmp_path / "tree",
        "--model",
        NAME,
        "--weights",
        "toy",
        "--threshold",
        f"{threshold:.6f}",
    )
    assert code == 1, err
    assert f"cosine >= {float(f'{threshold:.6f}'):g}, {NAME}, weights toy): 1 image(s)" in out
    assert f"~test[{int(np.argmax(sims))}]" in out
    code, _, err = run(capsys, "datasets", "check", "imagefolder", "--root", tmp_path / "tree", "--weights", "toy")
    assert code == 2 and "--weights needs --model" in err
