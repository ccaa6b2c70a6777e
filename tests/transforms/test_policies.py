"""RandAugment, TrivialAugmentWide, AutoAugment: tables, sampling, targets."""

from __future__ import annotations

import numpy as np

import vistakit.transforms as T
from vistakit.transforms import _functional_geometric as G
from vistakit.transforms import _policies as P

from ._helpers import make_sample


def test_magnitude_tables_match_torchvision():
    space = P._rand_augment_space(10, 224, 224)
    assert space["Posterize"][0].tolist() == [8, 8, 7, 7, 6, 6, 5, 5, 4, 4]
    np.testing.assert_allclose(space["Rotate"][0][[0, 9]], [0, 30])
    np.testing.assert_allclose(space["TranslateX"][0][9], 150 / 331 * 224)
    np.testing.assert_allclose(space["Solarize"][0][[0, 9]], [255, 0])
    wide = P._trivial_space(31)
    assert wide["Posterize"][0][[0, 5, 30]].tolist() == [8, 7, 2]
    np.testing.assert_allclose(wide["Rotate"][0][30], 135)
    assert len(P.IMAGENET_POLICY) == 25 and all(len(sp) == 2 for sp in P.IMAGENET_POLICY)


def test_rand_augment_samples_num_ops_at_the_magnitude():
    s = make_sample(0, height=32, width=32)
    op = T.Compose([T.RandAugment(num_ops=3, magnitude=15, num_magnitude_bins=31)], seed=0)
    names = set()
    for _ in range(30):
        out, params = op(s, return_params=True)
        ops = params["children"][0]["params"]["ops"]
        assert len(ops) == 3
        for name, m in ops:
            names.add(name)
            values, signed = P._rand_augment_space(31, 32, 32)[name]
            assert abs(m) == values[15] and (signed or m >= 0)
        assert out.image.shape == s.image.shape
    assert len(names) >= 8


def test_auto_augment_and_trivial_augment_run_and_replay():
    s = make_sample(1, height=32, width=32)
    for op in (T.AutoAugment(), T.TrivialAugmentWide()):
        p = T.Compose([op], seed=2)
        for _ in range(10):
            out, params = p(s, return_params=True)
            again = T.replay(params, s)
            assert np.array_equal(out.image, again.image)


def test_policy_geometry_keeps_boxes_on_their_masks():
    s = make_sample(2, height=40, width=40, n=3)
    for name, m in [("ShearX", 0.3), ("ShearY", -0.3), ("Rotate", 25.0), ("TranslateX", 7.0), ("TranslateY", -5.0)]:
        out = P.apply_policy_op(s, name, m)
        if len(out.boxes):
            if name.startswith("Translate"):
                ref = G.clip_boxes(s.boxes.data + ([m, 0, m, 0] if name == "TranslateX" else [0, m, 0, m]), 40, 40)
                np.testing.assert_allclose(out.boxes.data, ref[G.box_areas(ref) > 0])
            else:
                np.testing.assert_allclose(out.boxes.data, G.masks_to_boxes(out.masks))
