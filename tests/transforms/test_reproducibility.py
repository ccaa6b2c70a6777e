"""Seeds, DataLoader workers, returned parameters, replay, serialization."""

from __future__ import annotations

import json
import pickle
from types import SimpleNamespace

import numpy as np
import pytest

import vistakit.transforms as T
from vistakit.transforms import _base

from ._helpers import make_sample


def _pipeline(seed=0):
    return T.Compose(
        [
            T.RandomResizedCrop((20, 24), scale=(0.3, 1.0)),
            T.HorizontalFlip(),
            T.OneOf([T.Rotate(limit=20), T.Affine(scale=(0.8, 1.2), shear=5)]),
            T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1),
            T.SomeOf([T.GaussianBlur(), T.GaussianNoise(), T.Sharpen()], n=(1, 2)),
            T.CoarseDropout(),
        ],
        seed=seed,
    )


def _run(pipeline, samples):
    return [pipeline(s) for s in samples]


def _equal(a, b):
    return (
        np.array_equal(a.image, b.image)
        and np.array_equal(a.boxes.data, b.boxes.data)
        and np.array_equal(a.masks, b.masks)
        and np.array_equal(a.keypoints.data, b.keypoints.data)
    )


SAMPLES = [make_sample(i) for i in range(6)]


def test_same_seed_same_outputs_different_seed_different_outputs():
    a = _run(_pipeline(1), SAMPLES)
    b = _run(_pipeline(1), SAMPLES)
    c = _run(_pipeline(2), SAMPLES)
    assert all(_equal(x, y) for x, y in zip(a, b))
    assert not all(_equal(x, y) for x, y in zip(a, c))


def _as_worker(monkeypatch, worker_id):
    info = SimpleNamespace(id=worker_id, seed=1234 + worker_id, num_workers=4)
    monkeypatch.setattr(_base, "get_worker_info", lambda: info)


def test_each_worker_derives_its_own_reproducible_stream(monkeypatch):
    outs = {}
    for wid in (0, 1, 0):
        _as_worker(monkeypatch, wid)
        p = pickle.loads(pickle.dumps(_pipeline(7)))  # as a spawned worker receives it
        outs.setdefault(wid, []).append(_run(p, SAMPLES))
    assert all(_equal(x, y) for x, y in zip(outs[0][0], outs[0][1]))  # same worker id: same stream
    assert not all(_equal(x, y) for x, y in zip(outs[0][0], outs[1][0]))  # other worker: other stream
    monkeypatch.setattr(_base, "get_worker_info", lambda: None)
    main = _run(_pipeline(7), SAMPLES)
    assert not all(_equal(x, y) for x, y in zip(main, outs[0][0]))


def test_a_pipeline_used_in_the_main_process_restarts_in_a_worker(monkeypatch):
    p = _pipeline(3)
    _run(p, SAMPLES)  # advances the main-process stream
    _as_worker(monkeypatch, 2)
    in_worker = _run(p, SAMPLES)  # e.g. inherited by fork: the worker key changes
    fresh = _run(_pipeline(3), SAMPLES)  # same worker id, never used before
    assert all(_equal(x, y) for x, y in zip(in_worker, fresh))


def test_set_epoch_changes_the_stream():
    p, q = _pipeline(5), _pipeline(5)
    q.set_epoch(1)
    assert not all(_equal(x, y) for x, y in zip(_run(p, SAMPLES), _run(q, SAMPLES)))
    p.set_epoch(1)
    p2 = _pipeline(5)
    p2.set_epoch(1)
    assert all(_equal(x, y) for x, y in zip(_run(p, SAMPLES), _run(p2, SAMPLES)))


def test_unseeded_workers_differ(monkeypatch):
    p = T.Compose([T.GaussianNoise(p=1.0)])
    _as_worker(monkeypatch, 0)
    a = p(SAMPLES[0])
    _as_worker(monkeypatch, 1)
    b = p(SAMPLES[0])
    assert not np.array_equal(a.image, b.image)


def test_returned_params_replay_exactly_on_the_same_and_on_another_sample():
    p = _pipeline(11)
    for s in SAMPLES[:3]:
        out, params = p(s, return_params=True)
        json.dumps(params)  # plain data
        again = T.replay(json.loads(json.dumps(params)), s)  # through JSON and without the object
        assert _equal(out, again)
        assert _equal(out, p.replay(params, s))
    # Another sample of the same size gets the very same geometry: apply it to a paired label image.
    s = SAMPLES[0]
    geo = T.Compose([T.Rotate(limit=40), T.RandomResizedCrop((16, 16)), T.HorizontalFlip()], seed=0)
    out, params = geo(s, return_params=True)
    paired = s.replace(image=np.repeat(s.mask[:, :, None].astype(np.uint8), 3, axis=2), mask=None)
    moved = T.replay(params, paired)
    assert moved.image.shape == out.image.shape
    assert np.array_equal(moved.masks, out.masks)


def test_every_transform_returns_json_params_and_replays():
    s = make_sample(9)
    partner = make_sample(10)
    for name, cls in T.registered_transforms().items():
        if name in ("Compose", "OneOf", "SomeOf", "RandomOrder"):
            continue
        args = {
            "Resize": ((9, 11),),
            "RandomResizedCrop": (9,),
            "CenterCrop": (4,),
            "RandomCrop": (4,),
            "Crop": ((1, 1, 5, 5),),
            "Pad": (2,),
            "PadIfNeeded": (12,),
            "Letterbox": (10,),
            "SmallestMaxSize": (8,),
            "LongestMaxSize": (8,),
            "Mosaic": (20,),
        }.get(name, ())
        kwargs = {"num_classes": 10} if name in ("MixUp", "CutMix", "Mosaic") else {}
        op = T.Compose([cls(*args, **kwargs)], seed=1)
        op.transforms[0].p = 1.0
        sample = s.replace(meta={"mix_samples": [partner, make_sample(11), make_sample(12)]})
        out, params = op(sample, return_params=True)
        text = json.dumps(params)
        again = T.replay(json.loads(text), sample)
        assert np.array_equal(np.asarray(out.image), np.asarray(again.image)), name


def test_serialization_round_trip_for_every_registered_transform(tmp_path):
    for name, cls in T.registered_transforms().items():
        if name in ("Compose", "OneOf", "SomeOf", "RandomOrder"):
            inner = [T.HorizontalFlip(p=0.3), T.Rotate(limit=(1, 2))]
            op = cls(inner)
        else:
            args = {
                "Resize": ((9, 11),),
                "RandomResizedCrop": (9,),
                "CenterCrop": (4,),
                "RandomCrop": (4,),
                "Crop": ((1, 1, 5, 5),),
                "Pad": (2,),
                "PadIfNeeded": (12,),
                "Letterbox": (10,),
                "SmallestMaxSize": (8,),
                "LongestMaxSize": (8,),
                "Mosaic": (20,),
            }.get(name, ())
            op = cls(*args)
        d = op.to_dict()
        assert d["name"] == name
        back = T.from_dict(json.loads(json.dumps(d)))
        assert back.to_dict() == d, name


def test_pipeline_files_yaml_and_json(tmp_path):
    p = _pipeline(4)
    for suffix in (".yaml", ".json"):
        path = T.save_pipeline(p, tmp_path / f"aug{suffix}")
        q = T.load_pipeline(path)
        assert q.to_dict() == p.to_dict()
        assert all(_equal(x, y) for x, y in zip(_run(_pipeline(4), SAMPLES), _run(q, SAMPLES)))


def test_hand_written_yaml_short_form(tmp_path):
    text = """
seed: 3
min_visibility: 0.2
transforms:
  - RandomResizedCrop: {size: 16, scale: [0.5, 1.0]}
  - HorizontalFlip: {p: 0.5}
  - OneOf:
      transforms:
        - GaussianBlur: {}
        - MedianBlur: {kernel_size: 3}
  - {name: Normalize}
"""
    path = tmp_path / "aug.yml"
    path.write_text(text)
    p = T.load_pipeline(path)
    assert isinstance(p, T.Compose) and p.seed == 3 and p.min_visibility == 0.2
    assert [type(t).__name__ for t in p.transforms] == ["RandomResizedCrop", "HorizontalFlip", "OneOf", "Normalize"]
    assert type(p.transforms[2].transforms[1]).__name__ == "MedianBlur"
    out = p(SAMPLES[0])
    assert out.image.shape == (16, 16, 3) and out.image.dtype == np.float32


def test_bad_pipeline_files(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("transforms:\n  - Rotat: {limit: 3}\n")
    with pytest.raises(ValueError, match=r"bad.yaml: .*unknown transform 'Rotat'"):
        T.load_pipeline(bad)
    bad.write_text("transforms:\n  - Rotate: {angle: 3}\n")
    with pytest.raises(ValueError, match=r"Rotate: bad arguments \['angle'\]"):
        T.load_pipeline(bad)
    with pytest.raises(FileNotFoundError):
        T.load_pipeline(tmp_path / "missing.yaml")
    with pytest.raises(ValueError, match="unknown pipeline format"):
        T.save_pipeline(_pipeline(), tmp_path / "aug.txt")


def test_real_dataloader_workers_are_distinct_and_reproducible():
    from torch.utils.data import DataLoader, Dataset

    class Data(Dataset):
        def __init__(self, pipeline):
            self.pipeline = pipeline
            self.image = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)

        def __len__(self):
            return 8

        def __getitem__(self, i):
            return self.pipeline(image=self.image)["image"]

    def run():
        loader = DataLoader(
            Data(T.Compose([T.GaussianNoise(p=1.0)], seed=5)),
            batch_size=1,
            num_workers=2,
            multiprocessing_context="fork",
        )
        return [b[0].numpy() for b in loader]

    a, b = run(), run()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))  # reproducible run to run
    # items 0, 2, 4, ... come from worker 0 and 1, 3, 5, ... from worker 1: their streams differ
    assert not np.array_equal(a[0], a[1])
