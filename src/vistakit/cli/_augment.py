"""`vistakit augment ...`: look at what an augmentation pipeline does."""

from __future__ import annotations

import argparse
import glob

from ._main import HelpFormatter

PREVIEW_EPILOG = """examples:
  vistakit augment preview --pipeline aug.yaml --dataset fashion-mnist --out grid.png
  vistakit augment preview --pipeline aug.json --images 'photos/*.jpg' --num 4 --variants 6 --out grid.png

aug.yaml, for example:
  seed: 0
  transforms:
    - RandomResizedCrop: {size: 28, scale: [0.6, 1.0]}
    - HorizontalFlip: {p: 0.5}
    - ColorJitter: {brightness: 0.4, contrast: 0.4}
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    augment = subparsers.add_parser(
        "augment",
        help="augmentation pipelines",
        description="Inspect augmentation pipelines (vistakit.transforms).",
        epilog=PREVIEW_EPILOG,
        formatter_class=HelpFormatter,
    )
    sub = augment.add_subparsers(dest="augment_command", metavar="COMMAND")
    preview = sub.add_parser(
        "preview",
        help="grid of originals and augmented variants",
        description=(
            "Draw a grid: one row per sample, the original then augmented variants, "
            "with boxes and masks drawn where the samples have them."
        ),
        epilog=PREVIEW_EPILOG,
        formatter_class=HelpFormatter,
    )
    preview.add_argument("--pipeline", required=True, help="pipeline file (.yaml, .yml or .json)")
    src = preview.add_mutually_exclusive_group(required=True)
    src.add_argument("--dataset", help="data set name (see `vistakit datasets list`)")
    src.add_argument("--images", help="glob of image files to use instead of a data set")
    preview.add_argument("--split", default="train", help="data set split (default: train)")
    preview.add_argument("--num", type=int, default=6, help="samples, one per row (default: 6)")
    preview.add_argument("--variants", type=int, default=5, help="augmented variants per sample (default: 5)")
    preview.add_argument("--seed", type=int, default=0, help="seed of the variants (default: 0)")
    preview.add_argument("--tile", type=int, default=112, help="tile size in pixels (default: 112)")
    preview.add_argument("--out", required=True, help="output image (.png or .jpg)")
    preview.set_defaults(func=_preview)
    augment.set_defaults(func=lambda args: (augment.print_help(), 0)[1])


def _load_images(pattern: str, num: int) -> list:
    import numpy as np
    from PIL import Image

    files = sorted(glob.glob(pattern))[:num]
    if not files:
        raise FileNotFoundError(f"--images {pattern!r}: no files match")
    out = []
    for f in files:
        with Image.open(f) as im:
            out.append(np.asarray(im.convert("RGB")))
    return out


def _load_dataset(name: str, split: str, num: int) -> list:
    try:
        from ..data import load_dataset
    except ImportError as e:  # the data capability is not installed in this build
        raise ValueError(f"--dataset needs vistakit.data, which is not available ({e})") from None
    items = load_dataset(name, split)
    n = min(num, len(items))
    return [items[i] for i in range(n)]


def _preview(args: argparse.Namespace) -> int:
    from ..transforms import load_pipeline, preview_grid, save_image

    if args.num < 1 or args.variants < 0 or args.tile < 8:
        raise ValueError("--num must be >= 1, --variants >= 0 and --tile >= 8")
    pipeline = load_pipeline(args.pipeline)
    if args.images:
        samples = _load_images(args.images, args.num)
    else:
        samples = _load_dataset(args.dataset, args.split, args.num)
    grid = preview_grid(samples, pipeline, num_variants=args.variants, seed=args.seed, tile_size=args.tile)
    out = save_image(grid, args.out)
    print(f"wrote {out} ({len(samples)} samples x {args.variants} variants, {grid.shape[1]}x{grid.shape[0]} px)")
    return 0


__all__ = ["register"]
