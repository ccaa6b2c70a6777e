"""`vistakit train` and `vistakit lr-find`: parse, call vistakit.engine, print.

The training-speed benchmark against a plain PyTorch baseline is an experiment, not a
command: ``python benchmarks/fashion_mnist.py`` in a source checkout (``make bench`` runs it).
"""

from __future__ import annotations

import argparse

from ._main import HelpFormatter

TRAIN_EPILOG = """examples:
  vistakit train --dataset fashion-mnist --recipe fast --out runs/fmnist
  vistakit train --dataset fashion-mnist --model resnet18 --epochs 20 --lr 3e-3 --augment aug.yaml --out runs/r18
  vistakit train --resume runs/fmnist
  vistakit train --dataset fashion-mnist --recipe fast --ensemble 3 --out runs/three
  torchrun --nproc_per_node=2 -m vistakit train --dataset fashion-mnist --recipe fast --out runs/ddp

aug.yaml lists batch ops of vistakit.transforms.batch, e.g.
  - {name: BatchHorizontalFlip, p: 0.5}
  - {name: BatchRandomCrop, padding: 2}
"""

LR_FIND_EPILOG = """examples:
  vistakit lr-find --dataset fashion-mnist --recipe fast
  vistakit lr-find --dataset fashion-mnist --model resnet18 --batch-size 256 --plot lr.png
"""


def _overrides(args: argparse.Namespace) -> dict:
    return {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "seed": args.seed,
        "augment": args.augment,
        "device": args.device,
        "amp": args.amp,
        "compile": True if args.compile else None,
        "num_workers": args.workers,
        "ensemble": getattr(args, "ensemble", None),
    }


def _threads_arg(text: str) -> int | str:
    if text == "auto":
        return text
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1 or auto, got {text!r}")
    return int(text)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dataset", help="data set name (see `vistakit datasets list`)")
    p.add_argument("--model", help="model name (see `vistakit models list`); default: the recipe's")
    p.add_argument("--recipe", default=None, help="named recipe: default, fast or best (default: default)")
    p.add_argument("--epochs", type=int, help="passes over the training data")
    p.add_argument("--batch-size", type=int, help="images per optimizer step (over all processes)")
    p.add_argument("--lr", type=float, help="peak learning rate")
    p.add_argument("--seed", type=int, help="random seed (same seed, same run)")
    p.add_argument("--augment", metavar="AUG_YAML", help="YAML list of batch augmentation ops")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument("--amp", choices=["off", "auto", "bf16", "fp16"], help="mixed precision")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--workers", type=int, help="DataLoader workers (data sets not held in memory)")
    p.add_argument(
        "--threads",
        type=_threads_arg,
        default="auto",
        help="CPU threads of PyTorch: a number, or auto (default: the CPUs this process may use, less "
        "those other processes keep busy; OMP_NUM_THREADS wins when set)",
    )
    p.add_argument("--data-root", help="folder holding the data set's files")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a classifier; writes a run folder with metrics, checkpoints and a report",
        description="Train a registered model on a registered data set. RUN_DIR gets config.yaml, "
        "metrics.jsonl (one line per epoch), checkpoint.pt (last), best.pt, summary.json and "
        "report.html. Runs under torchrun with DistributedDataParallel as well.",
        epilog=TRAIN_EPILOG,
        formatter_class=HelpFormatter,
    )
    _add_common(p)
    p.add_argument("--out", metavar="RUN_DIR", help="the run folder")
    p.add_argument(
        "--ensemble",
        type=int,
        metavar="N",
        help="train N networks one after another (seeds seed..seed+N-1) and average their predictions; "
        "each gets RUN_DIR/member-K/",
    )
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint")
    p.add_argument("--overwrite", action="store_true", help="replace another run found in RUN_DIR")
    p.add_argument(
        "--val-fraction",
        type=float,
        default=0.1,
        help="share of the training split held out for validation when there is no val split (default 0.1)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_train)

    p = subparsers.add_parser(
        "lr-find",
        help="learning-rate range test: suggests a peak learning rate",
        description="Raise the learning rate geometrically over a few hundred steps and report where the "
        "loss falls fastest. The model's weights are not kept.",
        epilog=LR_FIND_EPILOG,
        formatter_class=HelpFormatter,
    )
    _add_common(p)
    p.add_argument("--steps", type=int, default=100, help="steps of the test (default 100)")
    p.add_argument("--start-lr", type=float, default=1e-6, help="first learning rate (default 1e-6)")
    p.add_argument("--end-lr", type=float, default=10.0, help="last learning rate (default 10)")
    p.add_argument("--plot", metavar="PNG", help="save the loss-vs-lr curve here")
    p.set_defaults(func=_lr_find)


def smoothing_note(summary: dict) -> str | None:
    """How to read a run's cross-entropy when it was trained with label smoothing (None: it was not)."""
    if "cross_entropy_floor" not in summary:
        return None
    return (
        f"  (trained with label smoothing {summary['label_smoothing']:g}: a model that predicts its smoothed "
        f"targets exactly scores {summary['cross_entropy_floor']:.3f} on the hard labels; read the "
        "cross-entropy against that floor)"
    )


def _train(args: argparse.Namespace) -> int:
    from ..engine import train_run

    if args.resume and args.out and args.out != args.resume:
        raise ValueError("--resume RUN_DIR continues that folder; drop --out or give the same folder")
    out = args.resume or args.out
    if not out:
        raise ValueError("say where the run goes: --out RUN_DIR (or --resume RUN_DIR)")
    if args.resume and (args.recipe or any(v is not None for v in _overrides(args).values())):
        raise ValueError(
            "--resume continues a run with its own options (RUN_DIR/config.yaml); "
            "only --dataset/--model matching the run may be given"
        )
    summary = train_run(
        out=out,
        dataset=args.dataset,
        model=args.model,
        recipe=args.recipe or "default",
        overrides=_overrides(args),
        resume=bool(args.resume),
        overwrite=args.overwrite,
        val_fraction=args.val_fraction,
        data_root=args.data_root,
        progress=not args.quiet,
    )
    if "num_params" not in summary:  # another process of a torchrun run: rank 0 reports
        return 0
    if "test_accuracy" in summary:
        print(
            f"test accuracy {summary['test_accuracy']:.4f}  macro F1 {summary['macro_f1']:.4f}  "
            f"cross-entropy {summary['cross_entropy']:.4f} ({summary['cross_entropy_reading']})"
        )
        if note := smoothing_note(summary):
            print(note)
    print(
        f"{summary['num_params']:,} parameters, {summary['train_seconds']:.1f} s of training, "
        f"{summary['images_per_second']:,.0f} images/s; run folder: {out}"
    )
    return 0


def _lr_find(args: argparse.Namespace) -> int:
    from ..engine import lr_find_run

    res = lr_find_run(
        dataset=args.dataset,
        model=args.model,
        recipe=args.recipe or "default",
        overrides=_overrides(args),
        num_steps=args.steps,
        start_lr=args.start_lr,
        end_lr=args.end_lr,
        data_root=args.data_root,
        plot=args.plot,
    )
    print(
        f"suggested learning rate: {res.suggestion:.3g}  (lowest loss at {res.min_loss_lr:.3g}; {len(res.lrs)} steps)"
    )
    if args.plot:
        print(f"curve: {args.plot}")
    return 0
