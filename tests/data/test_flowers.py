"""Oxford 102 Flowers: jpg folder (or 102flowers.tgz), imagelabels.mat, setid.mat."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.io import savemat

from vistakit.data import DatasetError, dataset_info, load_dataset

from ._formats import FLOWERS_LABELS as LABELS
from ._formats import write_flowers


@pytest.mark.parametrize("archive", [False, True])
def test_splits_and_labels(tmp_path, archive):
    write_flowers(tmp_path, archive=archive)
    expect = {"train": [2, 5], "val": [1, 8], "test": [3, 4, 6, 7]}
    for split, ids in expect.items():
        ds = load_dataset("flowers102", split, root=tmp_path, download=False)
        assert [int(p[-9:-4]) for p in ds.paths] == ids
        assert ds.targets.tolist() == [LABELS[i - 1] - 1 for i in ids]
        image, target = ds[0]
        assert image.shape == (3, 10, 12) and target == LABELS[ids[0] - 1] - 1
    assert ds.classes == list(dataset_info("flowers102").classes) and len(ds.classes) == 102
    assert ds.classes[0] == "pink primrose"


def test_label_out_of_range(tmp_path):
    write_flowers(tmp_path, labels=[3, 1, 103, 3, 7, 1, 50, 2])
    with pytest.raises(
        DatasetError, match=r"imagelabels.mat: entry 3 of 'labels' is 103, outside the class range 1..102"
    ):
        load_dataset("flowers102", "test", root=tmp_path, download=False)


def test_image_id_out_of_range_and_missing_image(tmp_path):
    write_flowers(tmp_path, setid={"trnid": [2, 9], "valid": [1], "tstid": [3]})
    with pytest.raises(DatasetError, match=r"setid.mat: entry 2 of 'trnid' is image id 9"):
        load_dataset("flowers102", "train", root=tmp_path, download=False)
    write_flowers(tmp_path)
    (tmp_path / "jpg" / "image_00004.jpg").unlink()
    with pytest.raises(DatasetError, match=r"image_00004.jpg: image listed in setid.mat \(tstid\) is missing"):
        load_dataset("flowers102", "test", root=tmp_path, download=False)


def test_corrupt_mat_file(tmp_path):
    write_flowers(tmp_path)
    (tmp_path / "setid.mat").write_bytes(b"MATLAB 5.0 MAT-file" + b"\x00" * 20)
    with pytest.raises(DatasetError, match=r"setid.mat: not a readable MATLAB file"):
        load_dataset("flowers102", "train", root=tmp_path, download=False)
    savemat(tmp_path / "setid.mat", {"train_ids": np.array([[1]])})
    with pytest.raises(DatasetError, match=r"setid.mat: variable 'trnid' is missing \(variables: \['train_ids'\]\)"):
        load_dataset("flowers102", "train", root=tmp_path, download=False)
