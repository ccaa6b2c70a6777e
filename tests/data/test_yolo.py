"""YOLO labels: small files as Ultralytics lays them out, read, written back, round-tripped, malformed."""

import numpy as np
import pytest
from PIL import Image

from vistakit.data import (
    AnnotatedImage,
    AnnotationSet,
    Category,
    DatasetError,
    Instance,
    get_format,
    list_formats,
)
from vistakit.structures import RLE, Polygons

YOLO = get_format("yolo") if "yolo" in list_formats() else None


def _image(path, width, height):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((height, width, 3), np.uint8)).save(path)


def _dataset(root, *, names="{0: person, 1: car}", a_label="0 0.5 0.5 0.25 0.5\n1 0.1 0.2 0.2 0.4\n", extra=""):
    """coco8-style: data.yaml, images/{train,val}, labels/{train,val}; a.jpg is 80x40, b.png 20x10 (no label file)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "data.yaml").write_text(
        f"# a comment, as in the Ultralytics files\npath: .\ntrain: images/train\n"
        f"val: images/val\ntest:\n\nnames: {names}\n{extra}"
    )
    _image(root / "images" / "train" / "a.jpg", 80, 40)
    _image(root / "images" / "train" / "b.png", 20, 10)
    _image(root / "images" / "val" / "c.jpg", 100, 50)
    (root / "labels" / "train").mkdir(parents=True)
    (root / "labels" / "val").mkdir(parents=True)
    (root / "labels" / "train" / "a.txt").write_text(a_label)
    (root / "labels" / "val" / "c.txt").write_text("1 0.1 0.2 0.3 0.2 0.3 0.6\n")


def test_registered():
    assert YOLO is not None and YOLO.can_write and "detection" in YOLO.tasks


def test_read_detection_and_segmentation(tmp_path):
    _dataset(tmp_path)
    train = YOLO.read(tmp_path / "data.yaml")
    assert [c.name for c in train.categories] == ["person", "car"] and [c.id for c in train.categories] == [0, 1]
    assert [im.file_name for im in train.images] == ["images/train/a.jpg", "images/train/b.png"]
    a, b = train.images
    assert (a.width, a.height) == (80, 40) and b.instances == []  # no label file: a background image
    # cx=0.5*80=40, w=0.25*80=20 -> x 30..50; cy=0.5*40=20, h=0.5*40=20 -> y 10..30
    np.testing.assert_allclose(a.instances[0].box, [30, 10, 50, 30], atol=1e-12)
    np.testing.assert_allclose(a.instances[1].box, [0, 0, 16, 16], atol=1e-12)
    assert [i.category_id for i in a.instances] == [0, 1]
    val = YOLO.read(tmp_path, split="val")  # the folder holding data.yaml works too
    inst = val.images[0].instances[0]
    np.testing.assert_allclose(inst.polygons.rings[0], [[10, 10], [30, 10], [30, 30]], atol=1e-12)  # on 100x50
    np.testing.assert_allclose(inst.box, [10, 10, 30, 30], atol=1e-12)
    assert val.sample(0).boxes.data.shape == (1, 4)


def test_names_as_list_and_keypoints(tmp_path):
    _dataset(
        tmp_path, names="[person, car]", extra="kpt_shape: [2, 3]\n", a_label="0 0.5 0.5 0.25 0.5 0.5 0.25 2 0 0 0\n"
    )
    (tmp_path / "labels" / "val" / "c.txt").write_text("")
    s = YOLO.read(tmp_path)
    inst = s.images[0].instances[0]
    np.testing.assert_allclose(inst.keypoints, [[40, 10, 2], [0, 0, 0]])
    assert s.categories[1].name == "car" and len(s.categories[0].keypoints) == 2


def _set(tmp_path):
    """Category ids 3 and 7 (not 0..N-1), a polygon, a crowd region, keypoints, an attribute."""
    _image(tmp_path / "src" / "x.png", 64, 32)
    poly = Polygons([np.array([[4.0, 2], [20, 2], [20, 12]])])
    crowd = np.zeros((32, 64), bool)
    crowd[20:30, 40:60] = True
    return AnnotationSet(
        [Category(7, "dog"), Category(3, "cat")],
        [
            AnnotatedImage(
                "x.png",
                64,
                32,
                12,
                [
                    Instance(3, [1.25, 2.5, 33.75, 30.0], id=100, attributes={"difficult": True}),
                    Instance(7, poly.bbox, polygons=poly, id=101),
                    Instance(7, [40, 20, 60, 30], rle=RLE.encode(crowd), iscrowd=True, id=102),
                    Instance(3, [0, 0, 64, 32], keypoints=[[1, 1, 2]], id=103),
                ],
            )
        ],
        image_root=tmp_path / "src",
    )


def test_write_maps_categories_and_reports_what_it_cannot_hold(tmp_path):
    report = YOLO.write(_set(tmp_path), tmp_path / "out", decimals=6)
    assert report.category_map == {3: 0, 7: 1} and report.images == 1 and report.instances == 3
    text = "\n".join(report.skipped)
    assert "instance 102: crowd region" in text and "instance 101: polygon outline" in text
    assert "instance 103: 1 keypoints" in text and "instance 100: attribute 'difficult'" in text
    # Independent arithmetic: (1.25+33.75)/2/64 = 0.2734375, (2.5+30)/2/32 = 0.5078125, 32.5/64, 27.5/32
    lines = (tmp_path / "out" / "labels" / "train" / "x.txt").read_text().splitlines()
    assert lines[0] == "0 0.273438 0.507812 0.507812 0.859375"
    assert lines[1] == "1 0.187500 0.218750 0.250000 0.312500" and lines[2] == "0 0.500000 0.500000 1.000000 1.000000"
    assert (tmp_path / "out" / "images" / "train" / "x.png").is_file()
    back = YOLO.read(tmp_path / "out")
    assert [c.name for c in back.categories] == ["cat", "dog"]
    # 6 decimals: a corner is within 0.75e-6 * size pixels of the original
    np.testing.assert_allclose(back.images[0].instances[0].box, [1.25, 2.5, 33.75, 30.0], atol=0.75e-6 * 64)
    seg = YOLO.write(_set(tmp_path), tmp_path / "seg", task="segment", decimals=None)
    assert any("instance 100: a box only (written as the box's 4-corner polygon)" in s for s in seg.skipped)
    back = YOLO.read(tmp_path / "seg")
    np.testing.assert_allclose(back.images[0].instances[1].polygons.rings[0], [[4, 2], [20, 2], [20, 12]], atol=1e-12)


def test_read_write_read_is_equal(tmp_path):
    _dataset(tmp_path / "a")
    first = YOLO.read(tmp_path / "a")
    YOLO.write(first, tmp_path / "b", decimals=None)
    YOLO.write(YOLO.read(tmp_path / "a", split="val"), tmp_path / "b", split="val", task="segment", decimals=None)
    again = YOLO.read(tmp_path / "b")
    assert [im.file_name for im in again.images] == [im.file_name for im in first.images]
    for x, y in zip(first.images, again.images):
        assert [i.category_id for i in x.instances] == [i.category_id for i in y.instances]
        for i, j in zip(x.instances, y.instances):
            np.testing.assert_allclose(i.box, j.box, atol=1e-9)
    assert (tmp_path / "a" / "labels" / "train" / "a.txt").read_text() == (
        "0 0.5 0.5 0.25 0.5\n1 0.1 0.2 0.2 0.4\n"
    )  # untouched
    val = YOLO.read(tmp_path / "b", split="val")
    assert val.images[0].instances[0].polygons == YOLO.read(tmp_path / "a", split="val").images[0].instances[0].polygons


@pytest.mark.parametrize(
    "label, message",
    [
        ("0 0.5 0.5 0.25\n", r"labels/train/a.txt: line 1: expected `class cx cy w h` or a polygon"),
        ("0 0.5 0.5 0.2 0.2\n2 0.5 0.5 0.25 0.5\n", r"a.txt: line 2: field 1 \(class\): unknown class id 2"),
        (
            "0 0.5 1.5 0.25 0.5\n",
            r"a.txt: line 1: field 3: 1.5 is outside \[0, 1\]: the box lies outside the 80x40 image",
        ),
        ("1 0.1 0.2 0.3 0.2 0.3\n", r"a.txt: line 1: expected .* n >= 3 points, got 5 values"),
        ("1 0.1 0.2 0.3 0.2 0.3 0.6 0.5\n", r"a.txt: line 1: expected .* n >= 3 points, got 7 values"),
        ("x 0.5 0.5 0.25 0.5\n", r"a.txt: line 1: field 1 \(class\): expected an integer class id, got 'x'"),
    ],
)
def test_malformed_labels_name_file_line_and_field(tmp_path, label, message):
    _dataset(tmp_path, a_label=label)
    with pytest.raises(DatasetError, match=message):
        YOLO.read(tmp_path)


def test_malformed_yaml(tmp_path):
    _dataset(tmp_path, names="{0: person, 2: car}")
    with pytest.raises(DatasetError, match=r"data.yaml: field `names`: class ids must be 0..1, got \[0, 2\]"):
        YOLO.read(tmp_path)
    (tmp_path / "data.yaml").write_text("train: images/train\n")
    with pytest.raises(DatasetError, match="data.yaml: field `names` is missing"):
        YOLO.read(tmp_path)
    (tmp_path / "data.yaml").write_text("names: [a]\ntrain: images/train\n")
    with pytest.raises(DatasetError, match=r"field `test` is missing \(splits present: \['train'\]\)"):
        YOLO.read(tmp_path, split="test")


def test_a_writer_error_writes_nothing(tmp_path):
    bad = _set(tmp_path)
    bad.images[0].instances[1].box = np.array([4.0, 2, 70, 12])  # the last instance is fine, this one is not
    with pytest.raises(DatasetError, match=r"image 12 \(x.png\), instance 101: field box: .* outside the 64x32 image"):
        YOLO.write(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    unknown = _set(tmp_path)
    unknown.images[0].instances[0].category_id = 5
    with pytest.raises(DatasetError, match="instance 100: field category_id: unknown category id 5"):
        YOLO.write(unknown, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def coco_like_set(tmp_path):
    """A set as a COCO reader gives it: category ids 1 and 90 (not 0..N-1), float boxes, polygons (one with
    two rings), an RLE mask and a plain box. The other format tests import it for their round trips."""
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(tmp_path / "000000000139.jpg")
    tri = Polygons([np.array([[3.25, 4.5], [30.75, 6.0], [12.5, 40.125]])])
    two = Polygons(
        [
            np.array([[40.0, 2.0], [60.5, 2.0], [60.5, 14.25], [40.0, 14.25]]),
            np.array([[44.0, 30.0], [56.0, 30.0], [50.0, 44.0]]),
        ]
    )
    blob = np.zeros((48, 64), bool)
    blob[20:31, 30:37] = True
    blob[25, 37:40] = True
    return AnnotationSet(
        [Category(1, "person"), Category(90, "toothbrush")],
        [
            AnnotatedImage(
                "000000000139.jpg",
                64,
                48,
                139,
                [
                    Instance(1, tri.bbox, polygons=tri, id=1),
                    Instance(90, two.bbox, polygons=two, id=2),
                    Instance(1, [30, 20, 40, 31], rle=RLE.encode(blob), id=3),
                    Instance(90, [0.123456789, 1.5, 63.987654321, 47.0], id=4),
                ],
            )
        ],
        image_root=tmp_path,
    )


def assert_round_trip(source, back, report, *, masks):
    """Boxes to 1e-6, categories through the report's map, and (where the format holds them) identical masks."""
    assert len(back.images) == len(source.images)
    for x, y in zip(source.images, back.images):
        assert [report.category_map[i.category_id] for i in x.instances] == [i.category_id for i in y.instances]
        for i, j in zip(x.instances, y.instances):
            np.testing.assert_allclose(j.box, i.box, atol=1e-6)
            if masks:
                np.testing.assert_array_equal(
                    j.mask(height=y.height, width=y.width), i.mask(height=x.height, width=x.width)
                )


def test_coco_like_round_trip(tmp_path):
    src = coco_like_set(tmp_path)
    src.images[0].instances.pop(2)  # YOLO holds no RLE mask
    report = YOLO.write(src, tmp_path / "seg", task="segment", decimals=None)
    assert report.category_map == {1: 0, 90: 1} and any("1 more polygon rings" in s for s in report.skipped)
    back = YOLO.read(tmp_path / "seg")
    src.images[0].instances[1].polygons = Polygons(src.images[0].instances[1].polygons.rings[:1])  # the largest ring
    src.images[0].instances[1].box = src.images[0].instances[1].polygons.bbox
    assert_round_trip(src, back, report, masks=False)
    for i, j in zip(src.images[0].instances[:2], back.images[0].instances[:2]):
        np.testing.assert_allclose(j.polygons.rings[0], i.polygons.rings[0], atol=1e-9)
    det = YOLO.write(coco_like_set(tmp_path), tmp_path / "det", decimals=None)
    assert_round_trip(coco_like_set(tmp_path), YOLO.read(tmp_path / "det"), det, masks=False)


def test_writing_over_the_source_keeps_its_images(tmp_path):
    _dataset(tmp_path)
    s = YOLO.read(tmp_path)
    for mode in ("symlink", "copy"):
        YOLO.write(s, tmp_path, images=mode, decimals=None)
        img = tmp_path / "images" / "train" / "a.jpg"
        assert img.is_file() and not img.is_symlink() and Image.open(img).size == (80, 40)
    again = YOLO.read(tmp_path)
    np.testing.assert_allclose(again.images[0].instances[0].box, s.images[0].instances[0].box, atol=1e-9)
    assert YOLO.read(tmp_path, split="val").images[0].instances  # the other split's entry is kept in data.yaml


MINE = ("yolo", "voc", "labelme", "cvat", "labelstudio")


def _target(root, fmt):
    return root / "ls.json" if fmt == "labelstudio" else root


@pytest.mark.parametrize("a", MINE)
@pytest.mark.parametrize("b", MINE)
def test_convert_between_every_pair_keeps_names_and_boxes(tmp_path, a, b):
    """Through convert(): boxes to 1e-6 and category names survive every pair (single-ring outlines, one RLE)."""
    from vistakit.data import convert

    src = coco_like_set(tmp_path)
    two = src.images[0].instances[1]
    two.polygons = Polygons(two.polygons.rings[:1])
    two.box = two.polygons.bbox
    opts = {"yolo": {"decimals": None}}
    first = get_format(a).write(src, _target(tmp_path / "a", a), **opts.get(a, {}))
    read_a = {"image_root": tmp_path} if a == "labelstudio" else {}
    report = convert(
        _target(tmp_path / "a", a),
        _target(tmp_path / "b", b),
        from_format=a,
        to_format=b,
        read_options=read_a,
        write_options=opts.get(b, {}),
    )
    assert report.images == 1 and report.instances == 4 and first.instances == 4
    back = get_format(b).read(_target(tmp_path / "b", b), **({"image_root": tmp_path} if b == "labelstudio" else {}))
    names = {c.id: c.name for c in back.categories}
    source_names = {c.id: c.name for c in src.categories}
    got = back.images[0].instances
    want = src.images[0].instances
    assert [names[i.category_id] for i in got] == [source_names[i.category_id] for i in want]
    for k, (i, j) in enumerate(zip(want, got)):
        if not np.allclose(j.box, i.box, rtol=0, atol=1e-6):
            # VOC gives an outline back as a mask only; a format whose mask region is its box must say so
            assert a == "voc" and b in ("labelme", "cvat", "labelstudio"), (a, b, k)
            assert any(f"instance {k}: box {i.box.tolist()}" in line for line in report.skipped), report.skipped


def test_a_corner_past_the_edge_by_rounding_is_on_the_edge(tmp_path):
    # cx + w/2 = 0.9 + 0.1000002 = 1.0000002: written with rounding; on the 80-wide image's edge, so VOC can take it
    _dataset(tmp_path, a_label="0 0.9 0.5 0.2000004 0.4\n")
    s = YOLO.read(tmp_path)
    np.testing.assert_allclose(s.images[0].instances[0].box, [63.999984, 12, 80, 28], atol=1e-9)
    get_format("voc").write(s, tmp_path / "voc", images="none")
    _dataset(tmp_path / "far", a_label="0 0.9 0.5 0.4 0.4\n")
    with pytest.raises(
        DatasetError, match=r"a.txt: line 1: fields 2-5 \(cx cy w h\): the box .* lies outside the 80x40"
    ):
        YOLO.read(tmp_path / "far")
