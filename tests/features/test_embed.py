"""Embeddings: the right model, weights and preprocessing; files that round-trip; exact search; the page."""

from __future__ import annotations

import base64
import io
import json
import re

import numpy as np
import pytest
import torch
from PIL import Image

from vistakit.data import TensorImageDataset, dataset_info
from vistakit.features import (
    Embeddings,
    embed_dataset,
    embed_folder,
    embed_images,
    embedding_transform,
    search_similar,
    write_similar_html,
)
from vistakit.models import EvalTransform, load_image, preprocess
from vistakit.models._registry import IMAGENET_MEAN, IMAGENET_STD

from ..engine._tiny import NAME, TOY_TRANSFORM, TinyNet, register_tiny, trained_state


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    return register_tiny(monkeypatch, tmp_path)


def smooth_image(rng, size=(48, 56)) -> np.ndarray:
    """A random image with structure at several scales (uint8 HxWx3, values 30..220)."""
    h, w = size
    low = rng.uniform(30, 220, (4, 5, 3))
    up = np.asarray(Image.fromarray(low.astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC), np.float64)
    return np.clip(up + rng.normal(0, 8, up.shape), 0, 255).astype(np.uint8)


def write_folder(root, n, seed=0, sizes=((48, 56), (60, 44), (40, 40))):
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        sub = root / ("a" if i % 2 else "b")
        sub.mkdir(parents=True, exist_ok=True)
        p = sub / f"img{i:02d}.png"
        Image.fromarray(smooth_image(rng, sizes[i % len(sizes)])).save(p)
        paths.append(p)
    return sorted(paths)


def reference_features(paths, transform) -> np.ndarray:
    """The trained tiny net applied image by image, independently of the batching code."""
    net = TinyNet(num_classes=1000)
    net.load_state_dict(trained_state())
    net.eval()
    with torch.no_grad():
        rows = [
            net.forward_head(net.forward_features(preprocess(load_image(p), transform)[None]), pre_logits=True)
            for p in paths
        ]
    return torch.cat(rows).numpy()


def test_folder_uses_the_published_weights_and_their_transform(tiny, tmp_path):
    paths = write_folder(tmp_path / "imgs", 7)
    emb = embed_folder(tiny, tmp_path / "imgs", weights="toy", batch_size=3, workers=2)
    assert emb.paths == [str(p) for p in paths]  # sorted, recursive
    assert emb.model == NAME and emb.weights == "toy" and emb.transform == TOY_TRANSFORM
    assert emb.features.shape == (7, 16) and emb.features.dtype == np.float32 and emb.labels is None
    np.testing.assert_allclose(emb.features, reference_features(paths, TOY_TRANSFORM), rtol=1e-5, atol=1e-6)
    # another transform gives other features: the comparison above can tell them apart
    other = reference_features(paths, embedding_transform(tiny, image_size=32))
    assert not np.allclose(emb.features, other, atol=1e-3)
    assert emb.source == {"kind": "folder", "root": str((tmp_path / "imgs").resolve())}


def test_transform_rules(tiny, tmp_path):
    assert embedding_transform(tiny, weights="toy") == TOY_TRANSFORM
    scaled = embedding_transform(tiny, weights="toy", image_size=64)  # the entry's 40/32 ratio kept
    assert (scaled.resize, scaled.crop, scaled.interpolation, scaled.mean) == (80, 64, "bicubic", TOY_TRANSFORM.mean)
    default = embedding_transform(tiny)  # no weights: the spec's input size, resize = crop, ImageNet stats
    assert default == EvalTransform(resize=48, crop=48, interpolation="bilinear", mean=IMAGENET_MEAN, std=IMAGENET_STD)
    ckpt = tmp_path / "mine.pth"
    torch.save(trained_state(1), ckpt)
    assert embedding_transform(tiny, weights=str(ckpt), image_size=36).crop == 36
    assert embedding_transform(TinyNet()).crop == 224
    with pytest.raises(ValueError, match="no weights 'nope'"):
        embedding_transform(tiny, weights="nope")


def test_checkpoint_file_weights_are_loaded(tiny, tmp_path):
    paths = write_folder(tmp_path / "imgs", 3)
    ckpt = tmp_path / "finetuned.pth"
    state = trained_state(0)
    torch.save(state, ckpt)
    emb = embed_images(tiny, paths, weights=str(ckpt), image_size=32)
    assert emb.weights == str(ckpt) and emb.transform.crop == 32 and emb.transform.resize == 32
    np.testing.assert_allclose(emb.features, reference_features(paths, emb.transform), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("suffix", [".npz", ".npy"])
def test_save_and_load_round_trip(tiny, tmp_path, suffix):
    ds = TensorImageDataset(
        torch.randint(0, 256, (5, 3, 20, 20), dtype=torch.uint8),
        torch.tensor([0, 3, 1, 3, 2]),
        info=dataset_info("cifar10"),
        split="test",
    )
    emb = embed_dataset(tiny, ds, weights="toy", batch_size=2)
    out = emb.save(tmp_path / f"feats{suffix}")
    back = Embeddings.load(out)
    np.testing.assert_array_equal(back.features, emb.features)
    assert back.paths == ["cifar10/test/0", "cifar10/test/1", "cifar10/test/2", "cifar10/test/3", "cifar10/test/4"]
    np.testing.assert_array_equal(back.labels, [0, 3, 1, 3, 2])
    assert (back.model, back.weights, back.transform, back.in_chans) == (NAME, "toy", TOY_TRANSFORM, 3)
    assert back.classes == list(dataset_info("cifar10").classes)
    assert back.source == {"kind": "dataset", "name": "cifar10", "split": "test", "root": None}
    if suffix == ".npz":
        with np.load(out, allow_pickle=False) as z:  # plain arrays, no pickle
            assert {"features", "paths", "labels", "model", "weights"} <= set(z.files)
            assert str(z["model"]) == NAME and json.loads(str(z["meta"]))["transform"]["crop"] == 32
    else:
        assert (
            np.load(out).shape == (5, 16)
            and json.loads(out.with_suffix(".json").read_text())["paths"][2] == "cifar10/test/2"
        )
        out.with_suffix(".json").unlink()
        with pytest.raises(FileNotFoundError, match="feats.json"):
            Embeddings.load(out)


def test_grey_dataset_is_replicated_to_rgb(tiny):
    grey = torch.randint(0, 256, (6, 1, 28, 28), dtype=torch.uint8)
    targets = torch.arange(6) % 3
    info = dataset_info("fashion-mnist")
    emb_grey = embed_dataset(
        tiny, TensorImageDataset(grey, targets, info=info, split="train"), weights="toy", indices=[4, 1, 5]
    )
    emb_rgb = embed_dataset(
        tiny,
        TensorImageDataset(grey.repeat(1, 3, 1, 1), targets, info=info, split="train"),
        weights="toy",
        indices=[4, 1, 5],
    )
    np.testing.assert_allclose(emb_grey.features, emb_rgb.features, rtol=1e-6, atol=1e-7)
    assert emb_grey.paths == ["fashion-mnist/train/4", "fashion-mnist/train/1", "fashion-mnist/train/5"]
    np.testing.assert_array_equal(emb_grey.labels, [1, 1, 2])


def test_search_is_exact_and_finds_an_edited_copy(tiny, tmp_path):
    paths = write_folder(tmp_path / "imgs", 12, seed=3)
    emb = embed_folder(tiny, tmp_path / "imgs", weights="toy")
    target = 5
    arr = np.asarray(Image.open(paths[target]), np.float64)
    edited = np.clip(arr + 12 + np.random.default_rng(0).normal(0, 3, arr.shape), 0, 255).astype(np.uint8)
    Image.fromarray(edited).save(tmp_path / "query.png")
    found = search_similar(emb, tmp_path / "query.png", k=4)
    assert [nb.rank for nb in found] == [1, 2, 3, 4]
    assert found[0].index == target and found[0].path == str(paths[target]) and found[0].similarity > 0.9
    # brute force: every cosine similarity, sorted
    q = reference_features([tmp_path / "query.png"], TOY_TRANSFORM)[0]
    f = reference_features(paths, TOY_TRANSFORM)
    cos = f @ q / (np.linalg.norm(f, axis=1) * np.linalg.norm(q))
    assert [nb.index for nb in found] == np.argsort(-cos)[:4].tolist()
    np.testing.assert_allclose([nb.similarity for nb in found], np.sort(cos)[::-1][:4], rtol=1e-4)
    assert len(search_similar(emb, q, k=100)) == 12  # k capped at the database size
    with pytest.raises(ValueError, match="k must be"):
        search_similar(emb, q, k=0)


def test_bare_module_and_its_query(tmp_path):
    paths = write_folder(tmp_path / "imgs", 4)
    torch.manual_seed(0)
    net = TinyNet()
    emb = embed_images(net, paths, image_size=32)
    assert emb.model == "TinyNet" and emb.transform.crop == 32
    with pytest.raises(ValueError, match="not a registered model; pass the module"):
        search_similar(emb, paths[0])
    found = search_similar(emb, paths[2], k=1, model=net)
    assert found[0].index == 2 and found[0].similarity == pytest.approx(1.0, abs=1e-5)


def test_unreadable_image_names_the_file(tiny, tmp_path):
    write_folder(tmp_path / "imgs", 2)
    (tmp_path / "imgs" / "a" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"broken\.png: not a readable image"):
        embed_folder(tiny, tmp_path / "imgs", weights="toy")
    (tmp_path / "empty" / ".hidden").mkdir(parents=True)
    Image.fromarray(smooth_image(np.random.default_rng(1))).save(tmp_path / "empty" / ".hidden" / "x.png")
    with pytest.raises(ValueError, match="no images found"):  # hidden folders are skipped
        embed_folder(tiny, tmp_path / "empty")


def test_html_page_is_self_contained(tiny, tmp_path):
    paths = write_folder(tmp_path / "imgs", 6)
    weird = tmp_path / "imgs" / "a" / "<x&y>.png"
    Image.fromarray(smooth_image(np.random.default_rng(9))).save(weird)
    emb = embed_folder(tiny, tmp_path / "imgs", weights="toy")
    found = search_similar(emb, paths[1], k=5)
    out = write_similar_html(tmp_path / "page.html", emb, paths[1], found)
    page = out.read_text()
    uris = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(uris) == 6  # the query + 5 neighbours, all inlined
    im = Image.open(io.BytesIO(base64.b64decode(uris[0])))
    assert im.format == "PNG" and max(im.size) == 160
    assert "http" not in page and "<x&y>" not in page
    for nb in found:
        assert f"#{nb.rank} &middot; cos {nb.similarity:.4f}" in page
    assert page.index("Query") < page.index("#1 &middot;") < page.index("#5 &middot;")
    assert not list(tmp_path.glob(".page.html*"))  # no temporary left behind


def test_html_shows_in_memory_dataset_images(tiny, tmp_path, monkeypatch):
    """Rows of an in-memory data set are shown by reloading the data set from the recorded source."""
    from tests.data._formats import write_mnist_like

    monkeypatch.setenv("VISTAKIT_DATA", str(tmp_path / "data-cache"))
    written = write_mnist_like(tmp_path / "mnist", n_train=10, n_test=4)
    from vistakit.data import load_dataset

    ds = load_dataset("mnist", "test", root=tmp_path / "mnist", download=False)
    emb = embed_dataset(tiny, ds, weights="toy", root=tmp_path / "mnist")
    Image.fromarray(written["test"][0][2]).save(tmp_path / "q.png")
    found = search_similar(emb, tmp_path / "q.png", k=2)
    assert found[0].index == 2 and found[0].label == ds.classes[int(written["test"][1][2])]
    page = write_similar_html(tmp_path / "p.html", emb, tmp_path / "q.png", found).read_text()
    assert page.count("data:image/png;base64,") == 3 and "image not available" not in page


def test_random_init_is_reproducible(tiny, tmp_path):
    """Without weights the model comes from a fixed seed, so `similar` can embed a query the same way."""
    paths = write_folder(tmp_path / "imgs", 3)
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    a = embed_images(tiny, paths, image_size=24)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's RNG is untouched
    b = embed_images(tiny, paths, image_size=24)
    np.testing.assert_array_equal(a.features, b.features)
    found = search_similar(a, paths[1], k=1)
    assert found[0].index == 1 and found[0].similarity == pytest.approx(1.0, abs=1e-5)
