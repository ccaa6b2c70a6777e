"""Files: the one atomic writer and the one image-folder walker every package uses.

* :func:`atomic_write` / :func:`atomic_open`: the data goes to a temporary file in
  the destination's folder, is flushed and fsynced, and is renamed over the
  destination; on any error the temporary file is removed and the destination is
  left as it was (old file or none), never half written.
* :data:`IMAGE_SUFFIXES` and :func:`list_images`: which files are images, and the
  image files under a folder (sorted, hidden files and folders skipped).

This module imports nothing else of vistakit.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["IMAGE_SUFFIXES", "atomic_open", "atomic_write", "is_image_file", "list_images"]

#: Suffixes (lower case) of the image files that readers, walkers and checks accept.
IMAGE_SUFFIXES: tuple[str, ...] = (
    ".png",
    ".jpg",
    ".jpeg",
    ".bmp",
    ".gif",
    ".ppm",
    ".pgm",
    ".pbm",
    ".tif",
    ".tiff",
    ".webp",
)


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", *, encoding: str | None = None) -> Iterator[IO]:
    """Open a temporary file that replaces ``path`` when the ``with`` block ends without error.

    Args:
        path: the destination; its folder is created if needed.
        mode: ``"wb"`` or ``"w"`` (text, UTF-8 unless ``encoding`` says otherwise).
        encoding: text encoding for ``mode="w"``.

    Yields:
        The open temporary file (``f.name`` is its path, e.g. to verify a checksum before
        the rename). On an exception inside the block it is removed and
        ``path`` is untouched.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open writes whole files: mode must be 'wb' or 'w', got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    try:
        with open(tmp, mode, encoding=(encoding or "utf-8") if mode == "w" else None) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _default_mode())  # mkstemp makes 0600; a written file gets the usual umask mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically; returns the path."""
    with atomic_open(path, "wb" if isinstance(data, (bytes, bytearray, memoryview)) else "w") as f:
        f.write(data)
    return Path(path)


def is_image_file(path: str | os.PathLike) -> bool:
    """True for a path whose suffix is an image suffix (case-insensitive)."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def list_images(folder: str | os.PathLike, *, recursive: bool = True) -> list[Path]:
    """Image files under ``folder``, sorted; hidden files and hidden folders are skipped.

    Args:
        folder: where to look.
        recursive: also look in sub-folders.

    Raises:
        FileNotFoundError: ``folder`` is not a folder.
    """
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: not a folder")
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")) if recursive else []
        found.extend(Path(dirpath) / f for f in filenames if not f.startswith(".") and is_image_file(f))
    return sorted(found)
