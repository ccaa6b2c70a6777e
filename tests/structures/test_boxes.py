import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from vistakit.structures import Boxes, BoxFormat, Keypoints, Sample, convert_boxes, normalize_boxes

FORMATS = ["xyxy", "xywh", "cxcywh"]


def test_hand_worked_conversions():
    xyxy = np.array([[10.0, 20.0, 50.0, 80.0]])
    np.testing.assert_array_equal(convert_boxes(xyxy, src="xyxy", dst="xywh"), [[10, 20, 40, 60]])
    np.testing.assert_array_equal(convert_boxes(xyxy, src="xyxy", dst="cxcywh"), [[30, 50, 40, 60]])
    np.testing.assert_array_equal(convert_boxes(np.array([[30.0, 50, 40, 60]]), src="cxcywh", dst="xyxy"), xyxy)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(*[st.integers(-2000, 2000)] * 2, *[st.integers(0, 2000)] * 2), min_size=0, max_size=20),
    st.sampled_from(FORMATS),
    st.sampled_from(FORMATS),
)
def test_conversions_are_exact_both_ways(rows, src, dst):
    # integer boxes in float64: every conversion uses +, - and halving, so round trips are exact
    xywh = np.array(rows, dtype=np.float64).reshape(-1, 4)
    boxes = convert_boxes(xywh, src="xywh", dst=src)
    there = convert_boxes(boxes, src=src, dst=dst)
    back = convert_boxes(there, src=dst, dst=src)
    np.testing.assert_array_equal(back, boxes)
    # and torch gives the same numbers as numpy
    t = convert_boxes(torch.from_numpy(boxes), src=src, dst=dst)
    np.testing.assert_array_equal(t.numpy(), there)


def test_boxes_container():
    b = Boxes(torch.tensor([[0.1, 0.2, 0.5, 0.6]], dtype=torch.float64), "xyxy", normalized=True)
    assert b.format is BoxFormat.XYXY and len(b) == 1
    absb = b.to_absolute(width=200, height=100)
    torch.testing.assert_close(absb.data, torch.tensor([[20.0, 20, 100, 60]], dtype=torch.float64))
    torch.testing.assert_close(absb.to_normalized(width=200, height=100).data, b.data)
    torch.testing.assert_close(b.to("xywh").xyxy(width=200, height=100), absb.data)
    torch.testing.assert_close(absb.area(), torch.tensor([80.0 * 40], dtype=torch.float64))
    with pytest.raises(ValueError, match="need width and height"):
        b.xyxy()


def test_normalize_roundtrip_numpy():
    boxes = np.array([[4.0, 6.0, 8.0, 10.0]])
    np.testing.assert_allclose(normalize_boxes(boxes, width=8, height=20), [[0.5, 0.3, 1.0, 0.5]])


def test_bad_boxes_are_clear_errors():
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        Boxes(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="unknown box format"):
        Boxes(np.zeros((1, 4)), "xyzw")


def test_keypoints_and_sample():
    kp = Keypoints(np.zeros((2, 17, 2)))
    assert kp.visible.shape == (2, 17) and kp.visible.all()
    with pytest.raises(ValueError, match="visible"):
        Keypoints(np.zeros((2, 17, 2)), visible=np.ones((2, 3), bool))
    s = Sample(image=np.zeros((10, 20, 3), np.uint8), label=3)
    assert s.size == (10, 20) and s.channels_last
    t = s.replace(image=torch.zeros(3, 10, 20, dtype=torch.uint8))
    assert t.size == (10, 20) and not t.channels_last and s.channels_last
