"""The format-neutral annotation set: checks, samples, the format registry and convert()."""

import json

import numpy as np
import pytest
from PIL import Image

from vistakit.data import (
    AnnotatedImage,
    AnnotationFormat,
    AnnotationSet,
    Category,
    ConversionReport,
    DatasetError,
    Instance,
    _annotations,
    convert,
    get_format,
    list_formats,
    register_format,
)
from vistakit.structures import RLE, Caption, Polygons


def _set(tmp_path):
    Image.fromarray(np.full((20, 30, 3), 7, np.uint8)).save(tmp_path / "a.png")
    square = Polygons([np.array([[2.0, 2], [12, 2], [12, 8], [2, 8]])])
    crowd = np.zeros((20, 30), bool)
    crowd[10:15, 20:28] = True
    images = [
        AnnotatedImage(
            "a.png",
            30,
            20,
            5,
            [
                Instance(3, [2, 2, 12, 8], polygons=square, id=1, keypoints=[[4, 4, 2], [0, 0, 0]]),
                Instance(
                    7, [20, 10, 28, 15], rle=RLE.encode(crowd), iscrowd=True, id=2, keypoints=[[21, 11, 1], [22, 12, 2]]
                ),
            ],
            captions=[Caption("two things", id=9)],
        )
    ]
    return AnnotationSet([Category(3, "square"), Category(7, "crowd")], images, image_root=tmp_path)


def test_sample_carries_every_target(tmp_path):
    s = _set(tmp_path).sample(0, masks=True)
    assert tuple(s.image.shape) == (3, 20, 30) and int(s.image[0, 0, 0]) == 7
    np.testing.assert_array_equal(s.boxes.data, [[2, 2, 12, 8], [20, 10, 28, 15]])
    np.testing.assert_array_equal(s.labels, [3, 7])
    assert s.masks.shape == (2, 20, 30) and s.masks[1].sum() == 40 and s.masks[0][2:8, 2:12].all()
    np.testing.assert_array_equal(s.keypoints.visible, [[True, False], [True, True]])
    assert s.meta["iscrowd"].tolist() == [False, True] and s.meta["image_id"] == 5
    assert s.captions[0].text == "two things" and s.polygons is None  # the crowd instance has an RLE only
    relabelled = _set(tmp_path).sample(0, load_image=False, label_of={3: 0, 7: 1}.__getitem__)
    assert relabelled.labels.tolist() == [0, 1] and int(relabelled.image.sum()) == 0


def test_check_names_the_image_instance_and_field(tmp_path):
    bad = _set(tmp_path)
    bad.images[0].instances[1].category_id = 99
    with pytest.raises(DatasetError, match=r"x.json: image 5 \(a.png\), instance 2: unknown category id 99"):
        bad.check(source="x.json")
    out = _set(tmp_path)
    out.images[0].instances[0].box = np.array([2.0, 2, 40, 8])
    with pytest.raises(DatasetError, match="instance 1: box .* outside the 30x20 image"):
        out.check()
    with pytest.raises(ValueError, match=r"ids \[3\] occur more than once"):
        AnnotationSet([Category(3, "a"), Category(3, "b")], [])


def test_registry_and_convert_write_nothing_on_a_bad_source(tmp_path, monkeypatch):
    monkeypatch.setattr(_annotations, "_FORMATS", dict(_annotations._FORMATS))

    @register_format
    class Lines(AnnotationFormat):
        """A toy format: one JSON line per instance (category, box)."""

        name = "test_lines"
        tasks = ("detection",)

        def read(self, path, **options):
            rows = [json.loads(line) for line in open(path)]
            cats = sorted({r["c"] for r in rows})
            return AnnotationSet(
                [Category(c, str(c)) for c in cats],
                [AnnotatedImage("x.png", 10, 10, 0, [Instance(r["c"], r["box"]) for r in rows])],
            )

        def write(self, annotations, out, **options):
            report = ConversionReport(self.name, out)
            with open(out, "w") as f:
                for im in annotations.images:
                    for inst in im.instances:
                        f.write(json.dumps({"c": inst.category_id, "box": inst.box.tolist()}) + "\n")
                        report.instances += 1
                        if inst.polygons is not None:
                            report.skipped.append(f"image {im.id}, instance {inst.id}: polygon outline")
                    report.images += 1
            return report

    assert "test_lines" in list_formats() and get_format("test_lines").can_write
    src = tmp_path / "a.jsonl"
    src.write_text('{"c": 1, "box": [0, 0, 2, 2]}\n{"c": 2, "box": [1, 1, 3, 4]}\n')
    report = convert(src, tmp_path / "b.jsonl", from_format="test_lines", to_format="test_lines")
    assert report.instances == 2 and (tmp_path / "b.jsonl").read_text() == src.read_text().replace(
        "0, 0, 2, 2", "0.0, 0.0, 2.0, 2.0"
    ).replace("1, 1, 3, 4", "1.0, 1.0, 3.0, 4.0")
    assert "wrote 1 images, 2 instances as test_lines" in report.summary()
    src.write_text('{"c": 1, "box": [0, 0, 20, 2]}\n')  # outside the 10x10 image
    with pytest.raises(DatasetError, match="outside"):
        convert(src, tmp_path / "c.jsonl", from_format="test_lines", to_format="test_lines")
    assert not (tmp_path / "c.jsonl").exists()
    with pytest.raises(ValueError, match="unknown annotation format 'nope'"):
        get_format("nope")


def test_annotation_dataset_gives_samples(tmp_path):
    from vistakit.data import AnnotationDataset, DatasetInfo, SampleDataset
    from vistakit.transforms import HorizontalFlip

    info = DatasetInfo(name="toy", title="toy", task="detection", classes=())
    ds = AnnotationDataset(_set(tmp_path), info=info, split="val", masks=True, transform=HorizontalFlip(p=1.0))
    assert len(ds) == 1 and ds.classes[3] == "square" and ds.classes[7] == "crowd" and ds.classes[0] == ""
    raw, flipped = ds.get_sample(0), ds[0]
    np.testing.assert_array_equal(flipped.boxes.data, [[18, 2, 28, 8], [2, 10, 10, 15]])  # x -> 30 - x
    np.testing.assert_array_equal(flipped.masks, raw.masks[:, :, ::-1])
    assert ds.target(0)["labels"].tolist() == [3, 7] and ds.target(0)["iscrowd"].tolist() == [False, True]
    assert SampleDataset(ds)[0].meta["image_id"] == 5
    with pytest.raises(IndexError):
        ds.get_sample(1)


def test_preview_draws_the_targets_of_a_dense_data_set(tmp_path):
    from vistakit.data import AnnotationDataset, DatasetInfo, dataset_grid

    info = DatasetInfo(name="toy", title="toy", task="detection", classes=())
    grid = np.asarray(
        dataset_grid(AnnotationDataset(_set(tmp_path), info=info, split="val"), per_class=2, max_classes=1, cell=60)
    )
    assert grid.shape == (64, 64, 3)  # one 60-pixel tile and its padding
    tile = grid[2:62, 2:62]
    from vistakit.structures import Sample
    from vistakit.transforms import draw_sample

    ds = AnnotationDataset(_set(tmp_path), info=info, split="val")
    np.testing.assert_array_equal(tile, draw_sample(ds.get_sample(0), size=60))
    bare = draw_sample(Sample(image=ds.get_sample(0).image), size=60)
    drawn = np.abs(tile.astype(int) - bare).sum(2) > 0
    ys, xs = np.nonzero(drawn)  # the box / polygon outlines of both instances, nothing else
    assert 3 <= xs.min() <= 5 and 55 <= xs.max() <= 57 and 13 <= ys.min() <= 15 and 38 <= ys.max() <= 41
