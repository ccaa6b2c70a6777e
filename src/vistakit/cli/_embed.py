"""``vistakit embed`` and ``vistakit similar``: search a collection of images by embedding."""

from __future__ import annotations

import argparse

from ._main import HelpFormatter


def _cmd_embed(args: argparse.Namespace) -> int:
    from ..features import embed_dataset, embed_folder

    if (args.folder is None) == (args.dataset is None):
        raise ValueError("give either a folder of images or --dataset NAME (not both)")
    common = dict(
        weights=args.weights,
        image_size=args.image_size,
        batch_size=args.batch_size,
        device=args.device,
        workers=args.workers,
        progress=True,
        cache=args.cache,
    )
    if args.dataset is not None:
        from ..data import load_dataset
        from ._datasets import _options

        ds = load_dataset(args.dataset, args.split, root=args.root, download=not args.offline, **_options(args.option))
        emb = embed_dataset(args.model, ds, root=args.root, **common)
        what = f"{ds.info.name} {ds.split}"
    else:
        emb = embed_folder(args.model, args.folder, **common)
        what = args.folder
    out = emb.save(args.out)
    t = emb.transform
    extra = f" (+ {out.with_suffix('.json')})" if out.suffix == ".npy" else ""
    print(
        f"wrote {out}{extra}: {len(emb):,} images of {what} x {emb.features.shape[1]} dimensions "
        f"({emb.model}, weights {emb.weights or 'none'}; resize {t.resize}, crop {t.crop}, {t.interpolation})"
    )
    return 0


def _cmd_similar(args: argparse.Namespace) -> int:
    from ..features import Embeddings, search_similar, write_similar_html

    emb = Embeddings.load(args.embeddings)
    found = search_similar(emb, args.query, k=args.k, device=args.device)
    print(f"{'rank':>4}  {'cosine':>7}  path")
    for nb in found:
        label = f"  [{nb.label}]" if nb.label is not None else ""
        print(f"{nb.rank:>4}  {nb.similarity:7.4f}  {nb.path}{label}")
    if args.html:
        print(f"wrote {write_similar_html(args.html, emb, args.query, found)}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``embed`` and ``similar``."""
    p = subparsers.add_parser(
        "embed",
        help="embed images with any backbone (pre-logits features) to .npz or .npy",
        description=(
            "Pre-logits features of every image, saved with the paths, labels (data sets), model, weights and\n"
            "preprocessing, so `vistakit similar` embeds a query exactly the same way.\n"
            "Preprocessing: a published weights tag uses its eval transform; a checkpoint file or no weights\n"
            "resizes the shorter side to --image-size and center-crops it (ImageNet mean/std). Grey images are\n"
            "replicated to RGB. .npz holds everything; .npy holds the features, the rest goes to a .json beside it.\n"
            "--cache DIR keeps the features in vistakit.features' cache (keyed by model, weights, preprocessing\n"
            "and images), so embedding the same images again computes nothing."
        ),
        epilog=(
            "examples:\n"
            "  vistakit embed photos/ --model resnet18 --weights imagenet --out feats.npz\n"
            "  vistakit embed --dataset fashion-mnist --split test --model resnet18 --weights imagenet --out fm.npy\n"
        ),
        formatter_class=HelpFormatter,
    )
    p.add_argument("folder", nargs="?", help="folder of images (searched recursively)")
    p.add_argument("--dataset", help="a registered data set instead of a folder (see `vistakit datasets list`)")
    p.add_argument("--split", default="train", help="split of --dataset (default train)")
    p.add_argument("--root", help="folder holding the data set's files (required for imagefolder)")
    p.add_argument("--offline", action="store_true", help="never download data set files")
    p.add_argument("-o", "--option", action="append", metavar="KEY=VALUE", help="data set reader option")
    p.add_argument("--model", required=True, help="registered model name (see `vistakit models list`)")
    p.add_argument("--weights", help="published tag (e.g. imagenet) or checkpoint file; default: random init")
    p.add_argument(
        "--image-size", type=int, help="crop side (default: the weights' transform, else the model's input size)"
    )
    p.add_argument("--out", required=True, help="output .npz or .npy file")
    p.add_argument("--batch-size", type=int, default=64, help="images per forward pass (default 64)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ... (default cpu)")
    p.add_argument("--workers", type=int, help="decoding threads")
    p.add_argument("--cache", help="feature cache folder (default: none)")
    p.set_defaults(func=_cmd_embed)

    p = subparsers.add_parser(
        "similar",
        help="nearest neighbours of a query image in an embeddings file (exact cosine search)",
        description=(
            "Embeds the query with the model, weights and preprocessing stored in the embeddings file and lists\n"
            "its k most similar images by cosine similarity (exact; blocked matrix products), with an HTML page\n"
            "of the query and its neighbours."
        ),
        epilog="example:\n  vistakit similar feats.npz query.jpg -k 10 --html neighbours.html\n",
        formatter_class=HelpFormatter,
    )
    p.add_argument("embeddings", help="file written by `vistakit embed` (.npz, or .npy with its .json)")
    p.add_argument("query", help="query image file")
    p.add_argument("-k", type=int, default=10, help="neighbours (default 10)")
    p.add_argument("--html", default="similar.html", help="page to write (default similar.html; '' for none)")
    p.add_argument("--device", default="cpu", help="where the model runs (default cpu)")
    p.set_defaults(func=_cmd_similar)
