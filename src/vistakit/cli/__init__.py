"""The `vistakit` command line: thin wrappers that parse, call the library and print."""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
