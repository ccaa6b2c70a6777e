"""`vistakit models ...`: list, inspect, profile, export, predict, import weights."""

from __future__ import annotations

import argparse
import json

from ._main import HelpFormatter


def _categories(published):
    """Class names of published weights (None: a local file, whose class names are unknown)."""
    if published is None:
        return None
    if published.categories == "imagenet":
        from ..data import imagenet_classes

        return imagenet_classes()
    return None


def _list(args) -> int:
    from ..models import list_models, model_info

    rows = [("name", "family", "params", "GFLOPs", "top-1", "input")]
    for name in list_models(args.pattern):
        s = model_info(name)
        top1 = next((f"{w.top1:.2f}" for w in s.weights if w.top1 is not None), "-")
        rows.append((name, s.family, f"{s.num_params / 1e6:.1f}M", f"{s.gflops:.2f}", top1, str(s.input_size)))
    if args.json:
        print(json.dumps([dict(zip(rows[0], r)) for r in rows[1:]], indent=1))
        return 0
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return 0


def _info(args) -> int:
    from ..models import create_model, model_info, summarize

    spec = model_info(args.name)
    model = create_model(args.name)
    size = args.input_size or spec.input_size
    print(
        f"{spec.name}  family={spec.family}  params={spec.num_params:,}  GFLOPs={spec.gflops:.3f} @ {spec.input_size}px"
    )
    print(f"paper: {spec.paper}")
    for w in spec.weights:
        t = w.transform
        print(
            f"weights {w.tag!r}: {w.file_name} (sha256 {w.sha256 or 'unpublished'}) top-1 {w.top1} top-5 {w.top5}; "
            f"eval: resize {t.resize}, crop {t.crop}, {t.interpolation}, mean {t.mean}, std {t.std}"
        )
    print()
    rows = summarize(model, size, max_depth=args.depth)
    name_w = max(len("  " * r.depth + r.name.rsplit(".", 1)[-1] + f" ({r.kind})") for r in rows)
    print(f"{'layer'.ljust(name_w)}  {'output shape':>22}  {'params':>12}")
    for r in rows:
        label = "  " * r.depth + r.name.rsplit(".", 1)[-1] + f" ({r.kind})"
        shape = "x".join(map(str, r.output_shape)) if r.output_shape else "-"
        print(f"{label.ljust(name_w)}  {shape:>22}  {r.params:>12,}")
    return 0


def _profile(args) -> int:
    import torch

    from ..models import create_model, model_info, profile

    torch.set_num_threads(args.threads) if args.threads else None
    spec = model_info(args.name)
    size = args.input_size or spec.input_size
    res = profile(
        create_model(args.name),
        batch_size=args.batch_size,
        input_size=size,
        steps=args.steps,
        modes=tuple(args.modes.split(",")),
    )
    print(f"{args.name}: batch {args.batch_size} at {size}px, {torch.get_num_threads()} threads")
    base = res.get("eager", {}).get("images_per_s")
    for mode, r in res.items():
        if "error" in r:
            print(f"  {mode:14s} unavailable here: {r['error']}")
        else:
            ratio = f"  ({r['images_per_s'] / base:.2f}x eager)" if base else ""
            print(f"  {mode:14s} {r['images_per_s']:10.1f} images/s  {r['latency_ms']:9.1f} ms/batch{ratio}")
    return 0


def _export(args) -> int:
    from ..models import create_model, export_onnx, model_info

    spec = model_info(args.name)
    model = create_model(args.name, weights=args.weights, num_classes=args.num_classes)
    out = args.out or f"{args.name}.onnx"
    rel = export_onnx(model, out, input_size=args.input_size or spec.input_size, check=not args.no_check)
    print(f"wrote {out}" + (f"; onnxruntime agrees with torch to {rel:.1e} relative" if rel is not None else ""))
    return 0


def _predict(args) -> int:
    import torch

    from ..models import create_model, model_info, parse_weights, predict

    spec = model_info(args.name)
    published = parse_weights(args.weights, model=args.name).weights  # None: a checkpoint file or run folder
    model = create_model(args.name, weights=args.weights)
    if published is not None:
        transform = published.transform
    elif spec.weights:  # a local checkpoint: the preprocessing of the model's published weights
        transform = spec.weights[0].transform
    else:
        raise ValueError(f"{args.name} publishes no weights, so the preprocessing for {args.weights} is unknown")
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    preds = predict(model, args.images, transform=transform, categories=_categories(published), topk=args.topk)
    for p in preds:
        print(p.source)
        for i, (label, prob) in enumerate(zip(p.labels, p.probabilities), 1):
            print(f"  {i}. {label:<32s} {prob:7.2%}")
    return 0


def _import_weights(args) -> int:
    from ..models import import_weights

    dest = import_weights(args.name, args.file, tag=args.tag)
    print(
        f"verified {args.file} and stored it as {dest}; create_model({args.name!r}, weights=...) now finds it offline"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "models",
        help="the model zoo: list, inspect, profile, export, predict",
        description="The model zoo.",
        formatter_class=HelpFormatter,
        epilog="examples:\n  vistakit models list 'resnet*'\n  vistakit models info resnet18",
    )
    msub = p.add_subparsers(dest="models_command", metavar="ACTION")

    q = msub.add_parser(
        "list",
        help="table of models",
        formatter_class=HelpFormatter,
        epilog="example:\n  vistakit models list 'efficientnet*'",
    )
    q.add_argument("pattern", nargs="?", default="*", help="shell-style name pattern")
    q.add_argument("--json", action="store_true", help="print JSON instead of a table")
    q.set_defaults(func=_list)

    q = msub.add_parser(
        "info",
        help="the layer tree with output shapes and parameter counts",
        formatter_class=HelpFormatter,
        epilog="example:\n  vistakit models info resnet18 --depth 2",
    )
    q.add_argument("name")
    q.add_argument("--depth", type=int, default=2, help="how deep to show the module tree")
    q.add_argument("--input-size", type=int, help="input side (default: the model's)")
    q.set_defaults(func=_info)

    q = msub.add_parser(
        "profile",
        help="images/s and latency: eager, channels_last, torch.compile",
        formatter_class=HelpFormatter,
        epilog="example:\n  vistakit models profile mobilenet_v2 --batch-size 8",
    )
    q.add_argument("name")
    q.add_argument("--batch-size", type=int, default=8)
    q.add_argument("--input-size", type=int)
    q.add_argument("--steps", type=int, default=5)
    q.add_argument("--threads", type=int, help="torch threads (default: torch's)")
    q.add_argument("--modes", default="eager,channels_last,compile", help="comma-separated modes")
    q.set_defaults(func=_profile)

    q = msub.add_parser(
        "export",
        help="export to ONNX and check it against onnxruntime",
        formatter_class=HelpFormatter,
        epilog="example:\n  vistakit models export resnet18 --format onnx --out resnet18.onnx",
    )
    q.add_argument("name")
    q.add_argument("--format", choices=["onnx"], default="onnx")
    q.add_argument("--out", help="output file (default NAME.onnx)")
    q.add_argument("--weights", help="published tag, checkpoint file or run folder")
    q.add_argument("--num-classes", type=int, default=1000)
    q.add_argument("--input-size", type=int)
    q.add_argument("--no-check", action="store_true", help="skip the onnxruntime comparison")
    q.set_defaults(func=_export)

    q = msub.add_parser(
        "predict",
        help="top-5 classes of images with the model's own eval transform",
        formatter_class=HelpFormatter,
        epilog="example:\n  vistakit models predict mobilenet_v2 --weights imagenet photo.jpg",
    )
    q.add_argument("name")
    q.add_argument("images", nargs="+", help="image files")
    q.add_argument("--weights", required=True, help='"imagenet", a checkpoint file or a run folder')
    q.add_argument("--topk", type=int, default=5)
    q.add_argument("--channels-last", action="store_true", help="run in channels_last memory format")
    q.set_defaults(func=_predict)

    q = msub.add_parser(
        "import-weights",
        help="verify a downloaded published checkpoint and put it in the cache",
        formatter_class=HelpFormatter,
        epilog="example:\n  vistakit models import-weights mobilenet_v2 ~/Downloads/mobilenet_v2-b0353104.pth",
    )
    q.add_argument("name")
    q.add_argument("file")
    q.add_argument("--tag", help="weights entry (default: the one whose hash matches)")
    q.set_defaults(func=_import_weights)

    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])
