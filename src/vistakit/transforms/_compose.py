"""Composition: Compose, OneOf, SomeOf, RandomOrder.

Children run on the working form; conversion in and out happens once, at the
outermost call. A composite's record nests its children's records, so a whole
pipeline replays from one ``return_params=True`` result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from ..structures import Sample
from ._base import RngSource, Transform, randint

__all__ = ["Compose", "OneOf", "SomeOf", "RandomOrder"]


def _leaves(t: Transform) -> Iterable[Transform]:
    children = getattr(t, "transforms", None)
    if isinstance(t, _Composite) and children is not None:
        for c in children:
            yield from _leaves(c)
    else:
        yield t


class _Composite(Transform):
    """A transform made of child transforms."""

    def __init__(self, transforms: Sequence[Transform], *, p: float = 1.0) -> None:
        super().__init__(p=p)
        name = type(self).__name__
        transforms = list(transforms)
        for i, t in enumerate(transforms):
            if not isinstance(t, Transform):
                raise ValueError(f"{name}: transforms[{i}] is a {type(t).__name__}; expected a vistakit transform")
        self.transforms = transforms

    def _check_input(self, s: Sample) -> None:  # children check for themselves
        pass

    def _run_child(self, t: Transform, s: Sample, rng, force: bool) -> tuple[Sample, dict]:
        if force:
            t._check_input(s)
            if isinstance(t, _Composite):
                return t._forward_children(s, rng)
            params = t.get_params(rng, s)
            return t.apply(s, params), {"applied": True, "params": params}
        return t._forward(s, rng)

    def _forward(self, s, rng):
        if self.p < 1.0 and rng.random() >= self.p:
            return s, {"applied": False}
        return self._forward_children(s, rng)

    def _forward_children(self, s, rng) -> tuple[Sample, dict]:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.transforms)

    def __getitem__(self, i: int) -> Transform:
        return self.transforms[i]

    def __repr__(self) -> str:
        inner = ",\n".join("  " + repr(t).replace("\n", "\n  ") for t in self.transforms)
        d = self.to_dict()
        d.pop("name")
        d.pop("transforms")
        extra = "".join(f", {k}={v!r}" for k, v in d.items())
        return f"{type(self).__name__}([\n{inner}\n]{extra})"


class Compose(_Composite):
    """Apply transforms in sequence, with one random stream for the whole pipeline.

    Args:
        transforms: the transforms, applied in order.
        p: probability of running the pipeline at all.
        seed: makes the pipeline reproducible: identical inputs give identical
            outputs, and each DataLoader worker derives its own stream from the
            seed and its worker id (see :meth:`set_epoch` for a new stream per epoch).
        min_area: boxes whose area (pixels) falls below this after a transform
            are dropped with their labels, masks, ids and keypoints.
        min_visibility: boxes keeping less than this fraction of their
            transformed area inside the image are dropped likewise.
    """

    def __init__(
        self,
        transforms: Sequence[Transform],
        *,
        p: float = 1.0,
        seed: int | None = None,
        min_area: float | None = None,
        min_visibility: float | None = None,
    ) -> None:
        super().__init__(transforms, p=p)
        if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"Compose: seed must be a non-negative int or None, got {seed!r}")
        self.seed = None if seed is None else int(seed)
        self._rng = RngSource(self.seed)
        if min_area is not None and min_area < 0:
            raise ValueError(f"Compose: min_area must be >= 0, got {min_area}")
        if min_visibility is not None and not 0 <= min_visibility <= 1:
            raise ValueError(f"Compose: min_visibility must be within [0, 1], got {min_visibility}")
        self.min_area = min_area
        self.min_visibility = min_visibility
        if min_area is not None or min_visibility is not None:
            self._propagate((float(min_area or 0.0), float(min_visibility or 0.0)))
        self._check_order()

    def _propagate(self, box_filter: tuple[float, float]) -> None:
        # Inner pipelines with their own settings propagated first and keep them.
        stack = list(self.transforms)
        while stack:
            t = stack.pop()
            if t._box_filter is None:
                t._box_filter = box_filter
            if isinstance(t, _Composite):
                stack.extend(t.transforms)

    def _check_order(self) -> None:
        produced: tuple[str, str] | None = None
        for t in _leaves(self):
            if produced is not None:
                what, by = produced
                if what == "tensor":
                    raise ValueError(
                        f"Compose: {type(t).__name__} comes after {by}, which turns the image into a "
                        "tensor; ToTensor must be the last transform"
                    )
                if t.uint8_only:
                    raise ValueError(
                        f"Compose: {type(t).__name__} needs a uint8 image but comes after {by}, "
                        "which makes it float32; put colour transforms before Normalize"
                    )
            if t.produces is not None:
                produced = (t.produces, type(t).__name__)

    def _forward_children(self, s, rng):
        records = []
        for t in self.transforms:
            s, r = t._forward(s, rng)
            records.append(r)
        return s, {"applied": True, "children": records}

    def _replay(self, s, record):
        if not record.get("applied", False):
            return s
        for t, r in zip(self.transforms, record["children"]):
            s = t._replay(s, r)
        return s


def _weights(transforms: Sequence[Transform]) -> np.ndarray:
    w = np.array([t.p for t in transforms], dtype=np.float64)
    return w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / len(w))


class OneOf(_Composite):
    """Apply exactly one of the transforms, chosen with weights proportional to their ``p``.

    The chosen transform is applied regardless of its own ``p``.

    Args:
        transforms: the candidates.
        p: probability of applying one at all.
    """

    def __init__(self, transforms: Sequence[Transform], *, p: float = 1.0) -> None:
        super().__init__(transforms, p=p)
        if not self.transforms:
            raise ValueError("OneOf: needs at least one transform")

    def _forward_children(self, s, rng):
        i = int(rng.choice(len(self.transforms), p=_weights(self.transforms)))
        s, r = self._run_child(self.transforms[i], s, rng, force=True)
        return s, {"applied": True, "index": i, "child": r}

    def _replay(self, s, record):
        if not record.get("applied", False):
            return s
        return self.transforms[record["index"]]._replay(s, record["child"])


class SomeOf(_Composite):
    """Apply ``n`` of the transforms (weights proportional to their ``p``), in the listed order.

    The chosen transforms are applied regardless of their own ``p``.

    Args:
        transforms: the candidates.
        n: how many to apply, or a (low, high) range drawn per call.
        replace: allow choosing the same transform twice.
        p: probability of applying any at all.
    """

    def __init__(
        self,
        transforms: Sequence[Transform],
        *,
        n: int | Sequence[int] = 1,
        replace: bool = False,
        p: float = 1.0,
    ) -> None:
        super().__init__(transforms, p=p)
        lo, hi = (int(n), int(n)) if isinstance(n, (int, np.integer)) else (int(n[0]), int(n[1]))
        if not 0 <= lo <= hi or (not replace and hi > len(self.transforms)):
            raise ValueError(
                f"SomeOf: n must satisfy 0 <= low <= high <= {len(self.transforms)} "
                f"(the number of transforms, unless replace=True), got {n!r}"
            )
        self.n = [lo, hi]
        self.replace = bool(replace)

    def _forward_children(self, s, rng):
        lo, hi = self.n
        k = lo if lo == hi else randint(rng, lo, hi + 1)
        idx = rng.choice(len(self.transforms), size=k, replace=self.replace, p=_weights(self.transforms))
        idx = sorted(int(i) for i in idx)
        records = []
        for i in idx:
            s, r = self._run_child(self.transforms[i], s, rng, force=True)
            records.append(r)
        return s, {"applied": True, "indices": idx, "children": records}

    def _replay(self, s, record):
        if not record.get("applied", False):
            return s
        for i, r in zip(record["indices"], record["children"]):
            s = self.transforms[i]._replay(s, r)
        return s


class RandomOrder(_Composite):
    """Apply all transforms (each with its own ``p``) in a random order.

    Args:
        transforms: the transforms.
        p: probability of applying them at all.
    """

    def _forward_children(self, s, rng):
        order = [int(i) for i in rng.permutation(len(self.transforms))]
        records = []
        for i in order:
            s, r = self.transforms[i]._forward(s, rng)
            records.append(r)
        return s, {"applied": True, "order": order, "children": records}

    def _replay(self, s, record):
        if not record.get("applied", False):
            return s
        for i, r in zip(record["order"], record["children"]):
            s = self.transforms[i]._replay(s, r)
        return s
