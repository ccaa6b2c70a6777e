"""ADE20K: SceneParsing masks (reduce zero label) and the full release's object masks."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from PIL import Image

import vistakit.transforms as T
from vistakit.data import DatasetError, dataset_info, load_dataset
from vistakit.data._ade20k import full_seg_instances, read_full_seg

from ._scene_formats import ADE_SIZE, ade20k_annotation, write_ade20k


def test_card_has_the_150_classes_of_object_info_150():
    info = dataset_info("ade20k")
    assert info.num_classes == 150 and info.splits == {"train": 20_210, "val": 2_000}
    assert info.classes[:4] == ("wall", "building, edifice", "sky", "floor, flooring")
    assert info.classes[12] == "person, individual, someone, somebody, mortal, soul"
    assert info.classes[-1] == "flag" and info.classes[19] == "chair"
    assert info.files[0].md5 == "7328b3957e407ddae1d3cbf487f149ef"


def test_masks_with_and_without_reduce_zero_label(tmp_path):
    write_ade20k(tmp_path)
    ds = load_dataset("ade20k", "val", root=tmp_path, download=False)
    assert len(ds) == 2 and ds.ignore_index == 255 and ds.classes[149] == "flag"
    s = ds[1]
    raw = ade20k_annotation(1).astype(np.int64)
    want = raw - 1
    want[raw == 0] = 255  # 0 (other) -> 255, k -> k - 1, written out by hand
    assert s.mask.dtype == torch.int64 and np.array_equal(s.mask.numpy(), want)
    assert int(s.mask[0, 0]) == 255 and int(s.mask[0, 1]) == 2 and int(s.mask[5, 8]) == 149
    kept = load_dataset("ade20k", "val", root=tmp_path, download=False, reduce_zero_label=False)
    assert np.array_equal(kept[1].mask.numpy(), raw) and kept.classes[0] == "other" and kept.classes[150] == "flag"
    assert kept.ignore_index is None
    flipped = load_dataset("ade20k", "val", root=tmp_path, download=False, transform=T.HorizontalFlip(p=1))
    assert torch.equal(torch.as_tensor(flipped[1].mask), s.mask.flip(-1))
    copy = pickle.loads(pickle.dumps(ds))  # DataLoader workers
    assert torch.equal(copy[1].mask, s.mask)


def test_bad_annotations_are_named(tmp_path):
    base = write_ade20k(tmp_path)
    bad = ade20k_annotation(0)
    bad[3, 2] = 151
    Image.fromarray(bad).save(base / "annotations" / "validation" / "ADE_val_00000001.png")
    ds = load_dataset("ade20k", "val", root=tmp_path, download=False)
    with pytest.raises(DatasetError, match=r"ADE_val_00000001.png: pixel \(x=2, y=3\) holds class 151"):
        ds[0]
    Image.fromarray(np.zeros((ADE_SIZE[0], ADE_SIZE[1] + 1), np.uint8)).save(
        base / "annotations" / "validation" / "ADE_val_00000002.png"
    )
    with pytest.raises(DatasetError, match=r"ADE_val_00000002.png: the annotation is 10x6 but its image is 9x6"):
        ds[1]
    (base / "annotations" / "validation" / "ADE_val_00000002.png").unlink()
    with pytest.raises(DatasetError, match=r"ADE_val_00000002.png: the annotation file is missing"):
        ds[1]


def test_full_release_seg_png(tmp_path):
    # Object class c is stored as R = c // 256 * 10, G = c % 256; B numbers the instances.
    seg = np.zeros((4, 6, 3), np.uint8)
    seg[:2, :3] = [10, 44, 7]  # class 256 + 44 = 300, instance B=7
    seg[2:, :3] = [0, 12, 9]  # class 12, instance B=9
    seg[:, 4:] = [20, 1, 30]  # class 2 * 256 + 1 = 513, instance B=30
    Image.fromarray(seg).save(tmp_path / "ADE_train_00000001_seg.png")
    classes, instances = read_full_seg(tmp_path / "ADE_train_00000001_seg.png")
    assert classes[0, 0] == 300 and classes[3, 0] == 12 and classes[0, 5] == 513 and classes[0, 3] == 0
    # Instances are the ranks of the distinct B values: 0 -> 0, 7 -> 1, 9 -> 2, 30 -> 3.
    assert instances[0, 3] == 0 and instances[0, 0] == 1 and instances[3, 0] == 2 and instances[0, 5] == 3
    objs = full_seg_instances(tmp_path / "ADE_train_00000001_seg.png")
    assert [(o.category_id, o.id) for o in objs] == [(300, 1), (12, 2), (513, 3)]
    np.testing.assert_array_equal(objs[2].box, [4, 0, 6, 4])
    assert objs[0].rle.area == 6
    with pytest.raises(DatasetError, match="the segmentation is 6x4 but its image is 5x4"):
        read_full_seg(tmp_path / "ADE_train_00000001_seg.png", size=(4, 5))
