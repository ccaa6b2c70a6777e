"""Where the files of a data set come from.

In order: the ``root`` folder the caller gives (and ``root/<name>``); the cache
(``$VISTAKIT_DATA/<name>``, default ``~/.cache/vistakit/<name>``); the folders an
operating-system package installs to (Debian's ``dataset-fashion-mnist``); and
last a download from the canonical URL or its mirrors into ``root`` or the cache.

Downloads are streamed to a temporary file, checked against the published
checksum and only then renamed into place (:func:`vistakit._download.download_url`).
Files found on disk are not re-hashed: the readers validate their structure
instead, which also accepts legitimate repackagings (Debian recompresses the
Fashion-MNIST files without the gzip file name, so their bytes differ from the
published md5 while the data are identical).
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .._download import ChecksumError, cache_dir, download_url
from ._errors import DatasetError, DatasetNotFoundError
from ._info import DataFile, DatasetInfo
from ._registry import dataset_info


@dataclass(frozen=True)
class Located:
    """Where one file of a data set was found.

    Attributes:
        file: the published file.
        path: the path on disk (the extracted folder, the file, or its
            decompressed version), or None when it is not on disk.
        source: ``root``, ``cache``, ``system`` or ``download``; None when missing.
    """

    file: DataFile
    path: Path | None
    source: str | None


def data_home(info: DatasetInfo) -> Path:
    """The cache folder of a data set: ``$VISTAKIT_DATA/<name>``."""
    return cache_dir("data") / info.name


def search_dirs(info: DatasetInfo, *, root: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """The folders searched for the files of ``info``, in order, with their kind."""
    dirs: list[tuple[str, Path]] = []
    if root is not None:
        root = Path(root).expanduser()
        dirs += [("root", root), ("root", root / info.name)]
    dirs.append(("cache", data_home(info)))
    dirs += [("system", Path(d)) for d in info.system_dirs]
    return dirs


def _selected(info: DatasetInfo, split: str | None, names: Iterable[str] | None) -> list[DataFile]:
    if names is not None:
        return [info.file(n) for n in names]
    if split is None:
        return list(info.files)
    return list(info.files_for(split))


def locate(
    info: DatasetInfo,
    *,
    root: str | os.PathLike | None = None,
    split: str | None = None,
    names: Iterable[str] | None = None,
) -> dict[str, Located]:
    """Find the files of a data set on disk, without downloading anything.

    Args:
        info: the dataset card.
        root: a folder to look in first.
        split: only the files this split needs (default: all files).
        names: only these files (overrides ``split``).

    Returns:
        File name -> :class:`Located`, in the card's order.
    """
    dirs = search_dirs(info, root=root)
    found: dict[str, Located] = {}
    for f in _selected(info, split, names):
        found[f.name] = Located(f, None, None)
        for kind, d in dirs:
            hit = next((d / alt for alt in f.alternatives if (d / alt).exists()), None)
            if hit is not None:
                found[f.name] = Located(f, hit, kind)
                break
    return found


def _human_size(n: int | None) -> str:
    if n is None:
        return "size unknown"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""  # unreachable


def _not_found_message(
    info: DatasetInfo,
    missing: list[DataFile],
    dirs: list[tuple[str, Path]],
    target: Path,
    split: str | None,
    download: bool,
    errors: list[str],
) -> str:
    what = f"{info.name}" + (f" (split {split!r})" if split else "")
    if not download:
        why = "and downloading is off (download=False)"
    elif errors:
        why = "and could not be downloaded"
    else:
        why = "and cannot be downloaded automatically"
    lines = [f"{what}: {len(missing)} file(s) not found {why}:"]
    for f in missing:
        check = f"md5 {f.md5}" if f.md5 else (f"sha256 {f.sha256}" if f.sha256 else "no checksum")
        alts = f" (or its extracted {f.extracted}/)" if f.extracted else ""
        lines.append(f"  {f.name}{alts}  [{_human_size(f.size)}, {check}]")
        lines += [f"      {u}" for u in f.urls] or ["      (no public URL)"]
    if errors:
        lines.append("download errors:")
        lines += [f"  {e}" for e in errors]
    lines.append("looked in: " + ", ".join(f"{d} ({kind})" for kind, d in dirs))
    if info.manual_download:
        lines.append(info.manual_download)
    lines.append(f"Put the files in {target} (or pass root=DIR) and try again.")
    return "\n".join(lines)


def extract_archive(archive: Path, *, member: str, into: Path) -> Path:
    """Unpack ``archive`` (tar, tar.gz, tgz or zip) so that ``into/member`` exists.

    The archive is unpacked in a temporary folder beside the destination and
    ``member`` is renamed into place only when unpacking succeeded, so a failed
    or interrupted extraction never leaves a half folder behind. Tar members are
    unpacked with the ``data`` filter (no absolute paths, links out of the tree
    or device files).

    Returns:
        ``into / member``.

    Raises:
        DatasetError: when the archive is corrupt or does not contain ``member``.
    """
    dest = into / member
    if dest.exists():
        return dest
    into.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=into, prefix=f".{member}.", suffix=".extract"))
    try:
        try:
            if zipfile.is_zipfile(archive):
                with zipfile.ZipFile(archive) as zf:
                    zf.extractall(tmp)
            else:
                with tarfile.open(archive) as tf:
                    tf.extractall(tmp, filter="data")
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            raise DatasetError(
                f"{archive}: cannot be extracted ({type(e).__name__}: {e}); the archive is corrupt or truncated"
            ) from None
        src = tmp / member
        if not src.exists():
            top = sorted(p.name for p in tmp.iterdir())[:10]
            raise DatasetError(f"{archive}: expected the archive to contain {member}/, found {top}")
        os.replace(src, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def fetch_files(
    info: DatasetInfo,
    *,
    split: str | None = None,
    names: Iterable[str] | None = None,
    root: str | os.PathLike | None = None,
    download: bool = True,
    progress: bool = True,
) -> dict[str, Located]:
    """Find the files of a data set, downloading the missing ones.

    Args:
        info: the dataset card.
        split: only the files this split needs (default: all).
        names: only these files (overrides ``split``).
        root: a folder to look in first; downloads go there too when given,
            else into the cache.
        download: allow downloading missing files.
        progress: show a progress bar while downloading.

    Returns:
        File name -> :class:`Located`, every path set.

    Raises:
        DatasetNotFoundError: some files are neither on disk nor downloadable;
            the message lists them with their URLs and the folder to put them in.
        ChecksumError: a downloaded file is not the published one (it is deleted).
    """
    names = list(names) if names is not None else None
    found = locate(info, root=root, split=split, names=names)
    target = Path(root).expanduser() if root is not None else data_home(info)
    errors: list[str] = []
    for name, loc in list(found.items()):
        if loc.path is not None or not download or not loc.file.urls:
            continue
        try:
            path = download_url(
                loc.file.urls, target / name, md5=loc.file.md5, sha256=loc.file.sha256, progress=progress
            )
        except ChecksumError as e:
            if info.manual_download:
                raise ChecksumError(f"{e}\n{info.manual_download}") from None
            raise
        except OSError as e:
            errors.append(str(e).replace("\n", "\n  "))
            continue
        found[name] = Located(loc.file, path, "download")
    missing = [loc.file for loc in found.values() if loc.path is None]
    if missing:
        raise DatasetNotFoundError(
            _not_found_message(info, missing, search_dirs(info, root=root), target, split, download, errors)
        )
    return found


def archive_member(loc: Located, *, root: str | os.PathLike | None, info: DatasetInfo) -> Path:
    """The extracted folder of an archive file, unpacking the archive if needed.

    The archive is unpacked beside itself, or into ``root``/the cache when its
    folder is not writable (a system folder).
    """
    f = loc.file
    assert loc.path is not None and f.extracted is not None
    if loc.path.name == f.extracted:
        return loc.path
    into = loc.path.parent
    if not os.access(into, os.W_OK):
        into = Path(root).expanduser() if root is not None else data_home(info)
    return extract_archive(loc.path, member=f.extracted, into=into)


def fetch_dataset(
    name: str,
    *,
    split: str | None = None,
    root: str | os.PathLike | None = None,
    download: bool = True,
    progress: bool = True,
) -> dict[str, Located]:
    """Make sure the files of data set ``name`` are on disk (see :func:`fetch_files`)."""
    return fetch_files(dataset_info(name), split=split, root=root, download=download, progress=progress)
