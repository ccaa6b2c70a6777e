"""Total-Text ground truth: curved polygons, wrapped records, don't care, round trip."""

from __future__ import annotations

import numpy as np
import pytest

from vistakit.data import (
    DatasetError,
    load_dataset,
    read_annotations,
    write_annotations,
)

from ._scene_formats import TOTAL_TEXT_GT, write_total_text


def test_reads_curved_polygons_and_wrapped_records(tmp_path):
    write_total_text(tmp_path)
    ann = read_annotations(tmp_path / "txt_format" / "Train", format="total-text", images=tmp_path / "Images" / "Train")
    assert [im.file_name for im in ann.images] == ["img11.jpg", "img12.jpg"] and ann.images[1].instances == []
    words = ann.images[0].instances
    assert [w.attributes["text"] for w in words] == ["nauGHTY", "#", "it's"]
    assert [w.attributes["orientation"] for w in words] == ["m", "#", "c"]
    assert [w.attributes["dont_care"] for w in words] == [False, True, False]
    np.testing.assert_array_equal(words[1].polygons.rings[0], [[34, 60], [158, 69], [161, 149], [44, 130]])
    assert len(words[2].polygons.rings[0]) == 10 and words[2].polygons.rings[0][-1].tolist() == [500, 360]
    np.testing.assert_array_equal(words[2].box, [500, 304, 687, 370])
    s = ann.sample(0, load_image=False)
    assert s.texts == ["nauGHTY", "#", "it's"] and s.text_instances[1].dont_care
    assert s.text_instances[2].points.shape == (10, 2)


def test_round_trip(tmp_path):
    write_total_text(tmp_path)
    ann = read_annotations(tmp_path / "txt_format" / "Train", format="total-text", images=tmp_path / "Images" / "Train")
    report = write_annotations(ann, tmp_path / "out", format="total-text")
    assert report.instances == 3 and report.skipped == []
    again = read_annotations(tmp_path / "out", format="total-text", images=tmp_path / "Images" / "Train")
    for a, b in zip(ann.images[0].instances, again.images[0].instances):
        assert a.polygons == b.polygons and a.attributes == b.attributes
    # Single-spaced records come back byte for byte.
    lines = (tmp_path / "out" / "poly_gt_img11.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == TOTAL_TEXT_GT.splitlines()[0]
    assert lines[1] == "x: [[34 158 161 44]], y: [[60 69 149 130]], ornt: [u'#'], transcriptions: [u'#']"
    # Into ICDAR 2015: the quadrilaterals go, the 10-point polygon is reported, don't care becomes ###.
    report = write_annotations(ann, tmp_path / "o15", format="icdar2015")
    assert report.instances == 2 and "outline of [10] points" in report.skipped[0]
    assert (tmp_path / "o15" / "gt_img11.txt").read_text(encoding="utf-8-sig").splitlines()[1] == (
        "34,60,158,69,161,149,44,130,###"
    )


@pytest.mark.parametrize(
    "record, message",
    [
        (
            "x: [[1 2 3]], y: [[1 2]], ornt: [u'c'], transcriptions: [u'a']",
            r"record 2 \(line 2\): field 'x' has 3 numbers but 'y' has 2",
        ),
        (
            "x: [[1 2 b]], y: [[1 2 3]], ornt: [u'c'], transcriptions: [u'a']",
            r"record 2 \(line 2\): field 'x' holds '1 2 b'",
        ),
        (
            "x: [[1 2 3]], y: [[1 2 3]], ornt: [u'c'], transcriptions: [oops]",
            r"record 2 \(line 2\): field 'transcriptions'",
        ),
        ("x: [[1 2 3]], y: [[1 2 3]], ornt: [u'c']", r"record 2 \(line 2\): expected x: \[\[...\]\], y:"),
    ],
)
def test_malformed_records_are_named(tmp_path, record, message):
    write_total_text(tmp_path)
    gt = tmp_path / "txt_format" / "Train" / "poly_gt_img12.txt"
    gt.write_text(
        "x: [[1 2 3]], y: [[1 2 3]], ornt: [u'c'], transcriptions: [u'ok']\n" + record + "\n", encoding="utf-8"
    )
    with pytest.raises(DatasetError, match="poly_gt_img12.txt: " + message):
        read_annotations(gt, format="total-text", images=tmp_path / "Images" / "Train")


def test_data_set(tmp_path):
    write_total_text(tmp_path)
    ds = load_dataset("total-text", "test", root=tmp_path, download=False)
    assert len(ds) == 2 and ds[0].texts == ["nauGHTY", "#", "it's"] and ds[1].texts is None
