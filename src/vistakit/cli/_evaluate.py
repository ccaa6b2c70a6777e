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
  vistakit evaluate --task generation --real data/real_images --fake samples/
  vistakit evaluate --task generation --real cifar10_train_stats.npz --fake samples/ --extractor inception_v3

file layouts:
  .npz  y_true (N,) integer labels, and y_pred (N,) labels and/or y_prob (N, K)
        class probabilities (or logits (N, K)); optional target_names (K,)
  .csv  a header row; column y_true, optional column y_pred, then one probability
        column per class, in class order, headed by the class name
  --images  .npz with an array "images" (N, H, W[, C]) in the order of the predictions

generation (--task generation): FID, KID (mean ± std) and the Inception Score of the
fake images (mean ± std). --real / --fake are image folders (searched recursively; any
sizes, each image resized to 299x299) or .npz statistics with "mu" and "sigma"
(pytorch-fid's format; FID only). Folder features are cached, so comparing again
against the same reference folder costs only the new images. The default extractor,
fid_inception, is the TensorFlow FID network with pytorch-fid's weights; scores from
another extractor are not comparable with it, and the report names the one used.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="quality report of saved predictions (precision, recall, F1, cross-entropy, HTML) or of "
             "generated images (FID, KID, IS)",
        description=(
            "Print scikit-learn's classification report of saved predictions, plus cross-entropy with its "
            "plain-language reading and the calibration error when class probabilities are given; "
            "optionally write a self-contained HTML report. With --task generation, print FID, KID and "
            "the Inception Score of generated images against real ones."
        ),
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    p.add_argument("--predictions", type=Path, metavar="FILE",
                   help="predictions, .npz or .csv (--task classification)")
    p.add_argument("--task", choices=sorted(_TASKS), default="classification", help="what the predictions are")
    p.add_argument(
        "--target-names", metavar="NAMES",
        help="class names, comma-separated or a text file with one per line (default: from the file)",
    )
    p.add_argument("--html", type=Path, metavar="OUT.html", help="also write an HTML report here")
    p.add_argument("--images", type=Path, metavar="FILE.npz", help="images of the samples, for the HTML mistakes grid")
    p.add_argument("--digits", type=int, default=2, help="decimals in the report (default 2)")
    p.add_argument("--bins", type=int, default=15, help="confidence bins for calibration (default 15)")
    g = p.add_argument_group("generation (--task generation)")
    g.add_argument("--real", type=Path, metavar="DIR|FILE.npz", help="real images: a folder, or .npz statistics")
    g.add_argument("--fake", type=Path, metavar="DIR|FILE.npz", help="generated images: a folder, or .npz statistics")
    g.add_argument("--extractor", choices=("fid_inception", "inception_v3"), default="fid_inception",
                   help="feature network (default fid_inception, the TensorFlow FID one)")
    g.add_argument("--weights", default="default", metavar="TAG|FILE",
                   help="the extractor's weights: its published ones (default; cache, else download with hash "
                        "check) or a checkpoint file")
    g.add_argument("--kid-subsets", type=int, default=100, metavar="N", help="KID subsets (default 100)")
    g.add_argument("--kid-subset-size", type=int, default=1000, metavar="N",
                   help="images per KID subset (default 1000)")
    g.add_argument("--is-splits", type=int, default=10, metavar="N", help="Inception Score splits (default 10)")
    g.add_argument("--batch-size", type=int, default=50, metavar="N", help="images per forward pass (default 50)")
    g.add_argument("--device", default="cpu", help="where the network runs (default cpu)")
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
    if args.predictions is None:
        raise ValueError("--task classification needs --predictions FILE (.npz or .csv)")
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


def _generation(args: argparse.Namespace) -> int:
    if args.real is None or args.fake is None:
        raise ValueError("--task generation needs --real DIR|FILE.npz and --fake DIR|FILE.npz")
    from ..features import generation_report

    report = generation_report(
        args.real, args.fake, extractor=args.extractor, weights=args.weights, kid_subsets=args.kid_subsets,
        kid_subset_size=args.kid_subset_size, is_splits=args.is_splits, batch_size=args.batch_size,
        device=args.device,
    )
    print(report.format())
    return 0


# --task choices; another task adds its function here.
_TASKS = {"classification": _classification, "generation": _generation}


def _run(args: argparse.Namespace) -> int:
    return _TASKS[args.task](args)
