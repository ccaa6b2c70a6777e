"""CVAT for images 1.1: an annotations.xml as CVAT exports it, read, written back, round-tripped, malformed."""

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
)
from vistakit.structures import RLE, Polygons

CVAT = get_format("cvat")

# The crop below, by hand: rows 0110 / 1111 / 0001 -> row-major runs 1 zero, 2 ones, 1 zero, 4 ones, 3 zeros, 1 one.
CROP = np.array([[0, 1, 1, 0], [1, 1, 1, 1], [0, 0, 0, 1]], bool)
CROP_RLE = "1, 2, 1, 4, 3, 1"

XML = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <id>7</id>
      <name>demo</name>
      <size>2</size>
      <mode>annotation</mode>
      <overlap>0</overlap>
      <bugtracker></bugtracker>
      <created>2024-01-01 00:00:00.000000+00:00</created>
      <updated>2024-01-01 00:00:00.000000+00:00</updated>
      <subset>default</subset>
      <start_frame>0</start_frame>
      <stop_frame>1</stop_frame>
      <frame_filter></frame_filter>
      <labels>
        <label>
          <name>car</name>
          <color>#fa3253</color>
          <type>any</type>
          <attributes>
            <attribute>
              <name>colour</name>
              <mutable>False</mutable>
              <input_type>select</input_type>
              <default_value>red</default_value>
              <values>red
blue</values>
            </attribute>
          </attributes>
        </label>
        <label>
          <name>person</name>
          <color>#33ddff</color>
          <type>any</type>
          <attributes>
          </attributes>
        </label>
      </labels>
    </task>
    <dumped>2024-01-02 00:00:00.000000+00:00</dumped>
  </meta>
  <image id="0" name="a.jpg" width="40" height="30">
    <box label="car" source="manual" occluded="1" xtl="1.50" ytl="2.00" xbr="30.25" ybr="20.00" z_order="0">
      <attribute name="colour">blue</attribute>
    </box>
    <box label="person" source="manual" occluded="0" xtl="10.00" ytl="10.00" xbr="20.00" ybr="16.00" z_order="1" rotation="30.00">
    </box>
    <polygon label="person" source="manual" occluded="0" points="1.00,1.00;10.00,1.00;10.00,8.00" z_order="0" group_id="2">
    </polygon>
    <polygon label="person" source="manual" occluded="0" points="20.00,20.00;25.00,20.00;25.00,28.00" z_order="0" group_id="2">
    </polygon>
    <mask label="car" source="semi-auto" occluded="0" rle="{CROP_RLE}" left="5" top="10" width="4" height="3" z_order="0">
    </mask>
    <points label="person" source="manual" occluded="0" points="3.00,4.00" z_order="0">
    </points>
    <tag label="car" source="manual">
    </tag>
  </image>
  <image id="1" name="b.jpg" width="20" height="10">
  </image>
</annotations>
""".replace("{CROP_RLE}", CROP_RLE)


def _export(root, xml=XML):
    """A CVAT dataset export: annotations.xml + images/."""
    (root / "images").mkdir(parents=True)
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(root / "images" / "a.jpg")
    Image.fromarray(np.zeros((10, 20, 3), np.uint8)).save(root / "images" / "b.jpg")
    (root / "annotations.xml").write_text(xml)


def test_cvat_rle_by_hand():
    from vistakit.data._cvat import cvat_rle_decode, cvat_rle_encode

    np.testing.assert_array_equal(cvat_rle_decode([1, 2, 1, 4, 3, 1], width=4, height=3), CROP)
    assert cvat_rle_encode(CROP) == [1, 2, 1, 4, 3, 1]
    assert cvat_rle_encode(np.array([[1, 1], [0, 1]], bool)) == [0, 2, 1, 1]  # starts with background
    rng = np.random.default_rng(0)
    for _ in range(20):
        m = rng.random((rng.integers(1, 9), rng.integers(1, 9))) < 0.5
        np.testing.assert_array_equal(cvat_rle_decode(cvat_rle_encode(m), width=m.shape[1], height=m.shape[0]), m)


def test_read_every_shape(tmp_path):
    _export(tmp_path)
    s = CVAT.read(tmp_path)
    assert [(c.id, c.name, c.color) for c in s.categories] == [(0, "car", (250, 50, 83)), (1, "person", (51, 221, 255))]
    a, b = s.images
    assert (a.file_name, a.width, a.height, a.id) == ("a.jpg", 40, 30, 0) and b.instances == []
    assert s.image_path(a).is_file()
    box, rotated, grouped, mask = a.instances
    np.testing.assert_array_equal(box.box, [1.5, 2, 30.25, 20])
    assert box.attributes == {"occluded": 1, "z_order": 0, "source": "manual", "colour": "blue"}
    assert rotated.attributes["rotation"] == 30.0 and rotated.category_id == 1
    assert len(grouped.polygons) == 2 and grouped.attributes["group_id"] == 2
    np.testing.assert_array_equal(grouped.box, [1, 1, 25, 28])
    full = np.zeros((30, 40), bool)
    full[10:13, 5:9] = CROP
    np.testing.assert_array_equal(mask.rle.decode(), full)
    np.testing.assert_array_equal(mask.box, [5, 10, 9, 13])
    assert [sh["tag"] for sh in a.attributes["cvat_shapes"]] == ["points", "tag"]


def _shapes(xml_text):
    """Every shape of every image, as comparable tuples (tag, attributes with numbers as floats, children)."""
    out = []
    for im in ET.fromstring(xml_text).iter("image"):
        for s in im:
            attrib = {}
            for k, v in s.attrib.items():
                try:
                    attrib[k] = float(v)
                except ValueError:
                    attrib[k] = v
            out.append(
                (im.get("name"), s.tag, sorted(attrib.items(), key=str), sorted((c.get("name"), c.text) for c in s))
            )
    return sorted(out, key=str)


def test_read_write_read_gives_the_same_shapes(tmp_path):
    _export(tmp_path / "src")
    first = CVAT.read(tmp_path / "src")
    report = CVAT.write(first, tmp_path / "out")
    assert report.skipped == [] and report.instances == 4 and (tmp_path / "out" / "images" / "a.jpg").is_file()
    written = (tmp_path / "out" / "annotations.xml").read_text()
    assert _shapes(written) == _shapes(XML)
    meta = ET.fromstring(written).find("meta/task")
    assert meta.findtext("name") == "demo" and meta.find("labels/label/attributes/attribute/name").text == "colour"
    again = CVAT.read(tmp_path / "out")
    for x, y in zip(first.images, again.images):
        for i, j in zip(x.instances, y.instances):
            np.testing.assert_array_equal(i.box, j.box)
            assert i.attributes == j.attributes and i.polygons == j.polygons and i.rle == j.rle


def test_write_from_another_format(tmp_path):
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "x.png")
    crowd = np.zeros((20, 30), bool)
    crowd[5:9, 10:20] = True
    poly = Polygons([np.array([[1.0, 1], [5, 1], [5, 5]]), np.array([[8.0, 8], [12.125, 8], [12, 12]])])
    s = AnnotationSet(
        [Category(4, "a"), Category(9, "b")],
        [
            AnnotatedImage(
                "x.png",
                30,
                20,
                7,
                [
                    Instance(9, poly.bbox, polygons=poly, id=1, attributes={"difficult": 1, "parts": [1, 2]}),
                    Instance(4, [10, 5, 20, 9], rle=RLE.encode(crowd), iscrowd=True, id=2),
                    Instance(4, [0.1, 0.2, 3.3333333, 4], keypoints=[[1, 1, 2]], id=3),
                ],
            )
        ],
        image_root=tmp_path,
    )
    report = CVAT.write(s, tmp_path / "ann.xml", images="none")
    assert report.category_map == {4: 0, 9: 1}
    text = "\n".join(report.skipped)
    assert (
        "instance 1: attribute 'parts'" in text
        and "instance 2: crowd region" in text
        and "instance 3: 1 keypoints" in text
    )
    root = ET.parse(tmp_path / "ann.xml").getroot()
    assert root.findtext("version") == "1.1" and [e.findtext("name") for e in root.iter("label")] == ["a", "b"]
    polys = root.findall("image/polygon")
    assert polys[1].get("points") == "8.00,8.00;12.125,8.00;12.00,12.00" and polys[0].get("group_id") == "1"
    assert root.find("image/mask").get("rle") == "0, 40" and root.find("image/box").get("xbr") == "3.3333333"
    back = CVAT.read(tmp_path / "ann.xml")
    inst = back.images[0].instances
    assert inst[0].polygons == poly and inst[0].attributes["difficult"] == "1"
    assert inst[1].iscrowd and inst[1].rle == RLE.encode(crowd)
    np.testing.assert_array_equal(inst[2].box, [0.1, 0.2, 3.3333333, 4])


def test_round_trip_through_labelme_keeps_boxes_and_masks(tmp_path):
    _export(tmp_path / "src")
    first = CVAT.read(tmp_path / "src")
    get_format("labelme").write(first, tmp_path / "lm")
    via = get_format("labelme").read(tmp_path / "lm")
    CVAT.write(via, tmp_path / "back")
    back = CVAT.read(tmp_path / "back")
    for x, y in zip(first.images, back.images):
        assert [first.categories[i.category_id].name for i in x.instances] == [
            back.categories[i.category_id].name for i in y.instances
        ]
        for i, j in zip(x.instances, y.instances):
            np.testing.assert_allclose(i.box, j.box, atol=1e-6)
            assert i.polygons == j.polygons and i.rle == j.rle


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            ('xbr="30.25"', 'xbr="41"'),
            r"annotations.xml: image 0 \(a.jpg\): <box> 0 \(car\): the box .* outside the 40x30 image",
        ),
        (('xtl="1.50" ', ""), r"image 0 \(a.jpg\): <box> 0 \(car\): field xtl is missing"),
        (
            ('points="1.00,1.00;10.00,1.00;10.00,8.00"', 'points="1.00,1.00;10.00,1.00"'),
            r"<polygon> 2 \(person\): field points: a polygon needs at least 3 points, got 2",
        ),
        (('<box label="car"', '<box label="truck"'), r"<box> 0 \(truck\): field label: unknown label 'truck'"),
        (
            (f'rle="{CROP_RLE}"', 'rle="1, 2, 1, 4, 3"'),
            r"<mask> 4 \(car\): field rle: the runs cover 11 pixels, the 4x3 crop has 12",
        ),
        (
            ('left="5"', 'left="38"'),
            r"<mask> 4 \(car\): fields left/top/width/height: the 4x3 mask at \(38, 10\) lies outside",
        ),
        (("<version>1.1</version>", "<version>2.0</version>"), r"annotations.xml: field <version>: .* got '2.0'"),
        (('width="40"', 'width="forty"'), r"image 0 \(a.jpg\): field width: expected a number, got 'forty'"),
        (
            ('<tag label="car" source="manual">', '<cube label="car"/><tag label="car">'),
            r"<cube> 6: unknown shape <cube>",
        ),
    ],
)
def test_malformed_xml_names_file_image_shape_and_field(tmp_path, edit, message):
    _export(tmp_path, xml=XML.replace(*edit, 1))
    with pytest.raises(DatasetError, match=message):
        CVAT.read(tmp_path)


def test_a_writer_error_writes_nothing(tmp_path):
    _export(tmp_path / "src")
    s = CVAT.read(tmp_path / "src")
    s.images[1].instances.append(Instance(0, [0, 0, 25, 5]))  # b.jpg is 20 wide
    with pytest.raises(DatasetError, match=r"image 1 \(b.jpg\), instance 0: field box: .* outside the 20x10"):
        CVAT.write(s, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_coco_like_round_trip(tmp_path):
    from .test_yolo import assert_round_trip, coco_like_set

    report = CVAT.write(coco_like_set(tmp_path), tmp_path / "cvat")
    back = CVAT.read(tmp_path / "cvat")
    assert report.category_map == {1: 0, 90: 1} and report.skipped == []
    assert_round_trip(coco_like_set(tmp_path), back, report, masks=True)
    assert back.images[0].instances[1].polygons == coco_like_set(tmp_path).images[0].instances[1].polygons
