"""``vistakit evaluate``: the quality report of saved predictions.

One sub-command, one function per task (``--task``); each reads the file with
the library, computes with the library and prints.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._main import HelpFormatter

EPILOG = """examples:
  vistakit evaluate --predictions preds.npz
  vistakit evaluate --predictions preds.csv --target-names cat,dog,bird --html report.html
  vistakit evaluate --predictions preds.npz --images images.npz --html report.html

file layouts:
  .npz  y_true (N,) integer labels, and y_pred (N,) labels and/or y_prob (N, K)
        class probabilities (or logits (N, K)); optional target_names (K,)
  .csv  a header row; column y_true, optional column y_pred, then one probability
        column per class, in class order, headed by the class name
  --images  .npz with an array "images" (N, H, W[, C]) in the order of the predictions
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="quality report of saved predictions (precision, recall, F1, cross-entropy, HTML)",
        description=(
            "Print scikit-learn's classification report of saved predictions, plus cross-entropy with its "
            "plain-language reading and the calibration error when class probabilities are given; "
            "optionally write a self-contained HTML report."
        ),
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    p.add_argument("--predictions", required=True, type=Path, metavar="FILE", help="predictions, .npz or .csv")
    p.add_argument("--task", choices=sorted(_TASKS), default="classification", help="what the predictions are")
    p.add_argument(
        "--target-names", metavar="NAMES",
        help="class names, comma-separated or a text file with one per line (default: from the file)",
    )
    p.add_argument("--html", type=Path, metavar="OUT.html", help="also write an HTML report here")
    p.add_argument("--images", type=Path, metavar="FILE.npz", help="images of the samples, for the HTML mistakes grid")
    p.add_argument("--digits", type=int, default=2, help="decimals in the report (default 2)")
    p.add_argument("--bins", type=int, default=15, help="confidence bins for calibration (default 15)")
    p.set_defaults(func=_run)


def _target_names(value: str | None) -> list[str] | None:
    if value is None:
        return None
    path = Path(value)
    if path.is_file():
        names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        names = [n.strip() for n in value.split(",")]
    if not names or any(not n for n in names):
        raise ValueError(f"--target-names {value!r}: expected comma-separated non-empty names or a file of names")
    return names


def _classification(args: argparse.Namespace) -> int:
    from ..metrics import (
        classification_report,
        cross_entropy_reading,
        expected_calibration_error,
        html_report,
        load_images,
        load_predictions,
        log_loss,
        top_k_accuracy,
    )

    if args.images is not None and args.html is None:
        raise ValueError("--images is for the mistakes grid of the HTML report: give --html OUT.html too")
    preds = load_predictions(args.predictions)
    names = _target_names(args.target_names) or (list(preds.target_names) if preds.target_names else None)
    k = preds.num_classes or (len(names) if names else None)
    y_true, y_pred = preds.y_true, preds.labels
    n = y_true.size
    print(f"{preds.source}: {n} predictions" + (f", {k} classes" if k else ""))
    print()
    print(classification_report(y_true, y_pred, target_names=names, digits=args.digits, zero_division=0,
                                num_classes=k))
    if preds.y_prob is not None:
        ce = log_loss(y_true, preds.y_prob, from_logits=preds.from_logits)
        print(f"cross-entropy: {ce:.4f} ({cross_entropy_reading(ce)})")
        if k > 5:
            print(f"top-5 accuracy: {top_k_accuracy(y_true, preds.y_prob, k=5):.4f}")
        ece = expected_calibration_error(y_true, preds.y_prob, n_bins=args.bins, from_logits=preds.from_logits)
        print(f"expected calibration error ({args.bins} bins): {ece:.4f}")
    else:
        print("cross-entropy: not available (the file has labels only, no class probabilities)")
    if args.html is not None:
        images = load_images(args.images, n) if args.images is not None else None
        html_report(
            y_true, preds.y_pred, y_prob=preds.y_prob, from_logits=preds.from_logits, target_names=names,
            images=images, title=f"Classification quality: {preds.source.name}", path=args.html,
            digits=args.digits, n_bins=args.bins,
        )
        print(f"wrote {args.html}")
    return 0


# --task choices; another task adds its function here.
_TASKS = {"classification": _classification}


def _run(args: argparse.Namespace) -> int:
    return _TASKS[args.task](args)
