"""Typed samples: ``get_sample`` of every registered data set, and ``SampleDataset``.

The contract tests loop over the registry: every registered data set must have a
small builder below (from the files of ``_formats``), so a new entry is tested
the moment it is registered.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import vistakit.transforms as T
from vistakit.data import (
    CIFAR100,
    ImageFileDataset,
    SampleDataset,
    TensorImageDataset,
    dataset_info,
    list_datasets,
    load_dataset,
)
from vistakit.structures import Boxes, Keypoints, Sample

from ._formats import (
    CELEBA_N,
    CELEBA_PARTITION,
    solid,
    write_celeba,
    write_cifar,
    write_flowers,
    write_image,
    write_mnist_like,
)
from ._scene_formats import (
    write_ade20k,
    write_ade20k_full,
    write_cityscapes,
    write_coco_text,
    write_icdar2013,
    write_icdar2015,
    write_mlt2019,
    write_synthtext,
    write_total_text,
)


def _mnist_like(name):
    def build(tmp_path):
        write_mnist_like(tmp_path / name, n_train=4, n_test=3, seed=7)
        return load_dataset(name, "test", root=tmp_path, download=False)

    return build


def _cifar(name):
    def build(tmp_path):
        info = dataset_info(name)
        write_cifar(
            tmp_path, variant=name, classes=info.classes, coarse=info.other_labels.get("coarse", ()), per_batch=3
        )
        return load_dataset(name, "test", root=tmp_path, download=False)

    return build


def _imagefolder(tmp_path):
    for c, name in enumerate(("cat", "dog")):
        for i in range(2):
            write_image(tmp_path / "tree" / name / f"{i}.png", solid(10 * c + i))
    return load_dataset("imagefolder", root=tmp_path / "tree")


def _imagenet(tmp_path):
    from vistakit.data import imagenet_wnids

    for w in imagenet_wnids()[3:5]:
        write_image(tmp_path / "train" / w / f"{w}_1.JPEG", solid(len(w)))
    return load_dataset("imagenet", "train", root=tmp_path, download=False)


def _flowers(tmp_path):
    write_flowers(tmp_path)
    return load_dataset("flowers102", "test", root=tmp_path, download=False)


def _celeba(tmp_path):
    write_celeba(tmp_path, attributes=dataset_info("celeba").classes)
    return load_dataset("celeba", "all", root=tmp_path, download=False)


def _digits(tmp_path):
    return load_dataset("digits", "test")  # scikit-learn installs the file


def _icdar2015(tmp_path):
    gt, images = write_icdar2015(tmp_path)
    gt.rename(tmp_path / "Challenge4_Test_Task1_GT")
    images.rename(tmp_path / "ch4_test_images")
    return load_dataset("icdar2015", "test", root=tmp_path, download=False)


def _cityscapes(tmp_path):
    write_cityscapes(tmp_path, splits=("val",))
    return load_dataset("cityscapes", "val", root=tmp_path, download=False)


def _ade20k(tmp_path):
    write_ade20k(tmp_path)
    return load_dataset("ade20k", "train", root=tmp_path, download=False)


def _coco_text(tmp_path):
    write_coco_text(tmp_path)
    return load_dataset("coco-text", "train", root=tmp_path, download=False)


def _total_text(tmp_path):
    write_total_text(tmp_path)
    return load_dataset("total-text", "train", root=tmp_path, download=False)


def _mlt2017(tmp_path):
    write_mlt2019(tmp_path)  # the same lines; MLT 2017 names its folders after the RRC zips
    (tmp_path / "ImagesPart1" / "tr_img_00001.jpg").rename(tmp_path / "ImagesPart2" / "tr_img_00001.jpg")
    (tmp_path / "ImagesPart2").rename(tmp_path / "ch8_validation_images")
    (tmp_path / "train_gt_t13").rename(tmp_path / "ch8_validation_localization_transcription_gt_v2")
    return load_dataset("mlt2017", "val", root=tmp_path, download=False)


def _mlt2019(tmp_path):
    write_mlt2019(tmp_path)
    return load_dataset("mlt2019", "train", root=tmp_path, download=False)


def _icdar2013(tmp_path):
    write_icdar2013(tmp_path)
    return load_dataset("icdar2013", "test", root=tmp_path, download=False)


def _coco(tmp_path):
    from .test_coco import _coco_root

    return load_dataset("coco", "val2017", root=_coco_root(tmp_path), download=False, task="instances")


def _voc2012(tmp_path):
    from .test_voc import _devkit

    _devkit(tmp_path)
    return load_dataset("voc2012", "trainval", root=tmp_path, download=False)


def _ade20k_full(tmp_path):
    write_ade20k_full(tmp_path)
    return load_dataset("ade20k-full", "train", root=tmp_path, download=False)


def _synthtext(tmp_path):
    write_synthtext(tmp_path)
    return load_dataset("synthtext", "train", root=tmp_path, download=False)


BUILDERS = {
    "mnist": _mnist_like("mnist"),
    "fashion-mnist": _mnist_like("fashion-mnist"),
    "cifar10": _cifar("cifar10"),
    "cifar100": _cifar("cifar100"),
    "imagefolder": _imagefolder,
    "imagenet": _imagenet,
    "flowers102": _flowers,
    "celeba": _celeba,
    "digits": _digits,
    "icdar2015": _icdar2015,
    "cityscapes": _cityscapes,
    "ade20k": _ade20k,
    "coco-text": _coco_text,
    "total-text": _total_text,
    "mlt2017": _mlt2017,
    "mlt2019": _mlt2019,
    "icdar2013": _icdar2013,
    "synthtext": _synthtext,
    "coco": _coco,
    "voc2012": _voc2012,
    "ade20k-full": _ade20k_full,
}


def _same_label(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and torch.equal(a, b)
    return type(a) is type(b) and a == b


def test_every_registered_dataset_has_a_small_builder():
    assert set(list_datasets()) == set(BUILDERS)


@pytest.mark.parametrize("name", list_datasets())
def test_get_sample_agrees_with_getitem(name, tmp_path):
    if name not in BUILDERS:
        pytest.fail(f"{name} is registered but has no builder in tests/data/test_samples.py")
    ds = BUILDERS[name](tmp_path)
    n = len(ds)
    assert n >= 2
    # Dense data sets (detection, segmentation, text) hand out the Sample itself as ds[i];
    # their transform is a per-sample transform that moves every target.
    dense = isinstance(ds[0], Sample)
    for index in [*range(n), -1, -n]:
        sample = ds.get_sample(index)
        image, label = (ds[index].image, ds[index].label) if dense else ds[index]
        assert isinstance(sample, Sample)
        assert sample.image.dtype == torch.uint8 and sample.image.ndim == 3
        assert torch.equal(sample.image, image) and _same_label(sample.label, label)
        i = index % n
        assert sample.meta["index"] == i
        if isinstance(ds, ImageFileDataset):
            assert sample.meta["path"] == ds.paths[i]
        elif dense:
            assert Path(sample.meta["path"]).is_file()
        else:
            assert "path" not in sample.meta
        from_samples = SampleDataset(ds)[index]
        assert torch.equal(from_samples.image, image) and _same_label(from_samples.label, label)
        assert from_samples.meta["index"] == i
    for bad in (n, -n - 1):
        with pytest.raises(IndexError):
            ds[bad]
        with pytest.raises(IndexError):
            ds.get_sample(bad)
        with pytest.raises(IndexError):
            SampleDataset(ds)[bad]
    # get_sample is the raw item: the data set's own transform applies to ds[i] only.
    if dense:
        ds.transform = lambda s: s.replace(image=s.image.flip(-1))
        assert torch.equal(ds[0].image, ds.get_sample(0).image.flip(-1))
    else:
        ds.transform = lambda image: image.flip(-1)
        assert torch.equal(ds[0][0], ds.get_sample(0).image.flip(-1))
    # Plain PyTorch habits: iterate items in a hand-written loop.
    ds.transform = None
    items = [item for item in ds]
    last = items[-1].image if dense else items[-1][0]
    assert len(items) == n and torch.equal(last, ds.get_sample(n - 1).image)


def test_get_sample_reads_the_image_independently(tmp_path):
    written = write_mnist_like(tmp_path / "mnist", n_train=2, n_test=3, seed=3)
    ds = load_dataset("mnist", "test", root=tmp_path, download=False)
    sample = ds.get_sample(-2)
    assert np.array_equal(sample.image[0].numpy(), written["test"][0][1]) and sample.label == int(written["test"][1][1])
    assert ds.num_classes == 10


def test_cifar100_samples_carry_both_label_sets(tmp_path):
    info = dataset_info("cifar100")
    coarse = info.other_labels["coarse"]
    truth = write_cifar(tmp_path, variant="cifar100", classes=info.classes, coarse=coarse, per_batch=4)
    ds = load_dataset("cifar100", "test", root=tmp_path, download=False, label="coarse")
    assert isinstance(ds, CIFAR100) and ds.num_classes == 20
    sample = ds.get_sample(2)
    labels = truth["test"][1]
    assert sample.label == labels["coarse_labels"][2] == sample.meta["coarse_label"]
    assert sample.meta["fine_label"] == labels["fine_labels"][2]


def test_celeba_samples_put_each_target_where_it_belongs(tmp_path):
    truth = write_celeba(tmp_path, attributes=dataset_info("celeba").classes)
    ds = load_dataset(
        "celeba", "all", root=tmp_path, download=False, target_type=["identity", "landmarks", "bbox", "attr"]
    )
    assert len(ds) == CELEBA_N == len(CELEBA_PARTITION)
    sample = ds.get_sample(4)
    assert sample.label == int(truth["identity"][4])  # the first of identity / attr asked for
    assert sample.meta["attr"].tolist() == truth["attr"][4].tolist()
    assert sample.meta["uncropped_bbox"].tolist() == truth["bbox"][4].tolist()
    assert isinstance(sample.keypoints, Keypoints) and sample.keypoints.names[2] == "nose"
    assert sample.keypoints.data.dtype == torch.float32
    assert sample.keypoints.data.reshape(-1).tolist() == truth["landmarks"][4].tolist()
    only_marks = load_dataset("celeba", "all", root=tmp_path, download=False, target_type="landmarks")
    assert only_marks.get_sample(0).label is None and "attr" not in only_marks.get_sample(0).meta
    # Transforms move the landmarks with the image: a horizontal flip maps x to width - x.
    flipped = T.HorizontalFlip(p=1)(sample)
    width = sample.image.shape[-1]
    assert torch.equal(flipped.keypoints.data[..., 0], width - sample.keypoints.data[..., 0])
    assert torch.equal(flipped.image, sample.image.flip(-1))


def _digits_subsets():
    ds = load_dataset("digits", "test")
    return ds, torch.utils.data.Subset(ds, [10, 3, 296])


def test_subset_indices_are_respected():
    ds, sub = _digits_subsets()
    samples = SampleDataset(sub)
    assert len(samples) == 3
    for k, i in enumerate([10, 3, 296]):
        s = samples[k]
        assert torch.equal(s.image, ds.data[i]) and s.label == int(ds.targets[i]) and s.meta["index"] == i
    assert samples[-1].meta["index"] == 296
    nested = SampleDataset(torch.utils.data.Subset(sub, [2, 0]))
    assert [s.meta["index"] for s in nested] == [296, 10]
    for view in (samples, nested):
        assert view.classes == ds.classes and view.info is ds.info and view.num_classes == 10
    with pytest.raises(IndexError):
        samples[3]


def test_pairs_of_any_kind_become_chw_tensors():
    rng = np.random.default_rng(0)
    hwc = rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)
    hw = rng.integers(0, 256, (5, 4), dtype=np.uint8)
    chw = torch.from_numpy(hwc.transpose(2, 0, 1).copy())
    pairs = [
        (chw, torch.tensor(2)),
        (Image.fromarray(hwc), np.int64(1)),
        (Image.fromarray(hw), 0),
        (hwc, np.array(4)),
        (hw, 5),
        (torch.from_numpy(hw), torch.tensor([0.0, 1.0])),
        (chw.float() / 255, torch.tensor(3)),
        (Image.fromarray(hw > 127), 6),  # mode "1"
    ]
    samples = SampleDataset(pairs)
    assert len(samples) == len(pairs)
    grey = torch.from_numpy(hw)[None]
    expected = [
        chw,
        chw,
        grey,
        chw,
        grey,
        grey,
        chw.float() / 255,
        torch.from_numpy((hw > 127).astype(np.uint8) * 255)[None],
    ]
    labels = [2, 1, 0, 4, 5, None, 3, 6]
    for k, (want, label) in enumerate(zip(expected, labels)):
        s = samples[k]
        assert s.image.dtype == want.dtype and torch.equal(s.image, want), k
        assert s.meta == {"index": k}
        if label is None:
            assert torch.equal(s.label, torch.tensor([0.0, 1.0]))
        else:
            assert type(s.label) is int and s.label == label
    tensors = SampleDataset(torch.utils.data.TensorDataset(chw[None].repeat(2, 1, 1, 1), torch.tensor([7, 8])))
    assert tensors[1].label == 8 and torch.equal(tensors[1].image, chw)
    with pytest.raises(AttributeError, match="has no 'classes'"):
        _ = samples.classes
    assert not hasattr(samples, "info") and not hasattr(samples, "num_classes")


def test_bad_items_and_transforms_are_named():
    with pytest.raises(TypeError, match=r"item 0 of list is a str; expected a Sample or an \(image, label\) pair"):
        SampleDataset(["x"])[0]
    with pytest.raises(TypeError, match="item 0 of list: the image is a str"):
        SampleDataset([("x", 1)])[0]
    with pytest.raises(ValueError, match=r"an image array must be \(H, W, C\) or \(H, W\), got shape \(2, 2, 2, 2\)"):
        SampleDataset([(np.zeros((2, 2, 2, 2), np.uint8), 1)])[0]
    with pytest.raises(TypeError, match="transforms must be a callable"):
        SampleDataset([], transforms="flip")
    with pytest.raises(TypeError, match="returned a dict, expected a Sample"):
        SampleDataset([(np.zeros((2, 2), np.uint8), 1)], transforms=lambda s: {"image": s.image})[0]


def _dense_sample() -> Sample:
    """A 6x8 CHW sample with one box, its instance mask, a semantic mask and two keypoints."""
    image = torch.arange(3 * 6 * 8, dtype=torch.int32).remainder(251).to(torch.uint8).reshape(3, 6, 8)
    masks = torch.zeros(1, 6, 8, dtype=torch.uint8)
    masks[0, 1:4, 0:3] = 1  # the box's pixels
    mask = torch.zeros(6, 8, dtype=torch.int64)
    mask[:, :2] = 2
    return Sample(
        image=image,
        label=1,
        boxes=Boxes(torch.tensor([[0.0, 1.0, 3.0, 4.0]]), "xyxy"),
        labels=torch.tensor([5]),
        masks=masks,
        mask=mask,
        keypoints=Keypoints(torch.tensor([[[1.0, 2.0], [2.5, 3.5]]])),
        meta={"source": "hand-made"},
    )


def test_transforms_move_boxes_masks_and_keypoints_with_a_chw_image():
    original = _dense_sample()
    samples = SampleDataset([original], transforms=T.HorizontalFlip(p=1))
    out = samples[0]
    w = 8
    assert isinstance(out.image, torch.Tensor) and torch.equal(out.image, original.image.flip(-1))
    # Closed forms of a horizontal flip of a W-wide image: x1, x2 -> W - x2, W - x1; x -> W - x.
    assert out.boxes.format.value == "xyxy" and out.boxes.data.tolist() == [[w - 3.0, 1.0, w - 0.0, 4.0]]
    assert torch.equal(torch.as_tensor(out.masks), original.masks.flip(-1))
    assert torch.equal(torch.as_tensor(out.mask), original.mask.flip(-1))
    assert out.keypoints.data.tolist() == [[[w - 1.0, 2.0], [w - 2.5, 3.5]]]
    assert out.labels.tolist() == [5] and out.label == 1
    assert out.meta == {"index": 0, "source": "hand-made"}
    # The sequence's own sample is untouched.
    assert original.boxes.data.tolist() == [[0.0, 1.0, 3.0, 4.0]] and original.meta == {"source": "hand-made"}
    # A Compose that changes the size: every target is scaled with the image (x2 both ways).
    resized = SampleDataset([original], transforms=T.Compose([T.Resize((12, 16), interpolation="nearest")], seed=0))[0]
    assert tuple(resized.image.shape) == (3, 12, 16)
    assert resized.boxes.data.tolist() == [[0.0, 2.0, 6.0, 8.0]]
    masks = torch.as_tensor(resized.masks)
    assert tuple(masks.shape) == (1, 12, 16) and masks[0].nonzero().min(0).values.tolist() == [2, 0]
    assert masks[0].nonzero().max(0).values.tolist() == [7, 5]
    assert tuple(torch.as_tensor(resized.mask).shape) == (12, 16)
    assert resized.keypoints.data.tolist() == [[[2.0, 4.0], [5.0, 7.0]]]


def _flip_pipeline():
    return T.Compose([T.HorizontalFlip(p=1)], seed=0)


def test_dataloader_workers_and_pickling():
    ds = load_dataset("digits", "test")
    samples = SampleDataset(torch.utils.data.Subset(ds, list(range(0, 40, 3))), transforms=_flip_pipeline())
    copy = pickle.loads(pickle.dumps(samples))
    assert torch.equal(copy[2].image, samples[2].image) and copy.classes == ds.classes
    loader = torch.utils.data.DataLoader(samples, batch_size=4, num_workers=2, collate_fn=list)
    got = [s for batch in loader for s in batch]
    assert [s.meta["index"] for s in got] == list(range(0, 40, 3))
    for s in got:
        i = s.meta["index"]
        assert isinstance(s, Sample) and torch.equal(s.image, ds.data[i].flip(-1)) and s.label == int(ds.targets[i])
    dense = SampleDataset([_dense_sample(), _dense_sample()], transforms=_flip_pipeline())
    (batch,) = list(torch.utils.data.DataLoader(dense, batch_size=2, num_workers=2, collate_fn=list))
    assert [s.boxes.data.tolist() for s in batch] == [[[5.0, 1.0, 8.0, 4.0]]] * 2


def test_vistakit_datasets_still_work_with_the_default_collate():
    ds = load_dataset("digits", "test")
    images, labels = next(iter(torch.utils.data.DataLoader(ds, batch_size=5)))
    assert images.shape == (5, 1, 8, 8) and images.dtype == torch.uint8 and labels.tolist() == ds.targets[:5].tolist()
    assert isinstance(ds, TensorImageDataset) and ds.num_classes == 10


@pytest.mark.parametrize("name", list_datasets())
def test_every_dataset_previews_with_its_targets(name, tmp_path):
    """``vistakit datasets preview`` for every registered data set: a grid whose dense tiles show the targets."""
    from vistakit.data import dataset_grid, save_preview
    from vistakit.transforms import draw_sample

    ds = BUILDERS[name](tmp_path)
    out = save_preview(ds, tmp_path / "grid.png", per_class=2, max_classes=2)
    assert out.is_file() and out.stat().st_size > 0
    if ds.info.task in ("classification", "attributes"):
        return
    grid = np.asarray(dataset_grid(ds, per_class=2, max_classes=1, cell=64))
    sample = ds.get_sample(0)
    assert np.array_equal(grid[2:66, 2:66], draw_sample(sample, size=64))
    has_targets = any(getattr(sample, f) is not None for f in ("boxes", "mask", "masks", "polygons", "text_instances"))
    if has_targets and (sample.boxes is None or len(sample.boxes)):
        bare = draw_sample(Sample(image=sample.image), size=64)
        assert not np.array_equal(grid[2:66, 2:66], bare), "the targets are not drawn"
