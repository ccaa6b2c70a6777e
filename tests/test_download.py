"""The shared download/cache helpers: verified, atomic, mirrors in order."""

import hashlib
import os

import pytest

from vistakit._download import ChecksumError, cache_dir, check_hash, download_url, file_hash
from vistakit._files import atomic_write


def _file(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_download_verifies_and_renames(tmp_path):
    data = b"vistakit" * 1000
    src = _file(tmp_path, "src.bin", data)
    dest = tmp_path / "cache" / "file.bin"
    out = download_url(src.as_uri(), dest, sha256=hashlib.sha256(data).hexdigest(), progress=False)
    assert out == dest and dest.read_bytes() == data
    assert not list(dest.parent.glob("*.part"))


def test_mirrors_are_tried_in_order(tmp_path):
    data = b"abc"
    src = _file(tmp_path, "src.bin", data)
    dest = tmp_path / "out.bin"
    download_url(
        [(tmp_path / "missing.bin").as_uri(), src.as_uri()], dest, md5=hashlib.md5(data).hexdigest(), progress=False
    )
    assert dest.read_bytes() == data


def test_bad_checksum_leaves_nothing(tmp_path):
    src = _file(tmp_path, "src.bin", b"tampered")
    dest = tmp_path / "cache" / "file.bin"
    with pytest.raises(ChecksumError, match="sha256"):
        download_url(src.as_uri(), dest, sha256="0" * 64, progress=False)
    assert not dest.exists() and not list(dest.parent.iterdir())


def test_all_urls_failing_lists_each(tmp_path):
    with pytest.raises(OSError) as e:
        download_url([(tmp_path / "a").as_uri(), (tmp_path / "b").as_uri()], tmp_path / "x", progress=False)
    assert "/a" in str(e.value) and "/b" in str(e.value)
    assert not (tmp_path / "x").exists()


def test_hash_prefix_and_atomic_write(tmp_path):
    p = tmp_path / "f"
    atomic_write(p, b"hello")
    umask = os.umask(0)
    os.umask(umask)
    assert p.stat().st_mode & 0o777 == 0o666 & ~umask
    digest = file_hash(p)
    check_hash(p, sha256=digest[:8])
    with pytest.raises(ChecksumError):
        check_hash(p, sha256="deadbeef")


def test_cache_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("VISTAKIT_DATA", str(tmp_path / "d"))
    monkeypatch.setenv("VISTAKIT_HOME", str(tmp_path / "h"))
    assert cache_dir("data") == tmp_path / "d"
    assert cache_dir("weights") == tmp_path / "h" / "weights"
