"""Image folders: class order, decoding, unreadable files, DataLoader workers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vistakit.data import DatasetError, ImageFolder, load_dataset

from ._formats import solid, write_image


def make_tree(root, *, classes=("cat", "dog", "emu"), per_class=3):
    pixels = {}
    for c, name in enumerate(classes):
        for i in range(per_class):
            ext = "png" if i % 2 == 0 else "bmp"  # lossless, so decoded pixels are exact
            arr = solid(40 * c + i)
            write_image(root / name / f"{i:03d}.{ext}", arr)
            pixels[(name, i)] = arr
    return pixels


def test_classes_sorted_and_pixels_exact(tmp_path):
    pixels = make_tree(tmp_path, classes=("zebra", "ant", "mole"))
    (tmp_path / "ant" / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden").mkdir()
    ds = load_dataset("imagefolder", root=tmp_path)
    assert isinstance(ds, ImageFolder)
    assert ds.classes == ["ant", "mole", "zebra"]
    assert ds.targets.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    image, target = ds[4]
    assert image.dtype == torch.uint8 and image.shape == (3, 6, 5)
    assert target == 1
    assert np.array_equal(image.permute(1, 2, 0).numpy(), pixels[("mole", 1)])


def test_split_folders(tmp_path):
    make_tree(tmp_path / "train")
    make_tree(tmp_path / "val", per_class=1)
    assert len(load_dataset("imagefolder", "train", root=tmp_path)) == 9
    assert len(load_dataset("imagefolder", "val", root=tmp_path)) == 3
    with pytest.raises(DatasetError, match=r"no folder for split 'test'.*split folders present: \['train', 'val'\]"):
        load_dataset("imagefolder", "test", root=tmp_path)


def test_grey_mode_and_grey_files(tmp_path):
    write_image(tmp_path / "a" / "0.png", solid(3, channels=1)[:, :, 0])
    ds = load_dataset("imagefolder", root=tmp_path, mode="L")
    assert ds[0][0].shape == (1, 6, 5)
    rgb = load_dataset("imagefolder", root=tmp_path)
    assert rgb[0][0].shape == (3, 6, 5) and torch.equal(rgb[0][0][0], rgb[0][0][2])


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="imagefolder needs root="):
        load_dataset("imagefolder")
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset("imagefolder", root=tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no class folders"):
        load_dataset("imagefolder", root=tmp_path / "empty")
    (tmp_path / "noimg" / "cls").mkdir(parents=True)
    with pytest.raises(DatasetError, match="hold no images"):
        load_dataset("imagefolder", root=tmp_path / "noimg")


def _corrupt(tmp_path):
    make_tree(tmp_path)
    bad_png = tmp_path / "dog" / "000.png"
    bad_png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    good_jpeg = write_image(tmp_path / "emu" / "100.jpg", solid(9, size=(64, 64)))
    trunc = tmp_path / "emu" / "101.jpg"
    trunc.write_bytes(good_jpeg.read_bytes()[:300])
    return bad_png, trunc


def test_unreadable_image_raises_with_its_path(tmp_path):
    bad_png, trunc = _corrupt(tmp_path)
    ds = load_dataset("imagefolder", root=tmp_path)
    idx = ds.paths.index(str(bad_png))
    with pytest.raises(DatasetError, match=rf"{bad_png}: cannot decode image"):
        ds[idx]
    with pytest.raises(DatasetError, match=rf"{trunc}: cannot decode image"):
        ds[ds.paths.index(str(trunc))]


def test_on_error_skip_reports_and_skips(tmp_path):
    bad_png, trunc = _corrupt(tmp_path)
    with pytest.warns(UserWarning, match="skipped 2 unreadable image"):
        ds = load_dataset("imagefolder", root=tmp_path, on_error="skip")
    assert sorted(p for p, _ in ds.skipped) == sorted([str(bad_png), str(trunc)])
    assert len(ds) == 9 + 2 - 2  # 9 written, 2 jpegs added, 1 png and 1 jpeg broken
    for i in range(len(ds)):
        ds[i]
    with pytest.raises(ValueError, match="on_error"):
        load_dataset("imagefolder", root=tmp_path, on_error="ignore")


def test_dataloader_workers(tmp_path):
    make_tree(tmp_path, per_class=4)
    ds = load_dataset("imagefolder", root=tmp_path)
    batches = list(torch.utils.data.DataLoader(ds, batch_size=4, num_workers=2))
    images = torch.cat([b[0] for b in batches])
    labels = torch.cat([b[1] for b in batches])
    assert images.shape == (12, 3, 6, 5) and labels.tolist() == ds.targets.tolist()


def test_one_walker_hidden_files_and_folders_skipped_suffixes_shared(tmp_path):
    """Class folders are read with vistakit._files.list_images: nested folders, any case, hidden entries skipped."""
    from vistakit._files import IMAGE_SUFFIXES

    tree = tmp_path / "tree"
    write_image(tree / "cat" / "a.png", solid(1))
    write_image(tree / "cat" / "deeper" / "b.PNG", solid(2))  # suffixes match in any case
    write_image(tree / "cat" / ".c.png", solid(3))  # hidden file
    write_image(tree / "cat" / ".thumbs" / "d.png", solid(4))  # hidden folder
    write_image(tree / "dog" / "e.tiff", solid(5))
    ds = load_dataset("imagefolder", root=tree)
    assert [p[len(str(tree)) + 1 :] for p in ds.paths] == ["cat/a.png", "cat/deeper/b.PNG", "dog/e.tiff"]
    assert ds.targets.tolist() == [0, 0, 1]
    (tmp_path / "empty" / "emu").mkdir(parents=True)
    (tmp_path / "empty" / "emu" / "x.txt").write_text("no image")
    write_image(tmp_path / "empty" / "emu" / ".hidden.png", solid(6))
    with pytest.raises(DatasetError, match="hold no images") as e:
        load_dataset("imagefolder", root=tmp_path / "empty")
    assert all(s in str(e.value) for s in IMAGE_SUFFIXES)
