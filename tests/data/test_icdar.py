"""ICDAR 2015 / MLT / 2013 ground truth: files written byte for byte as the RRC publishes them."""

from __future__ import annotations

import numpy as np
import pytest

from vistakit.data import (
    DatasetError,
    convert,
    load_dataset,
    read_annotations,
    write_annotations,
)
from vistakit.structures import DONT_CARE, TextInstance

from ._formats import solid, write_image
from ._scene_formats import (
    BOM,
    ICDAR2015_GT,
    MLT_GT,
    write_icdar2013,
    write_icdar2015,
    write_mlt2019,
)


def test_icdar2015_reads_quadrilaterals_text_and_dont_care(tmp_path):
    gt, images = write_icdar2015(tmp_path)
    ann = read_annotations(gt, format="icdar2015", images=images)
    assert [im.file_name for im in ann.images] == ["img_1.jpg", "img_2.jpg"]
    assert (ann.images[0].width, ann.images[0].height) == (600, 200) and ann.images[1].instances == []
    words = ann.images[0].instances
    assert [w.attributes["text"] for w in words] == ["Genaxis Theatre", "[06]", "###", "hello, world"]
    assert [w.attributes["dont_care"] for w in words] == [False, False, True, False]
    np.testing.assert_array_equal(words[0].polygons.rings[0], [[377, 117], [463, 117], [465, 130], [378, 130]])
    np.testing.assert_array_equal(words[0].box, [377, 117, 465, 130])
    ann.check(source="gt")
    s = ann.sample(0)
    assert s.texts == ["Genaxis Theatre", "[06]", "###", "hello, world"]
    assert isinstance(s.text_instances[2], TextInstance) and s.text_instances[2].dont_care
    assert s.text_instances[3].transcription == "hello, world" and not s.text_instances[3].dont_care
    assert s.text_instances[0].points.tolist() == [[377, 117], [463, 117], [465, 130], [378, 130]]
    assert tuple(s.image.shape) == (3, 200, 600)


def test_icdar2015_round_trip_is_byte_identical(tmp_path):
    gt, images = write_icdar2015(tmp_path)
    report = convert(
        gt, tmp_path / "out", from_format="icdar2015", to_format="icdar2015", read_options={"images": images}
    )
    assert report.images == 2 and report.instances == 4 and report.skipped == []
    assert (tmp_path / "out" / "gt_img_1.txt").read_bytes() == ICDAR2015_GT
    assert (tmp_path / "out" / "gt_img_2.txt").read_bytes() == BOM


def test_mlt_reads_and_writes_the_script(tmp_path):
    write_image(tmp_path / "tr_img_00001.jpg", solid(1, size=(50, 60)))
    lines = (
        "10,10,50,10,50,20,10,20,Latin,Hi, there\r\n"
        "1,2,3,2,3,4,1,4,Arabic,\u0645\u0631\u062d\u0628\u0627\r\n"
        "5,5,9,5,9,9,5,9,None,###\r\n"
    )
    (tmp_path / "tr_img_00001.txt").write_bytes(BOM + lines.encode())
    ann = read_annotations(tmp_path / "tr_img_00001.txt", format="mlt")
    words = ann.images[0].instances
    assert [w.attributes["language"] for w in words] == ["Latin", "Arabic", "None"]
    assert [w.attributes["text"] for w in words] == ["Hi, there", "\u0645\u0631\u062d\u0628\u0627", DONT_CARE]
    s = ann.sample(0, load_image=False)
    assert [t.language for t in s.text_instances] == ["Latin", "Arabic", "None"] and s.text_instances[2].dont_care
    report = write_annotations(ann, tmp_path / "out", format="mlt", prefix="")
    assert (tmp_path / "out" / "tr_img_00001.txt").read_bytes() == BOM + lines.encode()
    assert report.instances == 3
    # MLT -> ICDAR 2015 drops the script column and keeps the rest.
    write_annotations(ann, tmp_path / "o15", format="icdar2015")
    assert (tmp_path / "o15" / "gt_tr_img_00001.txt").read_bytes().decode("utf-8").splitlines()[0] == (
        "\ufeff10,10,50,10,50,20,10,20,Hi, there"
    )


def test_writer_reports_what_icdar2015_cannot_hold(tmp_path):
    gt, images = write_icdar2015(tmp_path)
    ann = read_annotations(gt, format="icdar2015", images=images)
    words = ann.images[0].instances
    from vistakit.structures import Polygons

    words[0].polygons = Polygons([np.array([[0.0, 0], [4, 0], [6, 3], [4, 6], [0, 6]])])  # a pentagon
    del words[1].attributes["text"]
    words[1].attributes["dont_care"] = False
    words[3].polygons = None  # box only: written as its four corners
    report = write_annotations(ann, tmp_path / "out", format="icdar2015")
    assert report.instances == 3 and len(report.skipped) == 2
    assert "image 0 (img_1.jpg), instance 1: outline of [5] points" in report.skipped[0]
    assert "instance 2: no transcription (written as ###)" in report.skipped[1]
    lines = (tmp_path / "out" / "gt_img_1.txt").read_text(encoding="utf-8-sig").splitlines()
    assert lines == [
        "493,115,519,115,519,131,493,131,###",
        "374,155,409,155,409,170,374,170,###",
        "492,151,551,151,551,170,492,170,hello, world",
    ]


@pytest.mark.parametrize(
    "line, message",
    [
        ("1,2,3,4,5,6,7,word", r"gt_img_1.txt: line 2: field y4 is 'word', not a number"),
        ("1,2,3,4,5,6,7", r"gt_img_1.txt: line 2: 7 fields, expected 9 .*missing field y4"),
        ("1,2,3,4,x,6,7,8,word", r"gt_img_1.txt: line 2: field x3 is 'x', not a number"),
    ],
)
def test_icdar2015_malformed_lines_are_named(tmp_path, line, message):
    gt, images = write_icdar2015(tmp_path, gt=BOM + f"1,1,2,1,2,2,1,2,ok\r\n{line}\r\n".encode())
    with pytest.raises(DatasetError, match=message):
        read_annotations(gt, format="icdar2015", images=images)


def test_icdar2015_missing_image_and_bad_encoding_are_named(tmp_path):
    gt, images = write_icdar2015(tmp_path)
    (gt / "gt_img_3.txt").write_bytes(BOM)
    with pytest.raises(DatasetError, match=r"gt_img_3.txt: no image img_3.\* in .*images"):
        read_annotations(gt, format="icdar2015", images=images)
    (gt / "gt_img_3.txt").write_bytes(b"1,1,2,1,2,2,1,2,caf\xe9\r\n")
    write_image(images / "img_3.png", solid(0))
    with pytest.raises(DatasetError, match=r"gt_img_3.txt: not UTF-8"):
        read_annotations(gt, format="icdar2015", images=images)
    with pytest.raises(DatasetError, match=r"gt_img_1.txt: line 1: missing field language|line 1: .* expected 10"):
        read_annotations(gt / "gt_img_1.txt", format="mlt", images=images)


ICDAR2013_TRAIN = b'158 128 411 181 "Footpath"\r\n443 128 501 169 "To"\r\n64 200 381 255 "Colchester"\r\n'
ICDAR2013_TEST = b'38, 43, 920, 215, "Tiredness"\r\n275, 264, 665, 450, "kills"\r\n'


def test_icdar2013_reads_both_separators_and_round_trips(tmp_path):
    write_image(tmp_path / "100.jpg", solid(0, size=(300, 1000)))
    write_image(tmp_path / "img_1.jpg", solid(0, size=(500, 1000)))
    (tmp_path / "gt_100.txt").write_bytes(ICDAR2013_TRAIN)
    (tmp_path / "gt_img_1.txt").write_bytes(ICDAR2013_TEST)
    ann = read_annotations(tmp_path, format="icdar2013")
    assert [im.file_name for im in ann.images] == ["100.jpg", "img_1.jpg"]
    np.testing.assert_array_equal(ann.images[0].instances[2].box, [64, 200, 381, 255])
    assert [w.attributes["text"] for w in ann.images[1].instances] == ["Tiredness", "kills"]
    assert ann.sample(0, load_image=False).texts == ["Footpath", "To", "Colchester"]
    report = write_annotations(ann, tmp_path / "out", format="icdar2013")
    assert report.skipped == [] and (tmp_path / "out" / "gt_100.txt").read_bytes() == ICDAR2013_TRAIN
    write_annotations(ann, tmp_path / "out2", format="icdar2013", separator=", ")
    assert (tmp_path / "out2" / "gt_img_1.txt").read_bytes() == ICDAR2013_TEST
    # Into ICDAR 2015: the boxes become axis-aligned quadrilaterals.
    write_annotations(ann, tmp_path / "o15", format="icdar2015")
    assert (tmp_path / "o15" / "gt_100.txt").read_text(encoding="utf-8-sig").splitlines()[1] == (
        "443,128,501,128,501,169,443,169,To"
    )


def test_icdar2013_malformed_line_is_named(tmp_path):
    write_image(tmp_path / "100.jpg", solid(0, size=(300, 1000)))
    (tmp_path / "gt_100.txt").write_bytes(b'158 128 411 181 "Footpath"\n158 128 411 "x"\n')
    with pytest.raises(DatasetError, match=r'gt_100.txt: line 2: expected left top right bottom "text"'):
        read_annotations(tmp_path, format="icdar2013")
    (tmp_path / "gt_100.txt").write_bytes(b'158 128 100 181 "Footpath"\n')
    with pytest.raises(DatasetError, match=r"gt_100.txt: line 1: box .* right < left"):
        read_annotations(tmp_path, format="icdar2013")


def test_icdar2015_data_set_from_the_rrc_zips(tmp_path):
    import zipfile

    def zip_of(name, files):
        with zipfile.ZipFile(tmp_path / name, "w") as zf:
            for member, data in files.items():
                zf.writestr(member, data)

    gt, images = write_icdar2015(tmp_path / "src")
    zip_of("ch4_test_images.zip", {p.name: p.read_bytes() for p in images.iterdir()})
    zip_of("Challenge4_Test_Task1_GT.zip", {p.name: p.read_bytes() for p in gt.iterdir()})
    ds = load_dataset("icdar2015", "test", root=tmp_path, download=False)
    assert len(ds) == 2 and ds.classes == ["text"]
    s = ds[0]
    assert s.texts[0] == "Genaxis Theatre" and s.text_instances[2].dont_care
    assert (tmp_path / "ch4_test_images" / "img_1.jpg").is_file()
    with pytest.raises(Exception, match="rrc.cvc.uab.es"):
        load_dataset("icdar2015", "train", root=tmp_path, download=False)


def test_mlt2019_data_set_from_its_zips_over_two_image_folders(tmp_path):
    write_mlt2019(tmp_path, zipped=True)
    ds = load_dataset("mlt2019", "train", root=tmp_path, download=False)
    assert len(ds) == 2
    s = ds[0]
    assert s.texts == ["Hi, there", "\u0645\u0631\u062d\u0628\u0627", "###"]
    assert [t.language for t in s.text_instances] == ["Latin", "Arabic", "None"]
    assert tuple(ds[1].image.shape) == (3, 30, 40) and ds[1].texts is None
    assert (tmp_path / "train_gt_t13" / "tr_img_00001.txt").read_bytes() == MLT_GT
    assert (tmp_path / "ImagesPart2" / "tr_img_00002.png").is_file()  # the zip's own folder, not nested


def test_icdar2013_data_set(tmp_path):
    write_icdar2013(tmp_path)
    ds = load_dataset("icdar2013", "test", root=tmp_path, download=False)
    assert [s.texts for s in ds] == [["Tiredness", "kills"], ["A"]]
    np.testing.assert_array_equal(ds[0].boxes.data, [[38, 43, 920, 215], [275, 264, 665, 450]])
