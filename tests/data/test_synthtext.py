"""SynthText gt.mat written with scipy.io.savemat in the published layout."""

from __future__ import annotations

import numpy as np
import pytest

from vistakit.data import DatasetError, load_dataset, read_annotations

from ._scene_formats import synthtext_quads, write_synthtext


def test_words_chars_and_single_word_images(tmp_path):
    folder = write_synthtext(tmp_path)
    ann = read_annotations(folder / "gt.mat", format="synthtext")
    assert [im.file_name for im in ann.images] == ["8/ballet_106_0.jpg", "8/ballet_106_1.jpg"]
    assert (ann.images[0].width, ann.images[0].height) == (40, 24)
    words = ann.images[0].instances
    assert [w.attributes["text"] for w in words] == ["Lines:", "I", "lost", "Kevin"]
    # Word 2 ("lost"): corners x 14, 19, 19, 14 and y 3, 3, 9, 9, clockwise from the top-left.
    np.testing.assert_array_equal(words[2].polygons.rings[0], [[14, 3], [19, 3], [19, 9], [14, 9]])
    np.testing.assert_array_equal(words[2].box, [14, 3, 19, 9])
    assert [len(w.attributes["char_boxes"]) for w in words] == [6, 1, 4, 5]
    assert words[1].attributes["char_boxes"][0][0] == [36.0, 3.0]  # the 7th character box starts at x = 6 * 6
    single = ann.images[1].instances
    assert len(single) == 1 and single[0].attributes["text"] == "ok"
    s = ann.sample(0)
    assert s.texts == ["Lines:", "I", "lost", "Kevin"] and s.text_instances[3].points.shape == (4, 2)
    assert tuple(s.image.shape) == (3, 24, 40)
    assert len(read_annotations(folder / "gt.mat", format="synthtext", limit=1)) == 1


def test_mismatched_records_are_named(tmp_path):
    folder = write_synthtext(tmp_path, wordbb=[synthtext_quads(3), synthtext_quads(1)[:, :, 0]])
    with pytest.raises(
        DatasetError, match=r"gt.mat: record 0 \(8/ballet_106_0.jpg\): field 'wordBB' holds 3 words but 'txt' has 4"
    ):
        read_annotations(folder / "gt.mat", format="synthtext")
    folder = write_synthtext(tmp_path, charbb=[synthtext_quads(16), synthtext_quads(3)])
    with pytest.raises(
        DatasetError, match=r"record 1 \(8/ballet_106_1.jpg\): field 'charBB' holds 3 characters but .* have 2"
    ):
        read_annotations(folder / "gt.mat", format="synthtext")
    folder = write_synthtext(tmp_path, wordbb=[synthtext_quads(4), np.zeros((3, 4))])
    with pytest.raises(DatasetError, match=r"record 1 .*field 'wordBB' has shape \(3, 4\)"):
        read_annotations(folder / "gt.mat", format="synthtext")
    (folder / "gt.mat").write_bytes(b"not a mat file")
    with pytest.raises(DatasetError, match=r"gt.mat: cannot be read as a MATLAB file"):
        read_annotations(folder / "gt.mat", format="synthtext")


def test_data_set(tmp_path):
    write_synthtext(tmp_path)
    ds = load_dataset("synthtext", "train", root=tmp_path, download=False)
    assert len(ds) == 2 and ds[1].texts == ["ok"]
    assert len(load_dataset("synthtext", "train", root=tmp_path, download=False, limit=1)) == 1
