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
  vistakit evaluate --task detection --gt instances_val2017.json --pred detections.json
  vistakit evaluate --task instances --gt instances_val2017.json --pred segmentations.json
  vistakit evaluate --task semantic --gt gtFine_labels/ --pred predictions/ --num-classes 19
  vistakit evaluate --task panoptic --gt-json panoptic_val2017.json --pred-json panoptic_results.json
  vistakit evaluate --task captions --gt captions_val2017.json --pred captions_results.json
  vistakit evaluate --task text --gt ch4_test_gt/ --pred results/

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

detection / instances (--task detection, --task instances): --gt is a COCO annotation file
(instances_*.json), --pred a COCO results file ([{"image_id", "category_id", "bbox" or
"segmentation", "score"}]). Prints the twelve numbers of COCO's summary (AP@[.5:.95], AP50,
AP75, AP small / medium / large, AR@1 / 10 / 100, AR small / medium / large), labelled as
pycocotools prints them and equal to its COCOeval; --task instances scores the masks (RLE or
polygons).

semantic (--task semantic): --gt and --pred are folders of single-channel PNG label maps
(pixel value = class, palette PNGs read as indices), paired by relative path. Prints the
IoU per class, mIoU, frequency-weighted IoU and pixel accuracy; pixels whose true label is
--ignore-index (255) are left out.

panoptic (--task panoptic): COCO panoptic JSON files; the PNG folders default to the JSON
paths without .json (--gt-folder / --pred-folder otherwise). Prints PQ, SQ, RQ for all,
things and stuff and per class, with the official COCO rules (IoU > 0.5, VOID and crowd).

captions (--task captions): --gt is a COCO captions file ("annotations" with image_id and
caption), --pred a results file ([{"image_id", "caption"}], one per image). Prints BLEU-1..4,
ROUGE-L and CIDEr-D as pycocoevalcap computes them. Captions are tokenized by a simple
tokenizer (lowercase, punctuation dropped, split on whitespace), not the Java PTB
tokenizer of the official pipeline, so scores can differ slightly from published ones.

text (--task text): ICDAR 2015 folders of gt_img_N.txt and res_img_N.txt files
(x1,y1,...,x4,y4[,transcription]; "###" marks don't-care regions). Prints precision,
recall and h-mean of the ICDAR 2015 protocol (IoU > 0.5, one-to-one matching).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="quality report of saved predictions (classification, semantic and panoptic segmentation, "
        "captions, scene text) or of generated images (FID, KID, IS)",
        description=(
            "Print scikit-learn's classification report of saved predictions, plus cross-entropy with its "
            "plain-language reading and the calibration error when class probabilities are given; "
            "optionally write a self-contained HTML report. With --task generation, print FID, KID and "
            "the Inception Score of generated images against real ones. With --task semantic, panoptic, "
            "captions or text, print the scores of those tasks (mIoU, PQ, BLEU / ROUGE-L / CIDEr-D, "
            "ICDAR 2015 h-mean)."
        ),
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    p.add_argument("--predictions", type=Path, metavar="FILE", help="predictions, .npz or .csv (--task classification)")
    p.add_argument(
        "--gt",
        type=Path,
        metavar="DIR|FILE",
        help="ground truth: COCO JSON (detection, instances), label-map folder (semantic), captions JSON "
        "(captions), ICDAR txt folder (text)",
    )
    p.add_argument(
        "--pred",
        type=Path,
        metavar="DIR|FILE",
        help="predictions: COCO results JSON (detection, instances), or in the layout of --gt (semantic, "
        "captions, text)",
    )
    p.add_argument("--task", choices=sorted(_TASKS), default="classification", help="what the predictions are")
    p.add_argument(
        "--target-names",
        metavar="NAMES",
        help="class names, comma-separated or a text file with one per line (default: from the file)",
    )
    p.add_argument("--html", type=Path, metavar="OUT.html", help="also write an HTML report here")
    p.add_argument("--images", type=Path, metavar="FILE.npz", help="images of the samples, for the HTML mistakes grid")
    p.add_argument("--digits", type=int, default=2, help="decimals in the report (default 2)")
    p.add_argument("--bins", type=int, default=15, help="confidence bins for calibration (default 15)")
    g = p.add_argument_group("generation (--task generation)")
    g.add_argument("--real", type=Path, metavar="DIR|FILE.npz", help="real images: a folder, or .npz statistics")
    g.add_argument("--fake", type=Path, metavar="DIR|FILE.npz", help="generated images: a folder, or .npz statistics")
    g.add_argument(
        "--extractor",
        choices=("fid_inception", "inception_v3"),
        default="fid_inception",
        help="feature network (default fid_inception, the TensorFlow FID one)",
    )
    g.add_argument(
        "--weights",
        default="default",
        metavar="TAG|FILE",
        help="the extractor's weights: its published ones (default; cache, else download with hash "
        "check) or a checkpoint file",
    )
    g.add_argument("--kid-subsets", type=int, default=100, metavar="N", help="KID subsets (default 100)")
    g.add_argument(
        "--kid-subset-size", type=int, default=1000, metavar="N", help="images per KID subset (default 1000)"
    )
    g.add_argument("--is-splits", type=int, default=10, metavar="N", help="Inception Score splits (default 10)")
    g.add_argument("--batch-size", type=int, default=50, metavar="N", help="images per forward pass (default 50)")
    g.add_argument("--device", default="cpu", help="where the network runs (default cpu)")
    d = p.add_argument_group("semantic and panoptic segmentation (--task semantic, --task panoptic)")
    d.add_argument("--num-classes", type=int, metavar="K", help="number of classes of the label maps (semantic)")
    d.add_argument(
        "--ignore-index",
        type=int,
        default=255,
        metavar="V",
        help="true label of pixels to leave out (semantic; default 255; -1: none)",
    )
    d.add_argument("--gt-json", type=Path, metavar="FILE", help="COCO panoptic ground truth JSON (panoptic)")
    d.add_argument("--pred-json", type=Path, metavar="FILE", help="COCO panoptic predictions JSON (panoptic)")
    d.add_argument("--gt-folder", type=Path, metavar="DIR", help="ground-truth PNGs (default: --gt-json without .json)")
    d.add_argument(
        "--pred-folder", type=Path, metavar="DIR", help="predicted PNGs (default: --pred-json without .json)"
    )
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
    print(classification_report(y_true, y_pred, target_names=names, digits=args.digits, zero_division=0, num_classes=k))
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
            y_true,
            preds.y_pred,
            y_prob=preds.y_prob,
            from_logits=preds.from_logits,
            target_names=names,
            images=images,
            title=f"Classification quality: {preds.source.name}",
            path=args.html,
            digits=args.digits,
            n_bins=args.bins,
        )
        print(f"wrote {args.html}")
    return 0


def _generation(args: argparse.Namespace) -> int:
    if args.real is None or args.fake is None:
        raise ValueError("--task generation needs --real DIR|FILE.npz and --fake DIR|FILE.npz")
    from ..features import generation_report

    report = generation_report(
        args.real,
        args.fake,
        extractor=args.extractor,
        weights=args.weights,
        kid_subsets=args.kid_subsets,
        kid_subset_size=args.kid_subset_size,
        is_splits=args.is_splits,
        batch_size=args.batch_size,
        device=args.device,
    )
    print(report.format())
    return 0


def _need(args: argparse.Namespace, *names: str) -> None:
    missing = ["--" + n.replace("_", "-") for n in names if getattr(args, n) is None]
    if missing:
        raise ValueError(f"--task {args.task} needs {' and '.join(missing)}")


def _semantic(args: argparse.Namespace) -> int:
    _need(args, "gt", "pred", "num_classes")
    from ..metrics import segmentation_scores_of_folders

    names = _target_names(args.target_names)
    ignore = None if args.ignore_index < 0 else args.ignore_index
    result, n = segmentation_scores_of_folders(args.gt, args.pred, num_classes=args.num_classes, ignore_index=ignore)
    print(
        f"{args.pred} against {args.gt}: {n} label maps, {int(result.confusion_matrix.sum())} pixels counted, "
        f"{args.num_classes} classes"
    )
    print()
    print(result.format(names, digits=max(args.digits, 4)))
    return 0


def _panoptic(args: argparse.Namespace) -> int:
    _need(args, "gt_json", "pred_json")
    from ..metrics import panoptic_quality_of_files

    result, names = panoptic_quality_of_files(
        args.gt_json, args.pred_json, gt_folder=args.gt_folder, pred_folder=args.pred_folder
    )
    print(f"{args.pred_json} against {args.gt_json}: panoptic quality (%)")
    print()
    print(result.format(names))
    return 0


def _captions(args: argparse.Namespace) -> int:
    _need(args, "gt", "pred")
    from ..metrics import caption_scores, read_coco_captions

    references, candidates = read_coco_captions(args.gt, args.pred)
    scores = caption_scores(references, candidates)
    print(
        f"{args.pred} against {args.gt}: {len(candidates)} images, "
        f"{sum(len(r) for r in references.values())} reference captions"
    )
    print()
    for name, value in scores.items():
        print(f"{name:>8s} {value:.4f}")
    if "CIDEr" not in scores:
        print("   CIDEr not available (it needs at least two images)")
    return 0


def _text(args: argparse.Namespace) -> int:
    _need(args, "gt", "pred")
    from ..metrics import read_icdar2015_folders, text_detection_scores

    names, gt, pred = read_icdar2015_folders(args.gt, args.pred)
    result = text_detection_scores(gt, pred)
    missing = sum(not p for p in pred)
    print(f"{args.pred} against {args.gt}: ICDAR 2015 protocol (IoU > 0.5, don't-care regions ignored)")
    print()
    print(result.format())
    if missing:
        print(f"({missing} of {len(names)} images have no detections)")
    return 0


def _read_json(path: Path, what: str):
    import json

    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise ValueError(f"{what} {path}: no such file") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{what} {path}: not JSON ({e})") from None


def _coco(args: argparse.Namespace) -> int:
    _need(args, "gt", "pred")
    from ..metrics import coco_evaluate

    gt, pred = _read_json(args.gt, "--gt"), _read_json(args.pred, "--pred")
    if not isinstance(gt, dict) or not isinstance(pred, list):
        raise ValueError(
            "--gt must be a COCO annotation file (a dict with images, annotations, categories) "
            "and --pred a COCO results file (a list of detections)"
        )
    iou_type = "bbox" if args.task == "detection" else "segm"
    result = coco_evaluate(gt, pred, iou_type=iou_type)
    print(
        f"{args.pred} against {args.gt}: {len(pred)} detections on {len(gt.get('images', []))} images, "
        f"COCO {iou_type} evaluation (pycocotools' rules)"
    )
    print()
    print(result.summary())
    return 0


# --task choices; another task adds its function here.
_TASKS = {
    "classification": _classification,
    "generation": _generation,
    "semantic": _semantic,
    "panoptic": _panoptic,
    "captions": _captions,
    "text": _text,
    "detection": _coco,
    "instances": _coco,
}


def _run(args: argparse.Namespace) -> int:
    return _TASKS[args.task](args)
