"""ImageNet: train tree, flat validation set with the devkit, val/<wnid> layout."""

from __future__ import annotations

import pytest

from vistakit.data import DatasetError, imagenet_classes, imagenet_wnids, load_dataset

from ._formats import solid, write_devkit, write_image

WNIDS = imagenet_wnids()


def test_class_lists():
    names, wnids = imagenet_classes(), imagenet_wnids()
    assert len(names) == 1000 and len(wnids) == 1000
    assert names[0] == "tench" and names[1] == "goldfish" and names[999] == "toilet tissue"
    assert wnids == sorted(wnids) and len(set(wnids)) == 1000
    assert wnids[0] == "n01440764" and wnids[999] == "n15075141"
    # spot checks of the wnid <-> name pairing (kit fox, the two cranes)
    assert names[wnids.index("n02119789")] == "kit fox"
    assert names[wnids.index("n03126707")] == "crane"
    assert names[wnids.index("n02012849")] == "crane bird"


def test_train_tree_uses_official_labels(tmp_path):
    chosen = [WNIDS[5], WNIDS[0], WNIDS[998]]
    for k, w in enumerate(chosen):
        for i in range(2):
            write_image(tmp_path / "train" / w / f"{w}_{i}.JPEG", solid(10 * k + i))
    write_image(tmp_path / "train" / WNIDS[0] / f".{WNIDS[0]}_9.JPEG", solid(99))  # hidden: skipped
    ds = load_dataset("imagenet", "train", root=tmp_path, download=False)
    assert ds.targets.tolist() == [0, 0, 5, 5, 998, 998]
    assert len(ds.classes) == 1000 and ds.classes[ds[2][1]] == imagenet_classes()[5]
    assert ds[0][0].shape[0] == 3


def test_unknown_class_folder(tmp_path):
    write_image(tmp_path / "train" / "n99999999" / "a.JPEG", solid(1))
    with pytest.raises(
        DatasetError, match=r"train: 1 subfolder\(s\) are not ImageNet-1k class ids, e.g. \['n99999999'\]"
    ):
        load_dataset("imagenet", "train", root=tmp_path, download=False)


@pytest.mark.parametrize("archive", [False, True])
def test_flat_val_with_devkit(tmp_path, archive):
    # The devkit numbers classes its own way (ILSVRC2012_ID), not in sorted-wnid order.
    ids = {WNIDS[10]: 1, WNIDS[3]: 2, WNIDS[700]: 3}
    ground_truth = [2, 1, 3, 3, 2]
    write_devkit(tmp_path, ids, ground_truth, archive=archive)
    for k in (1, 2, 3, 5):  # image 4 is absent from the folder
        write_image(tmp_path / "val" / f"ILSVRC2012_val_{k:08d}.JPEG", solid(k))
    # Hidden files (macOS resource forks) are skipped by the one walker, not rejected as misnamed images.
    write_image(tmp_path / "val" / "._ILSVRC2012_val_00000002.JPEG", solid(9))
    ds = load_dataset("imagenet", "val", root=tmp_path, download=False)
    assert [p.rsplit("_", 1)[1] for p in ds.paths] == [
        "00000001.JPEG",
        "00000002.JPEG",
        "00000003.JPEG",
        "00000005.JPEG",
    ]
    assert ds.targets.tolist() == [3, 10, 700, 3]


def test_val_wnid_folders_need_no_devkit(tmp_path):
    write_image(tmp_path / "val" / WNIDS[42] / "ILSVRC2012_val_00000007.JPEG", solid(7))
    ds = load_dataset("imagenet", "val", root=tmp_path, download=False)
    assert ds.targets.tolist() == [42]


def test_bad_ground_truth(tmp_path):
    write_devkit(tmp_path, {WNIDS[0]: 1}, [1, 7], archive=False)
    write_image(tmp_path / "val" / "ILSVRC2012_val_00000001.JPEG", solid(1))
    with pytest.raises(DatasetError, match=r"ILSVRC2012_validation_ground_truth.txt: line 2 has ILSVRC2012_ID 7"):
        load_dataset("imagenet", "val", root=tmp_path, download=False)


def test_archive_without_extraction_is_explained(tmp_path):
    (tmp_path / "ILSVRC2012_img_train.tar").write_bytes(b"")
    with pytest.raises(DatasetError, match=r"found the archive but not its extracted train/ folder"):
        load_dataset("imagenet", "train", root=tmp_path, download=False)


def test_missing_imagenet_explains_manual_download(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"(?s)ILSVRC2012_img_val.tar.*image-net.org"):
        load_dataset("imagenet", "val", root=tmp_path)
