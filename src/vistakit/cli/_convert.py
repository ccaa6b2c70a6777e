"""``vistakit convert``: annotations from one registered format to another."""

from __future__ import annotations

import argparse

from ._main import HelpFormatter

EPILOG = """The formats are those registered (`vistakit convert --formats` lists them with what
each can hold). The source is read and checked first (unknown category ids, boxes outside
their image...): on an error nothing is written and the one-line message names the file,
the record and the field. Category ids are mapped explicitly and printed; what the target
cannot express (a polygon in a box-only format, a crowd region, captions...) is listed.

examples:
  vistakit convert --formats
  vistakit convert annotations/instances_val2017.json --from coco --to coco --out copy/instances_val2017.json
  vistakit convert annotations/instances_val2017.json --from coco --to coco --images val2017 \\
      --out out/instances_val2017.json --write-option indent=1
"""


def _options(pairs: list[str] | None, flag: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for p in pairs or []:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise ValueError(f"{flag} expects KEY=VALUE, got {p!r}")
        out[key.replace("-", "_")] = int(value) if value.lstrip("-").isdigit() else value
    return out


def _cmd_formats() -> int:
    from ..data import get_format, list_formats

    rows = [("FORMAT", "WRITES", "TASKS", "ABOUT")]
    for name in list_formats():
        fmt = get_format(name)
        rows.append((name, "yes" if fmt.can_write else "no", ",".join(fmt.tasks), fmt.describe))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join([c.ljust(w) for c, w in zip(r[:3], widths)] + [r[3]]).rstrip())
    return 0


def _cmd_convert(args: argparse.Namespace) -> int:
    if args.formats:
        return _cmd_formats()
    missing = [
        flag
        for flag, v in (("SRC", args.src), ("--from", args.from_format), ("--to", args.to_format), ("--out", args.out))
        if v is None
    ]
    if missing:
        raise ValueError(f"missing {', '.join(missing)} (see vistakit convert --help)")
    from ..data import convert, get_format

    get_format(args.from_format), get_format(args.to_format)  # unknown names fail before reading
    read_options = _options(args.read_option, "--read-option")
    if args.images is not None:
        read_options["image_root"] = args.images
    report = convert(
        args.src,
        args.out,
        from_format=args.from_format,
        to_format=args.to_format,
        read_options=read_options,
        write_options=_options(args.write_option, "--write-option"),
    )
    print(report.summary())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "convert",
        help="convert annotations between formats (a report lists what the target cannot hold)",
        description="Read SRC in one annotation format, check it, and write it in another.",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    p.add_argument("src", nargs="?", metavar="SRC", help="the annotation file or folder to read")
    p.add_argument("--from", dest="from_format", metavar="FMT", help="format of SRC")
    p.add_argument("--to", dest="to_format", metavar="FMT", help="format to write")
    p.add_argument("--out", metavar="PATH", help="file or folder to write")
    p.add_argument("--images", metavar="DIR", help="folder of the images (passed to the reader as image_root)")
    p.add_argument(
        "--read-option",
        action="append",
        metavar="KEY=VALUE",
        help="an option of the reader (repeatable), e.g. on_invalid=skip",
    )
    p.add_argument(
        "--write-option",
        action="append",
        metavar="KEY=VALUE",
        help="an option of the writer (repeatable), e.g. indent=1",
    )
    p.add_argument("--formats", action="store_true", help="list the registered formats and exit")
    p.set_defaults(func=_cmd_convert)
