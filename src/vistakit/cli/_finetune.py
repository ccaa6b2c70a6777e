"""`vistakit finetune`: parse into a FinetuneConfig, call :func:`vistakit.engine.finetune_run`, print."""

from __future__ import annotations

import argparse

from ._main import HelpFormatter

EPILOG = """examples:
  vistakit finetune --dataset fashion-mnist --model efficientnet_lite0 --weights imagenet \\
      --image-size 96 --labels-per-class 100 --head-init probe --head-epochs 0 --unfreeze-epochs 5 \\
      --unfreeze-stages 3 --unfreeze-lr 1e-3 --out runs/lite0-ft
  vistakit finetune --dataset fashion-mnist --model mobilenet_v2 --weights imagenet --image-size 64 \\
      --labels-per-class 30 --linear-probe --out runs/mnv2-probe
  vistakit finetune --dataset digits --weights runs/fmnist --freeze stages:1 --head-epochs 5 \\
      --unfreeze-epochs 5 --lr-mult 0.5 --image-size 28 --out runs/digits-from-fmnist

--weights RUN_DIR loads RUN_DIR/best.pt of `vistakit train` or `vistakit finetune` (its model
when --model is left out); the classifier is replaced for the new classes and the first
convolution adapted to the images' channels (grey: the RGB filters summed).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "finetune",
        help="transfer a (pretrained) classifier to a data set: head, then unfreeze; or a linear probe",
        description="Replace the classifier for the data set's classes and input channels, train it with the "
        "layers named by --freeze frozen (no gradient, no optimizer state, BatchNorm statistics "
        "frozen), then optionally unfreeze the last stages with discriminative learning rates "
        "(--lr-mult per stage towards the input). --linear-probe instead fits a logistic regression "
        "on the frozen network's cached features. RUN_DIR gets config.yaml, metrics.jsonl, "
        "best.pt, summary.json and report.html.",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    p.add_argument("--dataset", required=True, help="data set name (see `vistakit datasets list`)")
    p.add_argument("--model", help="model name (see `vistakit models list`); default: the model of --weights RUN_DIR")
    p.add_argument("--weights", help="published tag (imagenet), checkpoint FILE or RUN_DIR; default: random init")
    p.add_argument(
        "--freeze",
        default="backbone",
        metavar="MODE",
        help="frozen during the head phase: backbone, stages:N (stem + first N stages) or none (default backbone)",
    )
    p.add_argument("--head-epochs", type=int, default=5, help="epochs of the head phase (default 5; 0 skips it)")
    p.add_argument("--unfreeze-epochs", type=int, default=0, help="epochs with the last stages unfrozen (default 0)")
    p.add_argument("--unfreeze-stages", type=int, help="stages unfrozen then, from the output (default: all)")
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of the head phase (default 3e-3)")
    p.add_argument("--unfreeze-lr", type=float, help="peak learning rate of the head when unfrozen (default lr/10)")
    p.add_argument(
        "--lr-mult",
        type=float,
        default=0.5,
        help="learning-rate ratio of each stage to the next one when unfrozen (default 0.5)",
    )
    p.add_argument("--image-size", type=int, help="resize batches to this side (default: as the images come)")
    p.add_argument("--labels-per-class", type=int, help="train on this many labelled images per class")
    p.add_argument("--batch-size", type=int, default=64, help="images per step (default 64)")
    p.add_argument("--min-steps", type=int, default=0, help="at least this many steps per phase (default 0)")
    p.add_argument(
        "--linear-probe",
        action="store_true",
        help="fit logistic regression on the frozen network's features (cached in RUN_DIR)",
    )
    p.add_argument(
        "--head-init",
        choices=["random", "probe"],
        default="random",
        help="start the head from random weights or from the linear probe (default random)",
    )
    p.add_argument("--probe-c", type=float, default=1.0, help="inverse L2 strength of the probe (default 1)")
    p.add_argument(
        "--bn-stats",
        choices=["auto", "frozen", "train"],
        default="auto",
        help="BatchNorm statistics of the layers that train: frozen (as loaded) or train; auto: frozen "
        "for published weights (ImageNet statistics beat those of small batches of another "
        "domain), train otherwise (default auto)",
    )
    p.add_argument(
        "--no-precise-bn",
        action="store_true",
        help="keep the running BatchNorm statistics of training instead of recomputing them on the "
        "training images at the end",
    )
    p.add_argument(
        "--val-fraction",
        type=float,
        default=0.0,
        help="share of the (labelled) training images held out for validation (default 0)",
    )
    p.add_argument("--augment", metavar="AUG_YAML", help="YAML list of batch augmentation ops")
    p.add_argument("--seed", type=int, default=0, help="seed of the labelled subset, the head and the order")
    p.add_argument("--amp", choices=["off", "auto", "bf16", "fp16"], default="auto", help="mixed precision")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument("--data-root", help="folder holding the data set's files")
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="the run folder")
    p.add_argument("--overwrite", action="store_true", help="replace another run found in RUN_DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_finetune)


def _finetune(args: argparse.Namespace) -> int:
    from ..engine import FinetuneConfig, TrainConfig, finetune_run

    cfg = FinetuneConfig(
        freeze=args.freeze,
        head_epochs=args.head_epochs,
        unfreeze_epochs=args.unfreeze_epochs,
        unfreeze_stages=args.unfreeze_stages,
        lr=args.lr,
        unfreeze_lr=args.unfreeze_lr,
        lr_mult=args.lr_mult,
        image_size=args.image_size,
        labels_per_class=args.labels_per_class,
        batch_size=args.batch_size,
        min_steps=args.min_steps,
        freeze_bn_stats={"auto": None, "frozen": True, "train": False}[args.bn_stats],
        precise_bn=not args.no_precise_bn,
        linear_probe=args.linear_probe,
        head_init=args.head_init,
        probe_C=args.probe_c,
        seed=args.seed,
        train=TrainConfig(
            amp=args.amp, device=args.device, augment=args.augment, label_smoothing=0.1, warmup_epochs=0.0
        ),
    )
    res = finetune_run(
        cfg,
        dataset=args.dataset,
        model=args.model,
        weights=args.weights,
        out=args.out,
        overwrite=args.overwrite,
        val_fraction=args.val_fraction,
        data_root=args.data_root,
        progress=not args.quiet,
    )
    s = res.summary
    where = "test" if s.get("evaluated_on") == "test" else "validation"
    if "test_accuracy" in s or "val_accuracy" in s:
        key = "test_accuracy" if where == "test" else "val_accuracy"
        print(
            f"{s['method']}: {where} accuracy {s[key]:.4f}  macro F1 {s['macro_f1']:.4f}  "
            f"cross-entropy {s['cross_entropy']:.4f} ({s['cross_entropy_reading']})"
        )
    secs = ", ".join(f"{k} {v:.1f} s" for k, v in s["seconds"].items())
    cached = [k for k, v in s["features_computed"].items() if v == 0]
    note = f"; features read from the cache: {', '.join(cached)}" if cached else ""
    print(f"{s['train_images']:,} training images; {secs}{note}; run folder: {args.out}")
    return 0
