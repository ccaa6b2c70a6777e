"""Downloads and the on-disk cache, shared by data sets and model weights.

Every download streams to a temporary file beside its destination, is checked
against the published checksum, and only then is renamed into place, so an
interrupted or corrupt download never looks like data.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from tqdm import tqdm

from ._files import atomic_open

_CHUNK = 1 << 20


class ChecksumError(ValueError):
    """A file's hash differs from the published one."""


def cache_dir(kind: str) -> Path:
    """The cache folder for ``kind`` ("data" or "weights").

    ``$VISTAKIT_DATA`` (data) / ``$VISTAKIT_HOME`` (everything) override the
    default ``~/.cache/vistakit``.
    """
    if kind == "data" and os.environ.get("VISTAKIT_DATA"):
        return Path(os.environ["VISTAKIT_DATA"]).expanduser()
    home = Path(os.environ.get("VISTAKIT_HOME", "~/.cache/vistakit")).expanduser()
    return home if kind == "data" else home / kind


def file_hash(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def check_hash(path: str | os.PathLike, *, sha256: str | None = None, md5: str | None = None) -> None:
    """Raise :class:`ChecksumError` unless the file's hash starts with the expected one.

    A prefix is accepted (published weight files carry the first 8 hex digits of
    their sha256 in the name); an empty expectation checks nothing.
    """
    for algo, expected in (("sha256", sha256), ("md5", md5)):
        if expected:
            actual = file_hash(path, algo)
            if not actual.startswith(expected.lower()):
                raise ChecksumError(
                    f"{path}: {algo} is {actual}, expected {'a value starting with ' if len(expected) < len(actual) else ''}{expected}; "
                    "the file is corrupt, truncated or not the published one"
                )


def download_url(
    urls: str | Iterable[str],
    dest: str | os.PathLike,
    *,
    sha256: str | None = None,
    md5: str | None = None,
    progress: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Download the first URL that works to ``dest``, verified and atomic.

    Args:
        urls: one URL or several mirrors, tried in order (``file://`` works too).
        dest: final path; only a verified file is ever renamed there.
        sha256: expected sha256 (or its prefix).
        md5: expected md5.
        progress: show a progress bar.
        timeout: socket timeout per URL in seconds.

    Returns:
        ``dest`` as a Path.

    Raises:
        OSError: when no URL could be fetched (every URL and its error is listed).
        ChecksumError: when the downloaded file has the wrong hash (nothing is kept).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    url_list = [urls] if isinstance(urls, str) else list(urls)
    errors = []
    for url in url_list:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp, atomic_open(dest) as out:
                total = int(resp.headers.get("Content-Length") or 0) or None
                with tqdm(
                    total=total, unit="B", unit_scale=True, desc=dest.name, disable=not progress, leave=False
                ) as bar:
                    for chunk in iter(lambda: resp.read(_CHUNK), b""):
                        out.write(chunk)
                        bar.update(len(chunk))
                out.flush()
                check_hash(out.name, sha256=sha256, md5=md5)  # a wrong file is removed, never renamed
            return dest
        except ChecksumError:
            raise
        except (urllib.error.URLError, OSError, ValueError) as e:
            errors.append(f"  {url}: {e}")
    raise OSError(f"could not download {dest.name}:\n" + "\n".join(errors))
