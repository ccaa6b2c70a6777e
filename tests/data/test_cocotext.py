"""COCO-Text v2 JSON: read, the text samples, round trip, malformed records."""

from __future__ import annotations

import json

import numpy as np
import pytest

from vistakit.data import (
    DatasetError,
    load_dataset,
    read_annotations,
    write_annotations,
)

from ._scene_formats import coco_text_doc, write_coco_text


def test_reads_words_with_legibility_language_and_class(tmp_path):
    path = write_coco_text(tmp_path)
    ann = read_annotations(path, format="coco-text", images=tmp_path / "train2014")
    assert [im.id for im in ann.images] == [42, 1025, 390310]
    im = ann.images[2]
    assert (im.width, im.height, im.attributes["set"]) == (64, 48, "train")
    stop, scrawl = im.instances
    assert stop.attributes == {
        "text": "STOP",
        "dont_care": False,
        "legibility": "legible",
        "language": "english",
        "class": "machine printed",
    }
    assert (
        "text" not in scrawl.attributes
        and scrawl.attributes["dont_care"]
        and scrawl.attributes["class"] == "handwritten"
    )
    np.testing.assert_array_equal(stop.box, [10.5, 10.0, 30.0, 20.0])  # [x, y, w, h] -> xyxy
    np.testing.assert_array_equal(scrawl.polygons.rings[0], [[40, 5], [50, 5], [52, 15], [41, 16]])
    s = ann.sample(0)
    assert s.texts == ["Caf\u00e9, 1"] and s.text_instances[0].language == "not english"
    assert tuple(s.image.shape) == (3, 30, 40)
    assert ann.sample(2, load_image=False).texts is None  # an illegible word has no transcription
    train = read_annotations(path, format="coco-text", split="train")
    assert [im.id for im in train.images] == [1025, 390310]


def test_round_trip_gives_back_the_same_json(tmp_path):
    path = write_coco_text(tmp_path)
    ann = read_annotations(path, format="coco-text")
    report = write_annotations(ann, tmp_path / "out.json", format="coco-text")
    assert report.images == 3 and report.instances == 3 and report.skipped == []
    written = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert written == coco_text_doc()


def test_into_icdar2015_keeps_the_outlines(tmp_path):
    path = write_coco_text(tmp_path)
    ann = read_annotations(path, format="coco-text", split="val")
    write_annotations(ann, tmp_path / "gt", format="icdar2015")
    line = (tmp_path / "gt" / "gt_COCO_train2014_000000000042.txt").read_text(encoding="utf-8-sig").strip()
    assert line == "1,1,9,1,9,5,1,5,Caf\u00e9, 1"


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["anns"]["7"].pop("bbox"), r"anns\['7'\]: missing key 'bbox'"),
        (lambda d: d["anns"]["7"].update(mask=[1, 2, 3, 4, 5, 6, 7]), r"anns\['7'\]: field 'mask' holds 7 numbers"),
        (lambda d: d["anns"]["7"].update(image_id=99), r"anns\['7'\]: field 'image_id' is 99"),
        (lambda d: d["imgs"]["42"].pop("width"), r"imgs\['42'\]: missing key 'width'"),
        (lambda d: d.pop("anns"), r"cocotext.v2.json: missing key 'anns'"),
    ],
)
def test_malformed_records_are_named(tmp_path, edit, message):
    doc = coco_text_doc()
    edit(doc)
    (tmp_path / "cocotext.v2.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        read_annotations(tmp_path / "cocotext.v2.json", format="coco-text")


def test_data_set(tmp_path):
    write_coco_text(tmp_path)
    ds = load_dataset("coco-text", "train", root=tmp_path, download=False)
    assert len(ds) == 2 and ds.classes == ["text"]
    s = ds[1]
    assert s.meta["image_id"] == 390310 and s.meta["attributes"]["set"] == "train"
    assert s.boxes.data.shape == (2, 4) and s.labels.tolist() == [0, 0]
