"""Polygons, panoptic segments, text instances and captions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vistakit.structures import (
    Caption,
    PanopticSegment,
    Polygons,
    Sample,
    TextInstance,
    id_to_rgb,
    rgb_to_id,
    segments_from_ids,
)

# --------------------------------------------------------------------------- polygons


def test_polygons_coco_round_trip_and_bbox():
    seg = [[1.0, 2.0, 5.0, 2.0, 5.0, 7.5], [10.0, 10.0, 12.0, 10.0, 12.0, 11.0, 10.0, 11.0]]
    p = Polygons.from_coco(seg)
    assert len(p) == 2 and [len(r) for r in p.rings] == [3, 4]
    assert p.to_coco() == seg
    assert Polygons.from_coco(p.to_coco()) == p
    np.testing.assert_array_equal(p.bbox, [1, 2, 12, 11])
    assert p.shoelace_area() == 0.5 * 4 * 5.5 + 2 * 1


def test_polygon_area_is_the_rasterised_pixel_count():
    # the square [2, 5] x [2, 5] covers pixels 2..4 both ways (pixel j spans [j, j + 1)): 9 pixels,
    # its geometric area
    p = Polygons((np.array([[2, 2], [5, 2], [5, 5], [2, 5]], float),))
    assert p.area(height=10, width=10) == 9 == p.shoelace_area()
    m = p.to_mask(height=10, width=10)
    assert m[2:5, 2:5].all() and m.sum() == 9
    # clipped by the image like the COCO API does: only the part inside counts
    assert Polygons((np.array([[-3, -3], [2, -3], [2, 2], [-3, 2]], float),)).area(height=10, width=10) == 4


def test_transform_closed_forms():
    p = Polygons((np.array([[1.0, 2.0], [4.0, 2.0], [4.0, 6.0]]),))
    w, _h = 10, 8
    hflip = np.array([[-1.0, 0, w], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(p.transform(hflip).rings[0], [[9, 2], [6, 2], [6, 6]])
    rot90 = np.array([[0.0, 1, 0], [-1, 0, w], [0, 0, 1]])  # x' = y, y' = W - x (a quarter turn)
    np.testing.assert_array_equal(p.transform(rot90).rings[0], [[2, 9], [2, 6], [6, 6]])
    persp = np.array([[1.0, 0, 0], [0, 1, 0], [0.1, 0, 1]])
    expected = p.rings[0] / (0.1 * p.rings[0][:, :1] + 1)
    np.testing.assert_allclose(p.transform(persp).rings[0], expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(-50, 50), st.floats(-50, 50)), min_size=3, max_size=12), st.floats(-180, 180))
def test_transform_then_inverse_is_identity(points, angle):
    t = np.deg2rad(angle)
    m = np.array([[np.cos(t), -np.sin(t), 3.0], [np.sin(t), np.cos(t), -2.0], [0, 0, 1]])
    p = Polygons((np.array(points),))
    back = p.transform(m).transform(np.linalg.inv(m))
    np.testing.assert_allclose(back.rings[0], p.rings[0], atol=1e-9)


def test_polygon_without_rings_is_an_empty_mask():
    p = Polygons(())
    assert p.area(height=3, width=4) == 0 and p.to_coco() == []
    np.testing.assert_array_equal(p.bbox, [0, 0, 0, 0])


@pytest.mark.parametrize(
    "rings, field",
    [
        (([[0, 0], [1, 1]],), r"Polygons.rings\[0\]"),
        (([[0, 0, 1], [1, 1, 1], [2, 2, 2]],), r"Polygons.rings\[0\]"),
        (([0, 0, 1, 1, 2],), r"Polygons.rings\[0\]"),
        (([[0, 0], [1, 0], [0, 1]], [[0, 0], [np.nan, 0], [0, 1]]), r"Polygons.rings\[1\]"),
    ],
)
def test_polygon_errors_name_the_field(rings, field):
    with pytest.raises(ValueError, match=field):
        Polygons(rings)


def test_polygons_from_coco_rejects_rle():
    with pytest.raises(ValueError, match="segmentation"):
        Polygons.from_coco({"size": [2, 2], "counts": "4"})


# --------------------------------------------------------------------------- panoptic


def test_id_rgb_round_trip_and_formula():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (7, 5, 3)).astype(np.uint8)
    ids = rgb_to_id(rgb)
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    np.testing.assert_array_equal(ids, r + 256 * g + 256 * 256 * b)
    np.testing.assert_array_equal(id_to_rgb(ids), rgb)
    assert rgb_to_id(np.array([[[1, 2, 3]]], np.uint8))[0, 0] == 1 + 512 + 3 * 65536
    with pytest.raises(ValueError, match="ids"):
        id_to_rgb(np.array([[256**3]]))
    with pytest.raises(ValueError, match="rgb"):
        rgb_to_id(np.zeros((2, 2), np.uint8))


def test_segments_from_ids_measure_area_and_box():
    ids = np.zeros((4, 6), np.int64)
    ids[1:3, 2:5] = 7  # 2 x 3 block
    ids[3, 0] = 9
    segs = segments_from_ids(ids, category_ids={7: 1, 9: 2}, iscrowd={9: True})
    assert segs == [
        PanopticSegment(id=7, category_id=1, iscrowd=False, area=6, bbox=(2, 1, 3, 2)),
        PanopticSegment(id=9, category_id=2, iscrowd=True, area=1, bbox=(0, 3, 1, 1)),
    ]
    assert PanopticSegment.from_coco(segs[1].to_coco()) == segs[1]
    with pytest.raises(ValueError, match="category_ids"):
        segments_from_ids(ids, category_ids={7: 1})
    with pytest.raises(ValueError, match="PanopticSegment.id"):
        PanopticSegment(id=0, category_id=1)


# --------------------------------------------------------------------------- text and captions


def test_icdar_lines_parse_both_ways():
    t = TextInstance.from_icdar("\ufeff377,117,463,117,465,130,378,130,Genaxis Theatre\r\n")
    np.testing.assert_array_equal(t.points, [[377, 117], [463, 117], [465, 130], [378, 130]])
    assert t.transcription == "Genaxis Theatre" and not t.dont_care and t.is_quadrilateral
    assert t.to_icdar() == "377,117,463,117,465,130,378,130,Genaxis Theatre"
    dc = TextInstance.from_icdar("1,2,3,4,5,6,7,8,###")
    assert dc.dont_care
    mlt = TextInstance.from_icdar("1,2,3,4,5,6,7,8,Latin,a,b", with_language=True)
    assert mlt.language == "Latin" and mlt.transcription == "a,b"
    assert TextInstance.from_icdar(mlt.to_icdar(with_language=True), with_language=True) == mlt
    np.testing.assert_array_equal(mlt.bbox, [1, 2, 7, 8])


def test_text_instance_transform_keeps_order_and_fields():
    t = TextInstance(np.array([[0, 0], [4, 0], [4, 2], [0, 2]], float), "hi", "Latin")
    flipped = t.transform(np.array([[-1.0, 0, 10], [0, 1, 0], [0, 0, 1]]))
    np.testing.assert_array_equal(flipped.points, [[10, 0], [6, 0], [6, 2], [10, 2]])
    assert (flipped.transcription, flipped.language, flipped.dont_care) == ("hi", "Latin", False)


def test_text_and_caption_errors_name_the_field():
    with pytest.raises(ValueError, match="TextInstance.points"):
        TextInstance(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="TextInstance.transcription"):
        TextInstance(np.zeros((4, 2)), 5)
    with pytest.raises(ValueError, match="Caption.text"):
        Caption(None)
    with pytest.raises(ValueError, match="ICDAR line"):
        TextInstance.from_icdar("1,2,3")
    assert Caption.from_coco({"id": 3, "image_id": 1, "caption": "a cat"}) == Caption("a cat", 3)


def test_sample_keeps_old_positional_fields():
    s = Sample(np.zeros((2, 2, 3), np.uint8), 1)
    assert s.label == 1 and s.polygons is None and s.text_instances is None and s.captions is None
