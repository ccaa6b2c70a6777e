"""Small random samples with every kind of target, for the transform tests."""

from __future__ import annotations

import numpy as np

from vistakit.structures import Boxes, Keypoints, Sample


def rect_masks(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """(N, H, W) uint8 masks filling integer xyxy boxes."""
    m = np.zeros((len(boxes), height, width), np.uint8)
    for i, (x1, y1, x2, y2) in enumerate(boxes.astype(int)):
        m[i, y1:y2, x1:x2] = 1
    return m


def random_boxes(rng: np.random.Generator, n: int, height: int, width: int, *, integer: bool = True) -> np.ndarray:
    """(N, 4) xyxy boxes of at least 2x2 pixels inside the image."""
    x1 = rng.integers(0, width - 2, n)
    y1 = rng.integers(0, height - 2, n)
    x2 = np.array([rng.integers(a + 2, width + 1) for a in x1])
    y2 = np.array([rng.integers(a + 2, height + 1) for a in y1])
    b = np.stack([x1, y1, x2, y2], 1).astype(np.float64)
    if not integer:
        b += np.stack(
            [rng.uniform(0, 0.5, n), rng.uniform(0, 0.5, n), -rng.uniform(0, 0.5, n), -rng.uniform(0, 0.5, n)], 1
        )
    return b


def make_sample(
    seed: int = 0,
    *,
    height: int = 24,
    width: int = 32,
    channels: int = 3,
    n: int = 3,
    masks: bool = True,
    mask: bool = True,
    keypoints: bool = True,
) -> Sample:
    """A numpy-form sample: random image, n boxes with labels/ids, rectangle masks,
    a semantic mask of the box labels, and 2 keypoints per instance (box corners)."""
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
    boxes = random_boxes(rng, n, height, width)
    labels = rng.integers(1, 5, n)
    inst = rect_masks(boxes, height, width)
    sem = None
    if mask:
        sem = np.zeros((height, width), np.int64)
        for m, lab in zip(inst, labels):
            sem[m > 0] = lab
    kp = None
    if keypoints:
        pts = np.stack([boxes[:, :2] + 0.5, boxes[:, 2:] - 0.5], 1)  # (N, 2, 2)
        kp = Keypoints(pts)
    return Sample(
        image=image,
        label=int(rng.integers(0, 10)),
        boxes=Boxes(boxes),
        labels=labels,
        masks=inst if masks else None,
        mask=sem,
        keypoints=kp,
        ids=np.arange(100, 100 + n),
    )
