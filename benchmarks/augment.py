"""Augmentation throughput: vistakit.transforms against Albumentations 2.0.x, single thread.

Both libraries run the same operations, configured with the same parameter
ranges, on the same images (synthetic photographs of ImageNet's typical size,
375x500 RGB uint8), called the same way (``op(image=img)``), one image at a
time in one thread. Calls alternate between the libraries image by image, and
per image the fastest of several calls counts, so background load on a shared
machine hits neither. The last column is the
ratio vistakit / Albumentations (> 1: vistakit is faster).

Albumentations (MIT, 2.0.x) is a benchmark-only dependency (the ``dev`` extra).

    python benchmarks/augment.py              # full run
    python benchmarks/augment.py --quick      # fewer rounds
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import vistakit.transforms as T  # noqa: E402


def synthetic_photos(n: int, height: int, width: int, seed: int = 0) -> list[np.ndarray]:
    """Images with smooth shading, shapes of many colours, edges and sensor noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    out = []
    for _ in range(n):
        base = np.stack(
            [
                rng.uniform(40, 200) + rng.uniform(-60, 60) * (xx / width) + rng.uniform(-60, 60) * (yy / height)
                for _ in range(3)
            ],
            axis=-1,
        )
        img = np.clip(base, 0, 255).astype(np.uint8)
        for _ in range(12):
            color = tuple(int(c) for c in rng.integers(0, 256, 3))
            if rng.random() < 0.5:
                c = (int(rng.integers(width)), int(rng.integers(height)))
                cv2.circle(img, c, int(rng.integers(10, 90)), color, -1, cv2.LINE_AA)
            else:
                p1 = (int(rng.integers(width)), int(rng.integers(height)))
                p2 = (int(rng.integers(width)), int(rng.integers(height)))
                cv2.rectangle(img, p1, p2, color, -1)
        noise = rng.normal(0, 6, img.shape)
        out.append(np.clip(img + noise, 0, 255).astype(np.uint8))
    return out


def cases():
    """(name, vistakit transform, albumentations transform) with matching parameters."""
    import albumentations as A
    from albumentations.pytorch import ToTensorV2

    return [
        ("HorizontalFlip", T.HorizontalFlip(p=1.0), A.HorizontalFlip(p=1.0)),
        (
            "Rotate",
            T.Rotate(limit=45, interpolation="linear", border_mode="constant", p=1.0),
            A.Rotate(limit=45, interpolation=cv2.INTER_LINEAR, border_mode=cv2.BORDER_CONSTANT, p=1.0),
        ),
        (
            "Affine",
            T.Affine(scale=(0.9, 1.1), translate=0.1, rotate=15, shear=10, p=1.0),
            A.Affine(
                scale=(0.9, 1.1),
                translate_percent=(-0.1, 0.1),
                rotate=(-15, 15),
                shear={"x": (-10, 10), "y": (0, 0)},
                interpolation=cv2.INTER_LINEAR,
                border_mode=cv2.BORDER_CONSTANT,
                p=1.0,
            ),
        ),
        ("RandomResizedCrop", T.RandomResizedCrop(224), A.RandomResizedCrop(size=(224, 224), p=1.0)),
        (
            "ColorJitter",
            T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, p=1.0),
            A.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, p=1.0),
        ),
        (
            "GaussianBlur",
            T.GaussianBlur(kernel_size=0, sigma=(0.5, 3.0), p=1.0),
            A.GaussianBlur(blur_limit=0, sigma_limit=(0.5, 3.0), p=1.0),
        ),
        ("Normalize", T.Normalize(), A.Normalize()),
        ("Resize", T.Resize(224), A.Resize(224, 224)),
        (
            "ImageNet train pipeline",
            T.Compose(
                [
                    T.RandomResizedCrop(224),
                    T.HorizontalFlip(p=0.5),
                    T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, p=1.0),
                    T.Normalize(),
                    T.ToTensor(),
                ],
                seed=0,
            ),
            A.Compose(
                [
                    A.RandomResizedCrop(size=(224, 224), p=1.0),
                    A.HorizontalFlip(p=0.5),
                    A.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, p=1.0),
                    A.Normalize(),
                    ToTensorV2(),
                ],
                seed=0,
            ),
        ),
    ]


def _measure(ours, theirs, images, rounds: int) -> tuple[float, float]:
    """Images per second of both libraries.

    Each image goes through both libraries back to back, ``rounds`` times, the
    library going first alternating (the second finds the image in cache); per
    image and library the fastest call counts (as ``timeit`` does: on a shared
    machine the slower calls measure the other processes, not the code).
    """
    best = {0: [float("inf")] * len(images), 1: [float("inf")] * len(images)}
    ops = {0: ours, 1: theirs}
    clock = time.perf_counter
    for r in range(rounds):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for i, img in enumerate(images):
            for lib in order:
                t0 = clock()
                ops[lib](image=img)
                best[lib][i] = min(best[lib][i], clock() - t0)
    return len(images) / sum(best[0]), len(images) / sum(best[1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=32, help="distinct images per round")
    parser.add_argument("--rounds", type=int, default=10, help="timed calls per image and library")
    parser.add_argument("--height", type=int, default=375)
    parser.add_argument("--width", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="4 rounds of 16 images")
    parser.add_argument("--only", nargs="+", metavar="OP", help="run only these operations (names as printed)")
    args = parser.parse_args(argv)
    if args.quick:
        args.images, args.rounds = 16, 4

    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    import albumentations

    images = synthetic_photos(args.images, args.height, args.width)
    print(
        f"vistakit vs Albumentations {albumentations.__version__}; OpenCV {cv2.__version__}; "
        f"{args.images} images {args.height}x{args.width} RGB uint8; 1 thread; "
        f"calls interleaved image by image, fastest of {args.rounds} per image"
    )
    header = f"{'operation':<26}{'vistakit img/s':>16}{'albumentations img/s':>22}{'ratio':>8}"
    print(header)
    print("-" * len(header))
    worst = None
    for name, ours, theirs in cases():
        if args.only and name not in args.only:
            continue
        for img in images[:2]:  # warm-up: caches, lazy imports
            ours(image=img)
            theirs(image=img)
        ra, rb = _measure(ours, theirs, images, args.rounds)
        ratio = ra / rb
        worst = ratio if worst is None else min(worst, ratio)
        print(f"{name:<26}{ra:>16.0f}{rb:>22.0f}{ratio:>8.2f}")
    if worst is not None:
        print(f"lowest ratio: {worst:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
