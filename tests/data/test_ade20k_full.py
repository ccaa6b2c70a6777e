"""ADE20K's full release: objects and parts from the per-image JSON."""

import json

import numpy as np
import pytest

from vistakit.data import DatasetError, load_dataset
from vistakit.data._ade20k import read_full_annotation

from ._scene_formats import write_ade20k_full


def test_objects_and_parts(tmp_path):
    write_ade20k_full(tmp_path)
    ds = load_dataset("ade20k-full", "train", root=tmp_path, download=False, masks=True)
    assert len(ds) == 2
    s = ds[1]
    assert s.labels.tolist() == [2978, 3055, 1870]  # the one-point record is no region
    np.testing.assert_array_equal(s.boxes.data, [[0, 0, 31, 11], [4, 13, 20, 22], [6, 14, 18, 20]])
    attrs = ds.annotations.images[1].instances
    assert [i.attributes["part_level"] for i in attrs] == [0, 0, 1] and attrs[2].attributes["part_of"] == 1
    assert attrs[1].attributes["occluded"] and attrs[1].attributes["attributes"] == ["opened"]
    assert attrs[1].attributes["raw_name"] == "ventana"
    assert s.masks.shape == (3, 24, 32) and s.masks[2].sum() < s.masks[1].sum()
    assert ds.classes[3055] == "windowpane, window" and ds.classes[1870] == "pane"
    whole = load_dataset("ade20k-full", "val", root=tmp_path, download=False, parts=False)
    assert whole[0].labels.tolist() == [2978, 3055]


def test_bad_json_names_the_file_object_and_field(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"annotation": {"object": [{"id": 0, "name_ndx": 3, "polygon": {"x": [1, 2, 3]}}]}}))
    with pytest.raises(DatasetError, match=r"a.json: annotation.object\[0\]: missing or bad field"):
        read_full_annotation(path, width=10, height=10)
    path.write_text(
        json.dumps({"annotation": {"object": [{"id": 0, "name_ndx": 3, "polygon": {"x": [1, 2, 3], "y": [1, 2]}}]}})
    )
    with pytest.raises(DatasetError, match=r"annotation.object\[0\].polygon: 3 x but 2 y values"):
        read_full_annotation(path, width=10, height=10)
    path.write_text("{}")
    with pytest.raises(DatasetError, match="not an ADE20K annotation"):
        read_full_annotation(path, width=10, height=10)
