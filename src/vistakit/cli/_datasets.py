"""``vistakit datasets ...``: list, describe, fetch, preview, summarise and check data sets."""

from __future__ import annotations

import argparse
import textwrap

from ._main import HelpFormatter


def _options(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for p in pairs or []:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise ValueError(f"--option expects KEY=VALUE, got {p!r}")
        out[key.replace("-", "_")] = value
    return out


def _on_disk(info, root) -> str:
    from ..data import locate

    if not info.files:
        return "n/a (root=)"
    found = locate(info, root=root)
    have = [loc for loc in found.values() if loc.path is not None]
    if not have:
        return "no"
    sources = sorted({loc.source for loc in have})
    if len(have) == len(found):
        return f"yes ({', '.join(sources)})"
    return f"partial {len(have)}/{len(found)}"


def _cmd_list(args: argparse.Namespace) -> int:
    from ..data import dataset_info, list_datasets

    rows = [("NAME", "TASK", "IMAGES", "CLASSES", "ON DISK")]
    for name in list_datasets():
        info = dataset_info(name)
        rows.append(
            (
                name,
                info.task,
                f"{info.num_images:,}" if info.splits else "-",
                str(info.num_classes) if info.classes else "-",
                _on_disk(info, args.root),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) if i != 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from ..data import dataset_info, locate

    info = dataset_info(args.name)
    wrap = lambda s, indent="  ": textwrap.fill(
        s, 100, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )  # noqa: E731
    print(f"{info.name}: {info.title}")
    print(f"task: {info.task}")
    if info.splits:
        print("splits: " + ", ".join(f"{s} {n:,}" for s, n in info.splits.items()))
    size = f"{info.image_size[0]}x{info.image_size[1]}" if info.image_size else "varies"
    print(f"images: {size} (HxW), {info.channels} channel(s)")
    if info.classes:
        shown = ", ".join(info.classes[: args.max_classes])
        more = f" ... ({info.num_classes} in all)" if info.num_classes > args.max_classes else ""
        print(f"classes ({info.num_classes}, official order):")
        print(wrap(shown + more))
    for key, names in info.other_labels.items():
        print(f"{key} labels ({len(names)}):")
        print(wrap(", ".join(names)))
    if info.description:
        print("about:")
        print(wrap(info.description))
    print(f"license: {info.license or '-'}")
    print(f"homepage: {info.homepage or '-'}")
    if info.citation:
        print("citation:")
        print(wrap(info.citation))
    if info.files:
        found = locate(info, root=args.root)
        print("files:")
        for f in info.files:
            checks = ", ".join(
                x for x in (f"md5 {f.md5}" if f.md5 else "", f"sha256 {f.sha256}" if f.sha256 else "") if x
            )
            size = f"{f.size:,} bytes" if f.size else "size unknown"
            loc = found[f.name]
            where = f"on disk: {loc.path} ({loc.source})" if loc.path else "not on disk"
            print(f"  {f.name}  [{size}; {checks or 'no checksum'}]")
            for u in f.urls:
                print(f"      {u}")
            print(f"      {where}")
    if info.manual_download:
        print("manual download:")
        print(wrap(info.manual_download))
    return 0


def _cmd_fetch(args: argparse.Namespace) -> int:
    from ..data import fetch_dataset

    found = fetch_dataset(args.name, split=args.split, root=args.root, download=not args.offline)
    for name, loc in found.items():
        print(f"{name}: {loc.path} ({loc.source})")
    return 0


def _load(args: argparse.Namespace, split: str):
    from ..data import load_dataset

    return load_dataset(args.name, split, root=args.root, download=not args.offline, **_options(args.option))


def _cmd_preview(args: argparse.Namespace) -> int:
    from ..data import save_preview

    ds = _load(args, args.split)
    out = save_preview(ds, args.out, per_class=args.per_class, max_classes=args.max_classes)
    print(
        f"wrote {out} ({min(len(ds.classes), args.max_classes)} classes x {args.per_class} samples of {ds.info.name} {ds.split})"
    )
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    from ..data import dataset_stats

    ds = _load(args, args.split)
    print(dataset_stats(ds, workers=args.workers, limit=args.limit, progress=True).format())
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from ..data import check_dataset

    splits = [s.strip() for s in args.splits.split(",") if s.strip()] if args.splits else None
    near = args.near_duplicates or args.model is not None
    embed, embedding_name = None, None
    if args.model is not None:
        from ..features import dataset_embedder

        embed = dataset_embedder(
            args.model,
            weights=args.weights,
            image_size=args.image_size,
            batch_size=args.batch_size,
            device=args.device,
            progress=True,
        )
        embedding_name = f"{args.model}, weights {args.weights or 'none'}"
    elif args.weights is not None:
        raise ValueError("--weights needs --model")
    report = check_dataset(
        args.name,
        splits=splits,
        root=args.root,
        download=not args.offline,
        workers=args.workers,
        imbalance_threshold=args.imbalance,
        progress=True,
        near_duplicates=near,
        near_threshold=args.threshold,
        embed=embed,
        embedding_name=embedding_name,
        **_options(args.option),
    )
    print(report.format(max_examples=args.max_examples))
    return 0 if report.ok else 1


def _common(p: argparse.ArgumentParser, *, load: bool = True) -> None:
    p.add_argument("--root", help="folder holding the files (required for imagefolder)")
    if load:
        p.add_argument("--offline", action="store_true", help="never download; fail if files are missing")
        p.add_argument(
            "-o",
            "--option",
            action="append",
            metavar="KEY=VALUE",
            help="reader option, e.g. label=coarse (cifar100), target_type=bbox (celeba), on_error=skip",
        )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``datasets list|info|fetch|preview|stats|check``."""
    parser = subparsers.add_parser(
        "datasets",
        help="list, describe, fetch, preview and check data sets",
        description="Data sets: the registry, the files on disk, and tools to look at them.",
        epilog="examples:\n  vistakit datasets list\n  vistakit datasets check fashion-mnist\n",
        formatter_class=HelpFormatter,
    )
    sub = parser.add_subparsers(dest="datasets_command", metavar="SUBCOMMAND")
    # `vistakit datasets` alone: this command's help, and the usage-error status.
    parser.set_defaults(func=lambda args: parser.print_help() or 2)

    p = sub.add_parser(
        "list",
        help="table of registered data sets",
        epilog="example:\n  vistakit datasets list\n",
        formatter_class=HelpFormatter,
    )
    _common(p, load=False)
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser(
        "info",
        help="the dataset card: classes, splits, licence, files",
        epilog="example:\n  vistakit datasets info fashion-mnist\n",
        formatter_class=HelpFormatter,
    )
    p.add_argument("name")
    p.add_argument("--max-classes", type=int, default=30, help="class names shown (default 30)")
    _common(p, load=False)
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser(
        "fetch",
        help="find or download the files of a data set",
        epilog="example:\n  vistakit datasets fetch fashion-mnist --split test\n",
        formatter_class=HelpFormatter,
    )
    p.add_argument("name")
    p.add_argument("--split", help="only the files of this split")
    p.add_argument("--root", help="folder to look in first and to download into")
    p.add_argument("--offline", action="store_true", help="only report what is on disk")
    p.set_defaults(func=_cmd_fetch)

    p = sub.add_parser(
        "preview",
        help="write a labelled grid of samples, a few per class",
        epilog="example:\n  vistakit datasets preview fashion-mnist --split test --out grid.png\n",
        formatter_class=HelpFormatter,
    )
    p.add_argument("name")
    p.add_argument("--split", default="train")
    p.add_argument("--out", default="preview.png", help="output image (default preview.png)")
    p.add_argument("--per-class", type=int, default=6, help="samples per class (default 6)")
    p.add_argument("--max-classes", type=int, default=10, help="classes shown (default 10)")
    _common(p)
    p.set_defaults(func=_cmd_preview)

    p = sub.add_parser(
        "stats",
        help="per-channel mean and std, image sizes, class balance",
        epilog="example:\n  vistakit datasets stats fashion-mnist --split train\n",
        formatter_class=HelpFormatter,
    )
    p.add_argument("name")
    p.add_argument("--split", default="train")
    p.add_argument("--limit", type=int, help="only the first N images")
    p.add_argument("--workers", type=int, help="decoding threads for image files")
    _common(p)
    p.set_defaults(func=_cmd_stats)

    p = sub.add_parser(
        "check",
        help="unreadable files, class imbalance, exact duplicates and train/test leaks (+ near duplicates)",
        description=(
            "Exit status 0 when nothing is unreadable, duplicated or leaked, 1 otherwise.\n"
            "--near-duplicates also reports images of a later split whose cosine similarity with an image of an\n"
            "earlier split is at least --threshold (exact copies are counted as leaks, not here). The default\n"
            "embedding is offline and cheap: each image area-downsampled to 16x16 and mean-centred (cosine =\n"
            "correlation of the thumbnails: blind to brightness and contrast changes, tolerant of noise and\n"
            "re-encoding). --model NAME [--weights TAG|FILE] uses a backbone's pre-logits features instead."
        ),
        epilog=(
            "examples:\n  vistakit datasets check fashion-mnist\n  vistakit datasets check imagefolder --root photos/\n"
            "  vistakit datasets check cifar10 --near-duplicates --threshold 0.97\n"
            "  vistakit datasets check imagefolder --root photos/ --model resnet18 --weights imagenet --threshold 0.95\n"
        ),
        formatter_class=HelpFormatter,
    )
    p.add_argument("name")
    p.add_argument("--splits", help="comma-separated splits (default: all of the data set's)")
    p.add_argument("--workers", type=int, help="decoding threads for image files")
    p.add_argument(
        "--imbalance", type=float, default=1.5, help="warn above this largest/smallest class ratio (default 1.5)"
    )
    p.add_argument("--max-examples", type=int, default=5, help="example indices shown per finding (default 5)")
    p.add_argument("--near-duplicates", action="store_true", help="also look for near duplicates between splits")
    p.add_argument(
        "--threshold",
        type=float,
        default=0.995,
        help="cosine similarity of near duplicates (default 0.995: on Fashion-MNIST, 0.98 flags a third of the test set as look-alikes of some training image)",
    )
    p.add_argument(
        "--model", help="embed with this registered backbone instead of 16x16 thumbnails (implies --near-duplicates)"
    )
    p.add_argument("--weights", help="published tag or checkpoint file for --model")
    p.add_argument("--image-size", type=int, help="crop side for --model (default: the weights' transform)")
    p.add_argument("--batch-size", type=int, default=64, help="images per forward pass for --model (default 64)")
    p.add_argument("--device", default="cpu", help="where --model runs (default cpu)")
    _common(p)
    p.set_defaults(func=_cmd_check)
