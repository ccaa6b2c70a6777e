"""Entry point: one subcommand per capability, each in its own module."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import MutableMapping, Sequence

from .. import ThreadPolicy, share_cpu

# Each module defines `register(subparsers)`, adding its subcommands with a
# `func(args) -> int` default. Keep this list in the order shown in --help.
_COMMAND_MODULES = [
    "_datasets",
    "_convert",
    "_augment",
    "_models",
    "_train",
    "_finetune",
    "_evaluate",
    "_embed",
    "_demo",
]

EPILOG = """examples:
  vistakit datasets list
  vistakit datasets preview fashion-mnist --split test --out grid.png
  vistakit convert annotations/instances_val2017.json --from coco --to coco --out copy.json
  vistakit models list
  vistakit embed photos/ --model resnet18 --weights imagenet --out feats.npz
  vistakit similar feats.npz query.jpg -k 10
  vistakit demo
  vistakit train --dataset fashion-mnist --recipe fast --out runs/fmnist
  vistakit finetune --dataset fashion-mnist --model mobilenet_v2 --weights imagenet --image-size 64 \
      --labels-per-class 30 --linear-probe --out runs/mnv2-probe
"""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples in epilogs as written."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vistakit",
        description="vistakit: data, augmentation, models, training and quality for computer vision.",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"vistakit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod_name in _COMMAND_MODULES:
        importlib.import_module(f"{__package__}.{mod_name}").register(sub)
    return parser


def apply_cpu_policy(
    args: argparse.Namespace, *, environ: MutableMapping[str, str] | None = None
) -> ThreadPolicy | None:
    """Share the CPU gracefully (:func:`vistakit.share_cpu`) when PyTorch is not loaded yet; None when it is.

    A command run from the shell reaches here before any module imported torch, so the
    bounded OpenMP wait takes effect (beside one CPU hog on 2 cores the fast recipe ran
    ~50x slower without it: benchmarks/contention.py). Called in a process that already
    imported torch (tests, notebooks), it changes nothing there.
    """
    if "torch" in sys.modules:
        return None
    return share_cpu(threads=getattr(args, "threads", None) or "auto", environ=environ)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0 if args.command is None else 2
    apply_cpu_policy(args)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, OSError) as e:
        print(f"vistakit {args.command}: error: {e}", file=sys.stderr)
        return 2
