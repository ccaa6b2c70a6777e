"""``vistakit convert``: coco -> coco, a toy second format registered here, and errors that write nothing."""

import json

import numpy as np
import pytest

from vistakit.cli import main
from vistakit.data import (
    AnnotatedImage,
    AnnotationFormat,
    AnnotationSet,
    Category,
    ConversionReport,
    Instance,
    _annotations,
    register_format,
)

from ..data.test_coco import assert_same_coco, instances_json


@pytest.fixture
def toy_format(monkeypatch):
    """A box-only format: one line ``image_id category x1 y1 x2 y2`` per object; categories renumbered 0..N-1."""
    monkeypatch.setattr(_annotations, "_FORMATS", dict(_annotations._FORMATS))

    @register_format
    class Boxes(AnnotationFormat):
        name = "test_boxes"
        tasks = ("detection",)
        describe = "test: image category x1 y1 x2 y2 per line"

        def read(self, path, **options):
            rows = np.loadtxt(path, ndmin=2)
            cats = sorted({int(c) for c in rows[:, 1]})
            ims = {}
            for r in rows:
                ims.setdefault(int(r[0]), AnnotatedImage(f"{int(r[0])}.jpg", 100, 100, int(r[0])))
                ims[int(r[0])].instances.append(Instance(int(r[1]), r[2:6]))
            return AnnotationSet([Category(c, f"c{c}") for c in cats], list(ims.values()))

        def write(self, annotations, out, **options):
            ids = {c.id: i for i, c in enumerate(annotations.categories)}
            report = ConversionReport(self.name, out, images=len(annotations.images), category_map=ids)
            lines = []
            for im in annotations.images:
                for _k, inst in enumerate(im.instances):
                    lines.append(f"{im.id} {ids[inst.category_id]} " + " ".join(repr(float(v)) for v in inst.box))
                    if inst.polygons is not None or inst.rle is not None:
                        report.skipped.append(f"image {im.id}, instance {inst.id}: mask (boxes only)")
                    if inst.iscrowd:
                        report.skipped.append(f"image {im.id}, instance {inst.id}: crowd region")
            with open(out, "w") as f:
                f.write("\n".join(lines) + "\n")
            report.instances = len(lines)
            return report

    return Boxes


def test_coco_to_coco(tmp_path, capsys):
    src = tmp_path / "instances_val2017.json"
    src.write_text(json.dumps(instances_json()))
    out = tmp_path / "out" / "instances_val2017.json"
    assert main(["convert", str(src), "--from", "coco", "--to", "coco", "--out", str(out)]) == 0
    assert "wrote 2 images, 3 instances as coco" in capsys.readouterr().out
    assert_same_coco(instances_json(), json.loads(out.read_text()))


def test_reader_options_and_images(tmp_path, capsys):
    doc = instances_json()
    doc["annotations"][0]["segmentation"].append([1.0, 1.0, 3.0, 3.0])  # a ring of 2 points, as a few real ones
    src = tmp_path / "instances_val2017.json"
    src.write_text(json.dumps(doc))
    out = tmp_path / "o.json"
    assert main(["convert", str(src), "--from", "coco", "--to", "coco", "--out", str(out)]) == 2
    assert "on_invalid='skip'" in capsys.readouterr().err and not out.exists()
    assert (
        main(
            [
                "convert",
                str(src),
                "--from",
                "coco",
                "--to",
                "coco",
                "--out",
                str(out),
                "--images",
                str(tmp_path),
                "--read-option",
                "on_invalid=skip",
                "--write-option",
                "indent=1",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "not expressible in coco (1)" in text and "read: " in text and "annotations[0].segmentation[2]" in text
    assert_same_coco(instances_json(), json.loads(out.read_text()))
    assert out.read_text().startswith('{\n "info"')


def test_to_a_second_format_maps_categories_and_lists_what_it_cannot_hold(tmp_path, capsys, toy_format):
    src = tmp_path / "instances_val2017.json"
    src.write_text(json.dumps(instances_json()))
    assert main(["convert", "--formats"]) == 0
    listing = capsys.readouterr().out
    assert "test_boxes" in listing and "coco" in listing
    out = tmp_path / "boxes.txt"
    assert main(["convert", str(src), "--from", "coco", "--to", "test_boxes", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "categories: 1 -> 0, 18 -> 1" in text
    assert "not expressible in test_boxes (4)" in text and "instance 102: crowd region" in text
    rows = np.loadtxt(out)
    np.testing.assert_allclose(rows[0], [1, 1, 2.0, 2.0, 25.0, 30.75])
    # and back to COCO: the boxes are the same to 1e-6
    back = tmp_path / "back.json"
    assert main(["convert", str(out), "--from", "test_boxes", "--to", "coco", "--out", str(back)]) == 0
    boxes = [a["bbox"] for a in json.loads(back.read_text())["annotations"]]
    np.testing.assert_allclose(boxes, [a["bbox"] for a in instances_json()["annotations"]], atol=1e-6)


def test_a_bad_source_is_one_line_and_writes_nothing(tmp_path, capsys):
    doc = instances_json()
    doc["annotations"][1]["category_id"] = 99
    src = tmp_path / "instances_val2017.json"
    src.write_text(json.dumps(doc))
    out = tmp_path / "out.json"
    assert main(["convert", str(src), "--from", "coco", "--to", "coco", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "annotations[1].category_id: unknown category id 99" in err
    assert not out.exists()
    assert main(["convert", str(src), "--from", "coco", "--to", "nope", "--out", str(out)]) == 2
    assert "unknown annotation format 'nope'" in capsys.readouterr().err and not out.exists()
    assert main(["convert", str(src), "--from", "coco", "--out", str(out)]) == 2
    assert "missing --to" in capsys.readouterr().err


def test_help_ends_with_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["convert", "--help"])
    assert "vistakit convert annotations/instances_val2017.json --from coco --to coco" in capsys.readouterr().out
