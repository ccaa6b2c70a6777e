"""CelebA: the five annotation text files and img_align_celeba/."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from vistakit.data import DatasetError, dataset_info, load_dataset

from . import _formats
from ._formats import CELEBA_N as N
from ._formats import CELEBA_PARTITION as PARTITION

ATTRS = dataset_info("celeba").classes
write_celeba = functools.partial(_formats.write_celeba, attributes=ATTRS)


@pytest.mark.parametrize("zip_images", [False, True])
def test_splits_and_attr_targets(tmp_path, zip_images):
    truth = write_celeba(tmp_path, zip_images=zip_images)
    part = np.array(PARTITION)
    for split, code in (("train", 0), ("val", 1), ("test", 2)):
        ds = load_dataset("celeba", split, root=tmp_path, download=False)
        rows = np.flatnonzero(part == code)
        assert [int(p[-10:-4]) - 1 for p in ds.paths] == rows.tolist()
        assert torch.equal(ds.targets, torch.from_numpy(truth["attr"][rows]))
        image, target = ds[0]
        assert image.shape == (3, 21, 17) and target.shape == (40,)
        assert set(ds.targets.unique().tolist()) <= {0, 1}
    assert ds.classes == list(ATTRS) and len(load_dataset("celeba", "all", root=tmp_path, download=False)) == N


def test_other_target_types(tmp_path):
    truth = write_celeba(tmp_path)
    rows = np.flatnonzero(np.array(PARTITION) == 2)
    ds = load_dataset("celeba", "test", root=tmp_path, download=False, target_type=["identity", "bbox", "landmarks"])
    _, (ident, box, marks) = ds[1]
    assert ident == truth["identity"][rows[1]]
    assert box.tolist() == truth["bbox"][rows[1]].tolist()
    assert marks.tolist() == truth["landmarks"][rows[1]].tolist()
    only_bbox = load_dataset("celeba", "test", root=tmp_path, download=False, target_type="bbox")
    assert only_bbox.targets.shape == (2, 4)
    with pytest.raises(ValueError, match="target_type"):
        load_dataset("celeba", "test", root=tmp_path, download=False, target_type="pose")


def test_attribute_value_not_plus_minus_one(tmp_path):
    names = [f"{i:06d}.jpg" for i in range(1, N + 1)]
    rows = [f"{n} " + " ".join(["1"] * 40) for n in names]
    rows[4] = f"{names[4]} " + " ".join(["1"] * 7 + ["0"] + ["1"] * 32)
    write_celeba(tmp_path, attr_rows=rows)
    with pytest.raises(
        DatasetError, match=r"list_attr_celeba.txt: line 7 \(000005.jpg\) attribute Big_Nose is 0, expected -1 or 1"
    ):
        load_dataset("celeba", "train", root=tmp_path, download=False)


def test_line_with_missing_values(tmp_path):
    names = [f"{i:06d}.jpg" for i in range(1, N + 1)]
    rows = [f"{n} " + " ".join(["-1"] * 40) for n in names]
    rows[2] = f"{names[2]} " + " ".join(["-1"] * 39)
    write_celeba(tmp_path, attr_rows=rows)
    with pytest.raises(DatasetError, match=r"list_attr_celeba.txt: line 5 \(000003.jpg\) has 39 values, expected 40"):
        load_dataset("celeba", "train", root=tmp_path, download=False)


def test_count_line_disagrees(tmp_path):
    write_celeba(tmp_path)
    path = tmp_path / "list_bbox_celeba.txt"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(["8"] + lines[1:]) + "\n")
    with pytest.raises(DatasetError, match=r"list_bbox_celeba.txt: line 1 announces 8 images but the file lists 7"):
        load_dataset("celeba", "train", root=tmp_path, download=False, target_type="bbox")


def test_files_list_different_images(tmp_path):
    write_celeba(tmp_path)
    path = tmp_path / "identity_CelebA.txt"
    lines = path.read_text().splitlines()
    lines[3] = "999999.jpg 5"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        DatasetError, match=r"identity_CelebA.txt: image 4 is 999999.jpg, but list_eval_partition.txt lists 000004.jpg"
    ):
        load_dataset("celeba", "train", root=tmp_path, download=False, target_type="identity")


def test_partition_value(tmp_path):
    write_celeba(tmp_path)
    (tmp_path / "list_eval_partition.txt").write_text("000001.jpg 0\n000002.jpg 3\n")
    with pytest.raises(DatasetError, match=r"list_eval_partition.txt: line 2 \(000002.jpg\) has partition 3"):
        load_dataset("celeba", "train", root=tmp_path, download=False)
