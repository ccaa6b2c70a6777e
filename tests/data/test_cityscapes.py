"""Cityscapes: the label table, labelIds / instanceIds PNGs and the polygons JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import vistakit.transforms as T
from vistakit.data import (
    DatasetError,
    dataset_info,
    load_dataset,
    read_annotations,
    write_annotations,
)
from vistakit.data._cityscapes import LABELS, label_ids_to_train_ids

from ._scene_formats import CITYSCAPES_SIZE, cityscapes_label_ids, write_cityscapes

# Train ids of the official table, written out by hand for the ids the little images use.
TRAIN_ID = {4: 255, 7: 0, 23: 10, 24: 11, 26: 13}


def test_the_label_table_is_the_official_one():
    assert len([lab for lab in LABELS if lab.id >= 0]) == 34 and [lab.id for lab in LABELS[:34]] == list(range(34))
    evaluated = [lab for lab in LABELS if lab.train_id not in (255, -1)]
    assert sorted(lab.train_id for lab in evaluated) == list(range(19))
    assert all(not lab.ignore_in_eval for lab in evaluated)
    assert [lab.name for lab in LABELS if lab.has_instances] == [
        "person",
        "rider",
        "car",
        "truck",
        "bus",
        "caravan",
        "trailer",
        "train",
        "motorcycle",
        "bicycle",
    ]
    info = dataset_info("cityscapes")
    assert info.num_classes == 19 and info.classes[0] == "road" and info.classes[18] == "bicycle"
    assert info.splits == {"train": 2975, "val": 500, "test": 1525}
    assert "Cordts" in info.citation and "gtFine_trainvaltest.zip" in info.manual_download
    assert label_ids_to_train_ids(np.array([0, 7, 26, 33, 18])).tolist() == [255, 0, 13, 18, 255]
    with pytest.raises(ValueError, match=r"label ids \[34\]"):
        label_ids_to_train_ids(np.array([7, 34]))


def test_semantic_masks_in_train_ids_or_label_ids(tmp_path):
    write_cityscapes(tmp_path)
    ds = load_dataset("cityscapes", "val", root=tmp_path, download=False)
    assert len(ds) == 2 and ds.classes[13] == "car" and ds.ignore_index == 255
    s = ds[1]
    ids = cityscapes_label_ids(1)
    want = np.vectorize(TRAIN_ID.get)(ids)
    assert s.mask.dtype == torch.int64 and np.array_equal(s.mask.numpy(), want)
    assert tuple(s.image.shape) == (3, *CITYSCAPES_SIZE) and s.meta["mask_path"].endswith("_gtFine_labelIds.png")
    raw = load_dataset("cityscapes", "val", root=tmp_path, download=False, label="id")
    assert np.array_equal(raw[1].mask.numpy(), ids) and raw.classes[26] == "car" and len(raw.classes) == 34
    flipped = load_dataset("cityscapes", "val", root=tmp_path, download=False, transform=T.HorizontalFlip(p=1))[1]
    assert torch.equal(torch.as_tensor(flipped.mask), s.mask.flip(-1))


def test_instances_from_instance_ids(tmp_path):
    write_cityscapes(tmp_path)
    ds = load_dataset("cityscapes", "train", root=tmp_path, download=False, target="instances")
    assert [c for c in ds.classes if c] == [lab.name for lab in LABELS if lab.has_instances]
    s0, s1 = ds[0], ds[1]
    assert s0.labels.tolist() == [24, 26] and s0.meta["iscrowd"].tolist() == [False, False]
    # The car fills rows 5..6, columns 1..3: xyxy pixel edges 1, 5, 4, 7.
    np.testing.assert_array_equal(s0.boxes.data[1], [1, 5, 4, 7])
    np.testing.assert_array_equal(s0.boxes.data[0], [6, 5, 8, 8])
    assert s0.masks.shape == (2, *CITYSCAPES_SIZE) and s0.masks[1].sum() == 6
    assert s1.labels.tolist() == [24, 26] and s1.meta["iscrowd"].tolist() == [True, False]  # a person group
    assert ds.annotations.images[0].instances[1].attributes["instance_id"] == 26000


def test_polygons_json_reads_and_round_trips(tmp_path):
    write_cityscapes(tmp_path, splits=("val",))
    ann = read_annotations(tmp_path / "gtFine", format="cityscapes")
    assert ann.image_root == tmp_path and len(ann) == 2
    assert ann.images[0].file_name == "leftImg8bit/val/aachen/aachen_000000_000019_leftImg8bit.png"
    im = ann.images[1]
    assert [i.category_id for i in im.instances] == [23, 7, 26, 24]  # the deleted object is skipped
    assert [i.iscrowd for i in im.instances] == [False, False, False, True]
    np.testing.assert_array_equal(im.instances[2].box, [1, 5, 4, 7])
    s = ann.sample(1)
    assert tuple(s.image.shape) == (3, *CITYSCAPES_SIZE)
    report = write_annotations(ann, tmp_path / "out", format="cityscapes")
    assert report.images == 2 and report.instances == 8 and report.skipped == []
    written = json.loads(
        (tmp_path / "out" / "val" / "bremen" / "bremen_000001_000019_gtFine_polygons.json").read_text()
    )
    original = json.loads(
        (tmp_path / "gtFine" / "val" / "bremen" / "bremen_000001_000019_gtFine_polygons.json").read_text()
    )
    original["objects"] = [o for o in original["objects"] if not o.get("deleted")]
    assert written == original
    again = read_annotations(tmp_path / "out", format="cityscapes")
    assert [[i.category_id for i in a.instances] for a in again.images] == [
        [i.category_id for i in a.instances] for a in ann.images
    ]


def test_polygons_data_set(tmp_path):
    write_cityscapes(tmp_path)
    ds = load_dataset("cityscapes", "val", root=tmp_path, download=False, target="polygons")
    s = ds[0]
    assert s.labels.tolist() == [23, 7, 26, 24] and s.masks.shape == (4, *CITYSCAPES_SIZE)
    assert ds.classes[7] == "road"


def test_malformed_files_are_named(tmp_path):
    write_cityscapes(tmp_path, splits=("val",))
    gt = tmp_path / "gtFine" / "val" / "aachen"
    labels = cityscapes_label_ids(0)
    labels[2, 3] = 40
    Image.fromarray(labels).save(gt / "aachen_000000_000019_gtFine_labelIds.png")
    ds = load_dataset("cityscapes", "val", root=tmp_path, download=False)
    with pytest.raises(
        DatasetError, match=r"aachen_000000_000019_gtFine_labelIds.png: pixel \(x=3, y=2\) .*label id 40"
    ):
        ds[0]
    Image.fromarray(np.zeros((8, 10), np.uint16)).save(gt / "aachen_000000_000019_gtFine_instanceIds.png")
    inst = load_dataset("cityscapes", "val", root=tmp_path, download=False, target="instances")
    with pytest.raises(DatasetError, match=r"gtFine_instanceIds.png: the instanceIds is 10x8 but its image is 12x8"):
        inst[0]
    ids = np.zeros((8, 12), np.uint16)
    ids[0, 0] = 7001  # an instance of road
    Image.fromarray(ids).save(gt / "aachen_000000_000019_gtFine_instanceIds.png")
    with pytest.raises(DatasetError, match=r"value 7001 is an instance of 'road'"):
        inst.get_sample(0)
    path = gt / "aachen_000000_000019_gtFine_polygons.json"
    doc = json.loads(path.read_text())
    doc["objects"][2]["label"] = "spaceship"
    path.write_text(json.dumps(doc))
    with pytest.raises(DatasetError, match=r"polygons.json: objects\[2\]: field 'label' is 'spaceship'"):
        read_annotations(path, format="cityscapes")
    del doc["objects"][1]["polygon"]
    path.write_text(json.dumps(doc))
    with pytest.raises(DatasetError, match=r"polygons.json: objects\[1\]: missing key 'polygon'"):
        read_annotations(path, format="cityscapes")
    del doc["imgWidth"]
    path.write_text(json.dumps(doc))
    with pytest.raises(DatasetError, match=r"polygons.json: missing key 'imgWidth'"):
        read_annotations(path, format="cityscapes")


def test_data_set_from_the_two_packages(tmp_path):
    import shutil
    import zipfile

    write_cityscapes(tmp_path / "src", splits=("val",))
    for package, folder in (("gtFine_trainvaltest.zip", "gtFine"), ("leftImg8bit_trainvaltest.zip", "leftImg8bit")):
        with zipfile.ZipFile(tmp_path / package, "w") as zf:
            zf.writestr("license.txt", "Cityscapes licence")
            for p in sorted((tmp_path / "src" / folder).rglob("*")):
                if p.is_file():
                    zf.write(p, str(p.relative_to(tmp_path / "src")))
    shutil.rmtree(tmp_path / "src")
    ds = load_dataset("cityscapes", "val", root=tmp_path, download=False, target="polygons")
    assert len(ds) == 2 and ds[1].meta["iscrowd"].tolist() == [False, False, False, True]
    assert (tmp_path / "gtFine" / "val" / "aachen").is_dir()
    with pytest.raises(DatasetError, match=r"leftImg8bit.train: the images of split 'train' are missing"):
        load_dataset("cityscapes", "train", root=tmp_path, download=False)
