"""labelme: JSON files as labelme 5 writes them, read, written back, round-tripped, malformed."""

import base64
import io
import json

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

LABELME = get_format("labelme")


def _shape(label, points, shape_type, *, group_id=None, flags=None, mask=None, description=""):
    # labelme 5.5's key order
    return {
        "label": label,
        "points": points,
        "group_id": group_id,
        "description": description,
        "shape_type": shape_type,
        "flags": flags or {},
        "mask": mask,
    }


def _mask_b64(crop):
    buf = io.BytesIO()
    Image.fromarray(crop.astype(np.uint8)).save(buf, format="PNG")  # labelme: a 0/1 uint8 PNG
    return base64.b64encode(buf.getvalue()).decode()


CROP = np.array([[0, 1, 1], [1, 1, 0]], bool)


def _files(root, *, shapes=None, **top):
    """images/ and annotations/ folders: a.json (imagePath ../images/a.jpg, 40x30), b.json (no shapes)."""
    (root / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(root / "images" / "a.jpg")
    Image.fromarray(np.zeros((10, 20, 3), np.uint8)).save(root / "images" / "b.jpg")
    if shapes is None:
        shapes = [
            _shape("dog", [[30.5, 20.0], [2.0, 1.5]], "rectangle", flags={"occluded": True}, description="left"),
            _shape("cat", [[1, 1], [10, 1], [10, 8]], "polygon", group_id=3),
            _shape("cat", [[20, 20], [25, 20], [25, 28]], "polygon", group_id=3),
            _shape("cat", [[12, 12], [14, 12], [14, 14]], "polygon"),
            _shape("ball", [[20, 15], [23, 19]], "circle"),
            _shape("dog", [[5, 10], [7, 11]], "mask", mask=_mask_b64(CROP)),
            _shape("nose", [[3, 4]], "point"),
            _shape("tail", [[3, 4], [8, 9]], "line"),
        ]
    doc = {
        "version": "5.5.0",
        "flags": {"night": False},
        "shapes": shapes,
        "imagePath": "..\\images\\a.jpg",
        "imageData": None,
        "imageHeight": 30,
        "imageWidth": 40,
        **top,
    }
    (root / "annotations" / "a.json").write_text(json.dumps(doc, indent=2))
    (root / "annotations" / "b.json").write_text(
        json.dumps(
            {
                "version": "5.5.0",
                "flags": {},
                "shapes": [],
                "imagePath": "../images/b.jpg",
                "imageData": None,
                "imageHeight": 10,
                "imageWidth": 20,
            },
            indent=2,
        )
    )


def test_read_every_shape_type(tmp_path):
    _files(tmp_path)
    s = LABELME.read(tmp_path)
    assert [c.name for c in s.categories] == ["ball", "cat", "dog"]
    a, b = s.images
    assert a.file_name == "images/a.jpg" and b.file_name == "images/b.jpg" and b.instances == []
    assert s.image_path(a).is_file()
    rect, grouped, single, circle, mask = a.instances
    np.testing.assert_array_equal(rect.box, [2, 1.5, 30.5, 20])  # corners in any order
    assert rect.category_id == 2 and rect.attributes == {"flags": {"occluded": True}, "description": "left"}
    assert len(grouped.polygons) == 2 and grouped.attributes["group_id"] == 3  # same label + group: one instance
    np.testing.assert_array_equal(grouped.box, [1, 1, 25, 28])
    np.testing.assert_array_equal(single.polygons.rings[0], [[12, 12], [14, 12], [14, 14]])
    np.testing.assert_allclose(circle.box, [15, 10, 25, 20])  # centre (20, 15), radius 5
    assert circle.attributes["shape_type"] == "circle"
    full = mask.rle.decode()
    assert full.sum() == 4 and full[10, 6] and full[10, 7] and full[11, 5] and not full[10, 5]
    np.testing.assert_array_equal(mask.box, [5, 10, 8, 12])
    assert [sh["shape_type"] for sh in a.attributes["shapes"]] == ["point", "line"]


def test_read_write_read_is_equal(tmp_path):
    _files(tmp_path / "src")
    first = LABELME.read(tmp_path / "src")
    report = LABELME.write(first, tmp_path / "out")
    assert report.skipped == [] and report.instances == 5
    doc = json.loads((tmp_path / "out" / "annotations" / "a.json").read_text())
    assert list(doc) == ["version", "flags", "shapes", "imagePath", "imageData", "imageHeight", "imageWidth"]
    assert doc["imagePath"] == "../images/a.jpg" and (tmp_path / "out" / "images" / "a.jpg").is_file()
    src = json.loads((tmp_path / "src" / "annotations" / "a.json").read_text())["shapes"]

    def norm(shapes):  # the same shapes, key order and all, in any order (rectangles: written min corner first)
        def pts(sh):
            p = np.asarray(sh["points"], float)
            return np.stack([p.min(0), p.max(0)]).tolist() if sh["shape_type"] == "rectangle" else p.tolist()

        return sorted(json.dumps({**sh, "points": pts(sh)}) for sh in shapes)

    assert norm(doc["shapes"]) == norm(src)
    again = LABELME.read(tmp_path / "out")
    for x, y in zip(first.images, again.images):
        assert x.file_name == y.file_name and x.attributes == y.attributes
        for i, j in zip(x.instances, y.instances):
            np.testing.assert_array_equal(i.box, j.box)
            assert i.polygons == j.polygons and i.rle == j.rle and i.attributes == j.attributes


def test_round_trip_through_voc_keeps_boxes(tmp_path):
    _files(
        tmp_path / "src",
        shapes=[
            _shape("dog", [[2.25, 1.5], [30.5, 20]], "rectangle"),
            _shape("cat", [[1, 1], [10, 1], [10, 8]], "polygon"),
        ],
    )
    first = LABELME.read(tmp_path / "src")
    report = get_format("voc").write(first, tmp_path / "voc", masks=False)
    assert any("polygon outline" in s for s in report.skipped)
    back = get_format("voc").read(tmp_path / "voc")
    LABELME.write(back, tmp_path / "lm", images="none")
    again = LABELME.read(tmp_path / "lm")
    boxes = {im.file_name.rsplit("/", 1)[-1]: [i.box for i in im.instances] for im in again.images}
    np.testing.assert_allclose(boxes["a.jpg"], [i.box for i in first.images[0].instances], atol=1e-6)


def test_write_from_another_format_reports_and_encodes(tmp_path):
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "x.png")
    crowd = np.zeros((20, 30), bool)
    crowd[5:9, 10:20] = True
    two = Polygons([np.array([[1.0, 1], [5, 1], [5, 5]]), np.array([[8.0, 8], [12, 8], [12, 12]])])
    s = AnnotationSet(
        [Category(4, "a"), Category(9, "b")],
        [
            AnnotatedImage(
                "x.png",
                30,
                20,
                7,
                [
                    Instance(9, two.bbox, polygons=two, id=1, attributes={"difficult": 1}),
                    Instance(4, [10, 5, 20, 9], rle=RLE.encode(crowd), iscrowd=True, id=2),
                ],
            )
        ],
        image_root=tmp_path,
    )
    report = LABELME.write(s, tmp_path / "out")
    assert report.category_map == {4: 0, 9: 1}
    text = "\n".join(report.skipped)
    assert "instance 1: attribute 'difficult'" in text and "instance 2: crowd region" in text
    shapes = json.loads((tmp_path / "out" / "x.json").read_text())["shapes"]
    assert [sh["shape_type"] for sh in shapes] == ["polygon", "polygon", "mask"]
    assert shapes[0]["group_id"] == shapes[1]["group_id"] == 1 and shapes[2]["points"] == [[10, 5], [19, 8]]
    back = LABELME.read(tmp_path / "out")
    assert back.images[0].instances[0].polygons == two and back.images[0].instances[1].iscrowd
    assert back.images[0].instances[1].rle == RLE.encode(crowd)


@pytest.mark.parametrize(
    "shape, message",
    [
        (
            _shape("cat", [[1, 1], [10, 1]], "polygon"),
            r"a.json: shape 0 \(cat\): field points: a polygon needs at least 3 points, got 2",
        ),
        (
            _shape("dog", [[1, 1], [50, 10]], "rectangle"),
            r"a.json: shape 0 \(dog\): field points: the rectangle .* outside the 40x30 image",
        ),
        (
            _shape("dog", [[1, 1], [5, 5], [6, 6]], "rectangle"),
            r"shape 0 \(dog\): field points: a rectangle has 2 corners, got 3",
        ),
        (
            _shape("dog", [[1, 1], [5, 5]], "ellipse"),
            r"shape 0 \(dog\): field shape_type: unknown shape type 'ellipse'",
        ),
        (
            _shape("dog", [[5, 10], [8, 11]], "mask", mask=_mask_b64(CROP)),
            r"shape 0 \(dog\): field mask: a 3x2 crop .* \(expected 4x2\)",
        ),
        (
            _shape("dog", "nope", "rectangle"),
            r"shape 0 \(dog\): field points: expected a list of \[x, y\] pairs, got .nope.",
        ),
        ({"points": [[1, 1], [2, 2]], "shape_type": "rectangle"}, r"a.json: shape 0: field label is missing"),
    ],
)
def test_malformed_shapes_name_file_shape_and_field(tmp_path, shape, message):
    _files(tmp_path, shapes=[shape])
    with pytest.raises(DatasetError, match=message):
        LABELME.read(tmp_path)


def test_missing_keys_and_unknown_label(tmp_path):
    _files(tmp_path)
    doc = json.loads((tmp_path / "annotations" / "a.json").read_text())
    del doc["imageWidth"]
    (tmp_path / "annotations" / "a.json").write_text(json.dumps(doc))
    with pytest.raises(DatasetError, match="a.json: field imageWidth is missing"):
        LABELME.read(tmp_path)
    _files(tmp_path / "two")
    with pytest.raises(DatasetError, match=r"a.json: shape 0 \(dog\): field label: unknown category 'dog'"):
        LABELME.read(tmp_path / "two", classes=["cat", "ball"])


def test_a_writer_error_writes_nothing(tmp_path):
    _files(tmp_path / "src")
    s = LABELME.read(tmp_path / "src")
    s.images[1].instances.append(Instance(0, [0, 0, 25, 5]))  # b.jpg is 20 wide
    with pytest.raises(DatasetError, match=r"image 1 \(images/b.jpg\), instance 0: field box: .* outside the 20x10"):
        LABELME.write(s, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_coco_like_round_trip(tmp_path):
    from .test_yolo import assert_round_trip, coco_like_set

    report = LABELME.write(coco_like_set(tmp_path), tmp_path / "lm")
    back = LABELME.read(tmp_path / "lm")
    assert report.category_map == {1: 0, 90: 1}
    assert_round_trip(coco_like_set(tmp_path), back, report, masks=True)
    assert back.images[0].instances[1].polygons == coco_like_set(tmp_path).images[0].instances[1].polygons


def test_mask_crop_is_the_box_when_it_can_be(tmp_path):
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "x.png")
    m = np.zeros((20, 30), bool)
    m[5:9, 10:20] = True
    s = AnnotationSet(
        [Category(0, "a")],
        [
            AnnotatedImage(
                "x.png",
                30,
                20,
                0,
                [
                    Instance(0, [8, 4, 22, 12], rle=RLE.encode(m), id=0),  # an integer box around the mask: the crop
                    Instance(0, [9.5, 4, 22, 12], rle=RLE.encode(m), id=1),  # not integer: the mask's bounds, reported
                ],
            )
        ],
        image_root=tmp_path,
    )
    report = LABELME.write(s, tmp_path / "out")
    assert report.skipped == [
        (
            "image 0 (x.png), instance 1: box [9.5, 4.0, 22.0, 12.0] (a labelme mask shape's box "
            "is its integer crop; the mask's bounds [10, 5, 20, 9] are kept)"
        )
    ]
    shapes = json.loads((tmp_path / "out" / "x.json").read_text())["shapes"]
    assert shapes[0]["points"] == [[8, 4], [21, 11]] and shapes[1]["points"] == [[10, 5], [19, 8]]
    back = LABELME.read(tmp_path / "out")
    np.testing.assert_array_equal(back.images[0].instances[0].box, [8, 4, 22, 12])
    np.testing.assert_array_equal(back.images[0].instances[1].box, [10, 5, 20, 9])
    assert all(i.rle == RLE.encode(m) for i in back.images[0].instances)


def test_image_data_embeds_the_file(tmp_path):
    _files(tmp_path / "src")
    LABELME.write(LABELME.read(tmp_path / "src"), tmp_path / "out", images="none", image_data=True)
    doc = json.loads((tmp_path / "out" / "annotations" / "a.json").read_text())
    assert base64.b64decode(doc["imageData"]) == (tmp_path / "src" / "images" / "a.jpg").read_bytes()
    assert (tmp_path / "out" / "annotations" / doc["imagePath"]).resolve() == (
        tmp_path / "src" / "images" / "a.jpg"
    ).resolve()
    assert not (tmp_path / "out" / "images").exists()
