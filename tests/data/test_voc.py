"""Pascal VOC: a small devkit folder written as the real one is, read, written back, round-tripped, malformed."""

import xml.etree.ElementTree as ET

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
    voc_palette,
)
from vistakit.structures import RLE, Polygons

VOC = get_format("voc")

# VOC2007 layout and field order (000005.xml style), and a VOC2012 file (alphabetical order, occluded, parts).
XML_A = """<annotation>
\t<folder>VOC2007</folder>
\t<filename>000005.jpg</filename>
\t<source>
\t\t<database>The VOC2007 Database</database>
\t\t<annotation>PASCAL VOC2007</annotation>
\t\t<image>flickr</image>
\t\t<flickrid>325991873</flickrid>
\t</source>
\t<owner>
\t\t<flickrid>archintent louisville</flickrid>
\t\t<name>?</name>
\t</owner>
\t<size>
\t\t<width>50</width>
\t\t<height>40</height>
\t\t<depth>3</depth>
\t</size>
\t<segmented>0</segmented>
\t<object>
\t\t<name>chair</name>
\t\t<pose>Rear</pose>
\t\t<truncated>0</truncated>
\t\t<difficult>0</difficult>
\t\t<bndbox>
\t\t\t<xmin>1</xmin>
\t\t\t<ymin>2</ymin>
\t\t\t<xmax>10</xmax>
\t\t\t<ymax>20</ymax>
\t\t</bndbox>
\t</object>
\t<object>
\t\t<name>person</name>
\t\t<pose>Unspecified</pose>
\t\t<truncated>1</truncated>
\t\t<difficult>1</difficult>
\t\t<bndbox>
\t\t\t<xmin>21</xmin>
\t\t\t<ymin>5</ymin>
\t\t\t<xmax>50</xmax>
\t\t\t<ymax>40</ymax>
\t\t</bndbox>
\t\t<part>
\t\t\t<name>head</name>
\t\t\t<bndbox>
\t\t\t\t<xmin>22</xmin>
\t\t\t\t<ymin>6</ymin>
\t\t\t\t<xmax>30</xmax>
\t\t\t\t<ymax>12</ymax>
\t\t\t</bndbox>
\t\t</part>
\t\t<part>
\t\t\t<name>hand</name>
\t\t\t<bndbox>
\t\t\t\t<xmin>40</xmin>
\t\t\t\t<ymin>20</ymin>
\t\t\t\t<xmax>44</xmax>
\t\t\t\t<ymax>25</ymax>
\t\t\t</bndbox>
\t\t</part>
\t</object>
</annotation>
"""

XML_B = """<annotation>
\t<filename>2007_000032.jpg</filename>
\t<folder>VOC2012</folder>
\t<object>
\t\t<name>aeroplane</name>
\t\t<bndbox>
\t\t\t<xmax>12</xmax>
\t\t\t<xmin>3</xmin>
\t\t\t<ymax>8</ymax>
\t\t\t<ymin>2</ymin>
\t\t</bndbox>
\t\t<difficult>0</difficult>
\t\t<occluded>1</occluded>
\t\t<pose>Frontal</pose>
\t\t<truncated>0</truncated>
\t</object>
\t<object>
\t\t<name>person</name>
\t\t<bndbox>
\t\t\t<xmax>20.5</xmax>
\t\t\t<xmin>14</xmin>
\t\t\t<ymax>16</ymax>
\t\t\t<ymin>10</ymin>
\t\t</bndbox>
\t\t<difficult>0</difficult>
\t\t<occluded>0</occluded>
\t\t<pose>Left</pose>
\t\t<truncated>0</truncated>
\t</object>
\t<segmented>1</segmented>
\t<size>
\t\t<depth>3</depth>
\t\t<height>20</height>
\t\t<width>24</width>
\t</size>
\t<source>
\t\t<annotation>PASCAL VOC2007</annotation>
\t\t<database>The VOC2007 Database</database>
\t\t<image>flickr</image>
\t</source>
</annotation>
"""

# The devkit's colour map: known entries (background, aeroplane, bicycle, bird, boat, person, void).
KNOWN_COLOURS = {
    0: (0, 0, 0),
    1: (128, 0, 0),
    2: (0, 128, 0),
    3: (128, 128, 0),
    4: (0, 0, 128),
    15: (192, 128, 128),
    255: (224, 224, 192),
}


def _palette_png(path, labels):
    """A palette PNG as the devkit's are: mode P, the colour map above for the used entries."""
    im = Image.fromarray(labels.astype(np.uint8), mode="P")
    pal = [0] * 768
    for i, rgb in KNOWN_COLOURS.items():
        pal[3 * i : 3 * i + 3] = rgb
    im.putpalette(pal)
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path)


def _devkit(root, *, xml_a=XML_A, xml_b=XML_B):
    """VOCdevkit/VOC2012 with two images; 2007_000032 has segmentation PNGs with a void border."""
    year = root / "VOCdevkit" / "VOC2012"
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main", "ImageSets/Segmentation"):
        (year / sub).mkdir(parents=True)
    (year / "Annotations" / "000005.xml").write_text(xml_a)
    (year / "Annotations" / "2007_000032.xml").write_text(xml_b)
    Image.fromarray(np.zeros((40, 50, 3), np.uint8)).save(year / "JPEGImages" / "000005.jpg")
    Image.fromarray(np.zeros((20, 24, 3), np.uint8)).save(year / "JPEGImages" / "2007_000032.jpg")
    (year / "ImageSets" / "Main" / "trainval.txt").write_text("000005\n2007_000032\n")
    (year / "ImageSets" / "Main" / "train.txt").write_text("2007_000032\n")
    (year / "ImageSets" / "Main" / "person_train.txt").write_text("2007_000032  1\n")
    (year / "ImageSets" / "Segmentation" / "train.txt").write_text("2007_000032\n")
    obj = np.zeros((20, 24), np.uint8)
    obj[1:8, 2:12] = 1
    obj[9:16, 13:20] = 2
    obj[0, 2:12] = 255  # void border
    _palette_png(year / "SegmentationObject" / "2007_000032.png", obj)
    cls = np.where(obj == 1, 1, np.where(obj == 2, 15, obj))
    _palette_png(year / "SegmentationClass" / "2007_000032.png", cls)
    return year


def _content(xml_text):
    """The XML's content, order-free within an element: (tag, text, sorted children)."""

    def canon(e):
        return (e.tag, (e.text or "").strip(), tuple(sorted(canon(c) for c in e)))

    return canon(ET.fromstring(xml_text))


def test_palette_is_the_devkit_colour_map():
    pal = voc_palette()
    for i, rgb in KNOWN_COLOURS.items():
        assert tuple(pal[i]) == rgb
    assert len({tuple(c) for c in pal}) == 256


def test_read_boxes_flags_classes_and_masks(tmp_path):
    _devkit(tmp_path)
    s = VOC.read(tmp_path / "VOCdevkit")  # a VOCdevkit with one year inside is found
    assert [c.name for c in s.categories][:3] == ["aeroplane", "bicycle", "bird"] and len(s.categories) == 20
    a, b = s.images
    assert a.file_name == "JPEGImages/000005.jpg" and (a.width, a.height) == (50, 40)
    # 1-based inclusive -> 0-based edges: x1 = xmin - 1, x2 = xmax
    np.testing.assert_array_equal(a.instances[0].box, [0, 1, 10, 20])
    np.testing.assert_array_equal(a.instances[1].box, [20, 4, 50, 40])
    assert [i.category_id for i in a.instances] == [8, 14]  # chair, person in the official order
    p = a.instances[1].attributes
    assert p["difficult"] == 1 and p["truncated"] == 1 and p["pose"] == "Unspecified"
    assert [x["name"] for x in p["part"]] == ["head", "hand"] and a.attributes["owner"]["name"] == "?"
    np.testing.assert_array_equal(b.instances[1].box, [13, 9, 20.5, 16])
    assert b.instances[0].attributes["occluded"] == 1 and b.segmentation == "SegmentationClass/2007_000032.png"
    m = b.instances[0].rle.decode()
    assert m.sum() == 7 * 10 - 0 and not m[0].any()  # the void border is not the object
    assert a.instances[0].rle is None
    train = VOC.read(tmp_path / "VOCdevkit" / "VOC2012", split="train")
    assert [im.file_name for im in train.images] == ["JPEGImages/2007_000032.jpg"]
    seg = VOC.read(tmp_path / "VOCdevkit" / "VOC2012", split="train", imageset="Segmentation")
    assert len(seg) == 1 and seg.sample(0, masks=True).masks.shape == (2, 20, 24)


def test_custom_classes_are_the_names_found(tmp_path):
    _devkit(tmp_path, xml_b=XML_B.replace("aeroplane", "widget"))
    s = VOC.read(tmp_path / "VOCdevkit")
    assert [c.name for c in s.categories] == ["chair", "person", "widget"]


def test_read_write_read_gives_the_same_xml_and_pngs(tmp_path):
    year = _devkit(tmp_path)
    s = VOC.read(year)
    report = VOC.write(s, tmp_path / "out")
    assert report.skipped == [] and report.images == 2 and report.instances == 4
    for stem in ("000005", "2007_000032"):
        assert _content((tmp_path / "out" / "Annotations" / f"{stem}.xml").read_text()) == _content(
            (year / "Annotations" / f"{stem}.xml").read_text()
        )
    for sub in ("SegmentationClass", "SegmentationObject"):
        written = Image.open(tmp_path / "out" / sub / "2007_000032.png")
        assert written.mode == "P"
        np.testing.assert_array_equal(np.array(written), np.array(Image.open(year / sub / "2007_000032.png")))
        pal = np.array(written.getpalette()).reshape(-1, 3)
        for i, rgb in KNOWN_COLOURS.items():
            assert tuple(pal[i]) == rgb
    assert (tmp_path / "out" / "ImageSets" / "Main" / "trainval.txt").read_text() == "000005\n2007_000032\n"
    assert (tmp_path / "out" / "ImageSets" / "Segmentation" / "trainval.txt").read_text() == "2007_000032\n"
    again = VOC.read(tmp_path / "out")
    for x, y in zip(s.images, again.images):
        for i, j in zip(x.instances, y.instances):
            np.testing.assert_array_equal(i.box, j.box)
            assert i.attributes == j.attributes and i.rle == j.rle


def _foreign(tmp_path):
    """A COCO-like set: ids 1 and 5, a polygon, a crowd region, keypoints."""
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(tmp_path / "x.png")
    poly = Polygons([np.array([[4.0, 2], [20, 2], [20, 12]])])
    crowd = np.zeros((30, 40), bool)
    crowd[20:30, 30:40] = True
    return AnnotationSet(
        [Category(5, "dog"), Category(1, "cat")],
        [
            AnnotatedImage(
                "x.png",
                40,
                30,
                9,
                [
                    Instance(1, [0.5, 1.25, 12.75, 29.5], id=1),
                    Instance(5, poly.bbox, polygons=poly, id=2),
                    Instance(5, [30, 20, 40, 30], rle=RLE.encode(crowd), iscrowd=True, id=3),
                ],
            )
        ],
        image_root=tmp_path,
    )


def test_write_reports_what_voc_cannot_hold_and_keeps_boxes_exact(tmp_path):
    report = VOC.write(_foreign(tmp_path), tmp_path / "out", split="train")
    assert report.category_map == {1: 7, 5: 11}  # cat and dog in the VOC order
    text = "\n".join(report.skipped)
    assert (
        "instance 3: crowd region" in text and "instance 2: polygon outline (VOC keeps the box; the filled mask" in text
    )
    root = ET.parse(tmp_path / "out" / "Annotations" / "x.xml").getroot()
    box = root.find("object/bndbox")
    assert [box.find(t).text for t in ("xmin", "ymin", "xmax", "ymax")] == ["1.5", "2.25", "12.75", "29.5"]
    assert root.find("object/difficult").text == "0" and root.find("object/pose").text == "Unspecified"
    assert root.findall("object")[2].find("difficult").text == "1"
    back = VOC.read(tmp_path / "out", split="train")
    assert back.categories[7].name == "cat" and back.categories[11].name == "dog"
    np.testing.assert_array_equal(back.images[0].instances[0].box, [0.5, 1.25, 12.75, 29.5])
    # the polygon's filled mask went to SegmentationObject, the class PNG holds class index + 1
    np.testing.assert_array_equal(
        back.images[0].instances[1].rle.decode(),
        _foreign(tmp_path).images[0].instances[1].polygons.to_mask(height=30, width=40),
    )
    cls = np.array(Image.open(tmp_path / "out" / "SegmentationClass" / "x.png"))
    assert set(np.unique(cls).tolist()) == {0, 12}  # dog: VOC id 11 + 1


def test_round_trip_through_yolo_keeps_boxes(tmp_path):
    year = _devkit(tmp_path)
    s = VOC.read(year)
    get_format("yolo").write(s, tmp_path / "yolo", decimals=None)
    via = get_format("yolo").read(tmp_path / "yolo")
    VOC.write(via, tmp_path / "voc2", masks=False)
    back = VOC.read(tmp_path / "voc2")
    for x, y in zip(s.images, back.images):
        assert [s.categories[i.category_id].name for i in x.instances] == [
            back.categories[i.category_id].name for i in y.instances
        ]
        for i, j in zip(x.instances, y.instances):
            np.testing.assert_allclose(i.box, j.box, atol=1e-6)


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            ("<xmax>10</xmax>", "<xmax>51</xmax>"),
            r"000005.xml: object 0 \(chair\): field <bndbox>: \(1, 2, 51, 20\) lies outside the 50x40",
        ),
        (
            ("<xmin>1</xmin>", "<xmin>0</xmin>"),
            r"000005.xml: object 0 \(chair\): field <bndbox>: \(0, 2, 10, 20\) lies outside",
        ),
        (("<ymin>2</ymin>", ""), r"000005.xml: object 0 \(chair\): field <bndbox/ymin> is missing"),
        (("<name>chair</name>", "<name></name>"), r"000005.xml: object 0: field <name> is missing"),
        (
            ("<xmax>10</xmax>", "<xmax>ten</xmax>"),
            r"object 0 \(chair\): field <bndbox/xmax>: expected a number, got 'ten'",
        ),
        (
            ("<difficult>1</difficult>", "<difficult>yes</difficult>"),
            r"object 1 \(person\): field <difficult>: expected 0 or 1",
        ),
        (("<width>50</width>", ""), r"000005.xml: field <size/width> is missing"),
        (("</annotation>", "</annotatio>"), r"000005.xml: not well-formed XML"),
    ],
)
def test_malformed_xml_names_file_object_and_field(tmp_path, edit, message):
    _devkit(tmp_path, xml_a=XML_A.replace(*edit, 1))
    with pytest.raises(DatasetError, match=message):
        VOC.read(tmp_path / "VOCdevkit")


def test_unknown_class_missing_split_and_missing_file(tmp_path):
    year = _devkit(tmp_path)
    with pytest.raises(DatasetError, match=r"000005.xml: object 1: field <name>: unknown category 'person'"):
        VOC.read(year, classes=["chair", "aeroplane"])
    with pytest.raises(
        DatasetError, match=r"ImageSets/Main/val.txt: the split file is missing .*\['train', 'trainval'\]"
    ):
        VOC.read(year, split="val")
    (year / "ImageSets" / "Main" / "train.txt").write_text("2007_000099\n")
    with pytest.raises(DatasetError, match="2007_000099.xml: file is missing"):
        VOC.read(year, split="train")


def test_a_writer_error_writes_nothing(tmp_path):
    bad = _foreign(tmp_path)
    bad.images[0].instances[2].box = np.array([30.0, 20, 41, 30])
    with pytest.raises(DatasetError, match=r"image 9 \(x.png\), instance 3: field box: .* outside the 40x30 image"):
        VOC.write(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_coco_like_round_trip(tmp_path):
    from .test_yolo import assert_round_trip, coco_like_set

    report = VOC.write(coco_like_set(tmp_path), tmp_path / "voc")
    back = VOC.read(tmp_path / "voc")
    # person is a VOC class, toothbrush is not: the names found, sorted
    assert [c.name for c in back.categories] == ["person", "toothbrush"] and report.category_map == {1: 0, 90: 1}
    assert_round_trip(coco_like_set(tmp_path), back, report, masks=True)  # masks via SegmentationObject


def test_foreign_attributes_scalars_written_structures_reported(tmp_path):
    s = _foreign(tmp_path)
    s.images[0].instances[0].attributes = {"rotation": 30.0, "flags": {"my flag": True}, "rect": [1, 2, 3, 4]}
    s.images[0].attributes = {"json": "x.json", "cvat_shapes": [{"tag": "points", "attrib": {}}]}
    report = VOC.write(s, tmp_path / "out", masks=False)
    text = "\n".join(report.skipped)
    assert "instance 1: attribute 'flags' (VOC's XML does not hold it)" in text
    assert "instance 1: attribute 'rect'" in text and "image 9 (x.png): attribute 'cvat_shapes'" in text
    root = ET.parse(tmp_path / "out" / "Annotations" / "x.xml").getroot()
    assert root.findtext("object/rotation") == "30.0" and root.findtext("json") == "x.json"
    assert root.find("object/flags") is None and root.find("cvat_shapes") is None


def test_voc2012_data_set(tmp_path):
    from vistakit.data import VOC_CLASSES, dataset_info, load_dataset

    _devkit(tmp_path)
    info = dataset_info("voc2012")
    assert info.classes == VOC_CLASSES and info.splits["trainval"] == 11_540
    assert info.files[0].md5 == "6cd6e144f989b92b3379bac3b3de84fd"
    ds = load_dataset("voc2012", "train", root=tmp_path, download=False, masks=True)
    s = ds[0]
    assert len(ds) == 1 and s.meta["file_name"].endswith("2007_000032.jpg")
    assert s.masks.shape[0] == len(s.boxes) == 2 and s.masks[0].sum() == 7 * 10
    everything = load_dataset("voc2012", "trainval", root=tmp_path, download=False)
    assert len(everything) == 2 and everything.get_sample(0).masks is None
