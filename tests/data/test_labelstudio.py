"""Label Studio: a JSON export as Label Studio writes it, read, written back, round-tripped, malformed."""

import copy
import itertools
import json
import math

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
from vistakit.data._labelstudio import ls_brush_decode, ls_brush_encode
from vistakit.structures import RLE, Polygons

LS = get_format("labelstudio")


def _brush(mask, *, width_bits=16):
    """A brush RLE built independently of the reader: every run a repeat group with 16-bit lengths (the header
    says so), over the RGBA canvas whose every channel is 255 where the mask is set (label_studio_converter's mask2rle)."""
    flat = np.repeat(np.where(mask.ravel(), 255, 0), 4)
    bits = f"{len(flat):032b}" + f"{8 - 1:05b}" + f"{width_bits - 1:04b}" * 4
    for value, group in itertools.groupby(flat.tolist()):
        n = len(list(group))
        while n:
            k = min(n, 2**width_bits)
            bits += "1" + "00" + f"{k - 1:0{width_bits}b}" + f"{value:08b}"
            n -= k
    bits += "0" * (-len(bits) % 8)
    return [int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)]


BRUSH = np.zeros((100, 200), bool)
BRUSH[60:70, 120:150] = True
BRUSH[65, 150:155] = True


def _result(kind, value, *, rid, w=200, h=100):
    # the key order and fields of a Label Studio 1.x export
    return {
        "original_width": w,
        "original_height": h,
        "image_rotation": 0,
        "value": value,
        "id": rid,
        "from_name": "label",
        "to_name": "image",
        "type": kind,
        "origin": "manual",
    }


def _task(tid, image, results, *, cancelled=None):
    anns = [
        {
            "id": tid,
            "completed_by": 1,
            "result": results,
            "was_cancelled": False,
            "ground_truth": False,
            "created_at": "2024-01-01T00:00:00.000000Z",
            "updated_at": "2024-01-01T00:00:00.000000Z",
            "draft_created_at": None,
            "lead_time": 3.1,
            "prediction": {},
            "result_count": 0,
            "unique_id": "u",
            "import_id": None,
            "last_action": None,
            "task": tid,
            "project": 1,
            "updated_by": 1,
            "parent_prediction": None,
            "parent_annotation": None,
            "last_created_by": None,
        }
    ]
    if cancelled is not None:
        anns.insert(0, {**anns[0], "id": 99, "was_cancelled": True, "result": cancelled})
    return {
        "id": tid,
        "annotations": anns,
        "file_upload": image.rsplit("/", 1)[-1],
        "drafts": [],
        "predictions": [],
        "data": {"image": image},
        "meta": {},
        "created_at": "2024-01-01T00:00:00.000000Z",
        "updated_at": "2024-01-01T00:00:00.000000Z",
        "inner_id": tid,
        "total_annotations": 1,
        "cancelled_annotations": 0,
        "total_predictions": 0,
        "comment_count": 0,
        "unresolved_comment_count": 0,
        "last_comment_updated_at": None,
        "project": 1,
        "updated_by": 1,
        "comment_authors": [],
    }


def _results():
    return [
        _result(
            "rectanglelabels",
            {"x": 10, "y": 20, "width": 25, "height": 50, "rotation": 0, "rectanglelabels": ["car"]},
            rid="a1",
        ),
        _result(
            "rectanglelabels",
            {"x": 50, "y": 10, "width": 10, "height": 20, "rotation": 90, "rectanglelabels": ["person"]},
            rid="a2",
        ),
        _result(
            "polygonlabels",
            {"points": [[5, 10], [20, 10], [20, 40]], "closed": True, "polygonlabels": ["person"]},
            rid="a3",
        ),
        _result("keypointlabels", {"x": 50, "y": 50, "width": 0.5, "keypointlabels": ["nose"]}, rid="a4"),
        _result("brushlabels", {"format": "rle", "rle": _brush(BRUSH), "brushlabels": ["car"]}, rid="a5"),
    ]


def _export(root, tasks=None):
    root.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((100, 200, 3), np.uint8)).save(root / "a1b2c3-street.jpg")
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(root / "empty.png")
    if tasks is None:
        tasks = [
            _task(1, "/data/upload/1/a1b2c3-street.jpg", _results(), cancelled=[]),
            _task(2, "/data/local-files/?d=empty.png", []),
        ]
    (root / "export.json").write_text(json.dumps(tasks, indent=2))
    return root / "export.json"


def test_read_rectangles_rotated_rectangles_polygons(tmp_path):
    s = LS.read(_export(tmp_path))
    assert [c.name for c in s.categories] == ["car", "person"]
    a, b = s.images
    assert (a.file_name, a.width, a.height, a.id) == ("a1b2c3-street.jpg", 200, 100, 1)
    assert (b.file_name, b.width, b.height, b.instances) == ("empty.png", 40, 30, [])  # size from the image header
    rect, rotated, poly, brush = a.instances
    np.testing.assert_allclose(rect.box, [20, 20, 70, 70])  # 10% of 200, 20% of 100, 25% of 200, 50% of 100
    # 90 degrees clockwise about the top-left (100, 10): width 20 px goes down, height 20 px goes left
    np.testing.assert_allclose(rotated.polygons.rings[0], [[100, 10], [100, 30], [80, 30], [80, 10]], atol=1e-12)
    np.testing.assert_allclose(rotated.box, [80, 10, 100, 30], atol=1e-12)
    assert rotated.attributes["rotation"] == 90 and rotated.attributes["rect"] == [100, 10, 20, 20]
    np.testing.assert_allclose(poly.polygons.rings[0], [[10, 10], [40, 10], [40, 40]])
    assert [r["type"] for r in a.attributes["ls_results"]] == ["keypointlabels"]
    np.testing.assert_array_equal(brush.rle.decode(), BRUSH)
    np.testing.assert_array_equal(brush.box, [120, 60, 155, 70])


def test_rotation_matches_a_hand_rotation():
    from vistakit.data._labelstudio import rotated_rectangle

    c = rotated_rectangle(10, 20, 4, 2, 30)
    t = math.radians(30)
    # the far corner (4, 2) from the anchor, turned clockwise on screen (y down)
    np.testing.assert_allclose(c[2], [10 + 4 * math.cos(t) - 2 * math.sin(t), 20 + 4 * math.sin(t) + 2 * math.cos(t)])
    np.testing.assert_allclose(np.linalg.norm(c[1] - c[0]), 4)  # the sides keep their lengths
    np.testing.assert_allclose(np.linalg.norm(c[3] - c[0]), 2)


def test_brush_rle_bit_layout_by_hand():
    # a 1x2 mask [0, 1]: RGBA values 0,0,0,0,255,255,255,255 -> header (8 values, word 8, widths 3/4/8/16),
    # then two repeat groups: flag 1, width index 00 (3 bits), length - 1 = 3, the byte.
    bits = (
        f"{8:032b}"
        + "00111"
        + "0010"
        + "0011"
        + "0111"
        + "1111"
        + "1"
        + "00"
        + "011"
        + "00000000"
        + "1"
        + "00"
        + "011"
        + "11111111"
    )
    bits += "0" * (-len(bits) % 8)
    expected = [int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)]
    assert ls_brush_encode(np.array([[False, True]])) == expected
    np.testing.assert_array_equal(ls_brush_decode(expected, width=2, height=1), [[False, True]])
    big = np.zeros((200, 300), bool)  # 240000 zeros: runs longer than 2**16 are split
    big[199, 299] = True
    np.testing.assert_array_equal(ls_brush_decode(ls_brush_encode(big), width=300, height=200), big)
    np.testing.assert_array_equal(ls_brush_decode(_brush(big), width=300, height=200), big)
    with pytest.raises(ValueError, match="holds 8 values, a 2x2 RGBA canvas has 16"):
        ls_brush_decode(expected, width=2, height=2)


def test_read_write_read_is_equal(tmp_path):
    src = _export(tmp_path / "src")
    first = LS.read(src)
    report = LS.write(first, tmp_path / "out.json")
    assert report.skipped == [] and report.instances == 4
    tasks = json.loads((tmp_path / "out.json").read_text())
    assert tasks[0]["data"] == {"image": "/data/upload/1/a1b2c3-street.jpg"}
    written = tasks[0]["annotations"][0]["result"]
    source = json.loads(src.read_text())[0]["annotations"][1]["result"]
    strip = lambda rs: sorted(json.dumps({k: v for k, v in r.items() if k != "id"}, sort_keys=True) for r in rs)

    def rounded(rs):
        out = copy.deepcopy(rs)
        for r in out:
            for k, v in r["value"].items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    r["value"][k] = round(float(v), 9)
                elif k == "points":
                    r["value"][k] = np.round(np.asarray(v, float), 9).tolist()
                elif k == "rle":  # the same mask; the encoder may pick other run-length widths
                    r["value"][k] = ls_brush_decode(v, width=r["original_width"], height=r["original_height"]).tolist()
        return out

    assert strip(rounded(written)) == strip(rounded(source))  # the same results, up to float rounding
    again = LS.read(tmp_path / "out.json", image_root=tmp_path / "src")
    for x, y in zip(first.images, again.images):
        assert (x.file_name, x.width, x.height) == (y.file_name, y.width, y.height)
        for i, j in zip(x.instances, y.instances):
            np.testing.assert_allclose(i.box, j.box, atol=1e-9)
            assert i.attributes.keys() == j.attributes.keys()


def test_round_trip_through_cvat_keeps_boxes_and_rotation(tmp_path):
    first = LS.read(_export(tmp_path / "src"))
    get_format("cvat").write(first, tmp_path / "c.xml", images="none")
    via = get_format("cvat").read(tmp_path / "c.xml")
    LS.write(via, tmp_path / "back.json")
    back = LS.read(tmp_path / "back.json", image_root=tmp_path / "src")
    for x, y in zip(first.images, back.images):
        for i, j in zip(x.instances, y.instances):
            np.testing.assert_allclose(i.box, j.box, atol=1e-6)
    np.testing.assert_allclose(
        back.images[0].instances[1].polygons.rings[0], first.images[0].instances[1].polygons.rings[0], atol=1e-6
    )


def test_write_from_another_format_reports(tmp_path):
    crowd = np.zeros((20, 30), bool)
    crowd[5:9, 10:20] = True
    two = Polygons([np.array([[1.0, 1], [5, 1], [5, 5]]), np.array([[8.0, 8], [12, 8], [12, 12]])])
    s = AnnotationSet(
        [Category(3, "b"), Category(8, "a")],
        [
            AnnotatedImage(
                "dir/x.png",
                30,
                20,
                5,
                [
                    Instance(3, two.bbox, polygons=two, id=1, attributes={"difficult": 1}),
                    Instance(8, [10, 5, 20, 9], rle=RLE.encode(crowd), iscrowd=True, id=2),
                    Instance(8, [10, 5, 20, 9], id=3),
                ],
            )
        ],
    )
    report = LS.write(s, tmp_path / "o.json", image_prefix="/data/local-files/?d=")
    assert report.category_map == {3: 1, 8: 0}
    text = "\n".join(report.skipped)
    assert "instance 1: 2 polygon rings" in text and "instance 1: attribute 'difficult'" in text
    assert "instance 2: crowd region" in text
    task = json.loads((tmp_path / "o.json").read_text())[0]
    assert task["data"]["image"] == "/data/local-files/?d=dir/x.png"
    r = task["annotations"][0]["result"]
    assert [x["type"] for x in r] == ["polygonlabels", "polygonlabels", "brushlabels", "rectanglelabels"]
    np.testing.assert_allclose(
        [r[3]["value"][k] for k in ("x", "y", "width", "height")], [100 / 3, 25, 100 / 3, 20]
    )  # 10/30, 5/20, 10/30, 4/20 in percent
    back = LS.read(tmp_path / "o.json", image_root=tmp_path)
    assert back.images[0].file_name == "dir/x.png"
    np.testing.assert_array_equal(back.images[0].instances[2].rle.decode(), crowd)  # the mask came back as a brush
    np.testing.assert_allclose(back.images[0].instances[3].box, [10, 5, 20, 9], atol=1e-9)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda r: r[0]["value"].pop("width"), r"task 1: result 0 \(rectanglelabels\): field value.width is missing"),
        (
            lambda r: r[0]["value"].update(x=90),
            r"result 0 \(rectanglelabels\): field value: the region .* outside the 200x100 image",
        ),
        (
            lambda r: r[2]["value"].update(points=[[5, 10], [20, 10]]),
            r"result 2 \(polygonlabels\): field value.points: a polygon needs at least 3 points, got 2",
        ),
        (lambda r: r[0].pop("original_width"), r"result 0 \(rectanglelabels\): field original_width is missing"),
        (
            lambda r: r[0]["value"].update(rectanglelabels=[]),
            r"result 0 \(rectanglelabels\): field value.rectanglelabels: expected one label",
        ),
        (
            lambda r: r[1].update(original_width=300),
            r"result 1 \(rectanglelabels\): fields original_width/original_height: 300x100, but",
        ),
        (lambda r: r[0].update(image_rotation=90), r"result 0 \(rectanglelabels\): field image_rotation: 90"),
        (
            lambda r: r[0]["value"].update(y="20"),
            r"result 0 \(rectanglelabels\): field value.y: expected a finite number, got '20'",
        ),
    ],
)
def test_malformed_results_name_file_task_result_and_field(tmp_path, edit, message):
    results = _results()
    edit(results)
    path = _export(tmp_path, [_task(1, "/data/upload/1/a1b2c3-street.jpg", results)])
    with pytest.raises(DatasetError, match=message):
        LS.read(path)


def test_malformed_tasks_and_unknown_label(tmp_path):
    path = _export(tmp_path, [{"id": 4, "data": {}, "annotations": []}])
    with pytest.raises(DatasetError, match=r"export.json: task 4: field data.image is missing"):
        LS.read(path)
    path = _export(tmp_path, [_task(1, "/data/upload/1/a1b2c3-street.jpg", _results())])
    with pytest.raises(
        DatasetError,
        match=r"task 1: result 1 \(rectanglelabels\): field value.rectanglelabels: unknown category 'person'",
    ):
        LS.read(path, classes=["car"])
    path = _export(tmp_path, [_task(3, "/data/upload/1/missing.jpg", [])])
    with pytest.raises(
        DatasetError,
        match=r"task 3: no result gives original_width/original_height and the image .*missing.jpg is not readable",
    ):
        LS.read(path)


def test_a_writer_error_writes_nothing(tmp_path):
    s = LS.read(_export(tmp_path / "src"))
    s.images[1].instances.append(Instance(0, [0, 0, 45, 5]))  # empty.png is 40 wide
    with pytest.raises(DatasetError, match=r"image 2 \(empty.png\), instance 0: field box: .* outside the 40x30"):
        LS.write(s, tmp_path / "out.json")
    assert not (tmp_path / "out.json").exists()


def test_coco_like_round_trip(tmp_path):
    from .test_yolo import assert_round_trip, coco_like_set

    src = coco_like_set(tmp_path)
    report = LS.write(src, tmp_path / "ls.json")
    assert any("instance 2: 2 polygon rings" in s for s in report.skipped)
    back = LS.read(tmp_path / "ls.json", image_root=tmp_path)
    assert len(back.images[0].instances) == 5  # the two rings came back as two polygons
    del src.images[0].instances[1]
    del back.images[0].instances[1:3]
    assert_round_trip(src, back, report, masks=False)
    assert back.images[0].instances[1].rle == src.images[0].instances[1].rle  # the RLE mask, through a brush
    np.testing.assert_allclose(
        back.images[0].instances[0].polygons.rings[0], src.images[0].instances[0].polygons.rings[0], atol=1e-9
    )
