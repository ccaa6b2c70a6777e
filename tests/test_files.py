"""vistakit._files: the one atomic writer and the one image walker."""

import os

import pytest

from vistakit._files import IMAGE_SUFFIXES, atomic_open, atomic_write, is_image_file, list_images


def test_atomic_write_bytes_and_text(tmp_path):
    p = tmp_path / "sub" / "a.bin"
    assert atomic_write(p, b"\x00\x01") == p
    assert p.read_bytes() == b"\x00\x01"
    atomic_write(p, "héllo\n")
    assert p.read_text(encoding="utf-8") == "héllo\n"
    assert [f.name for f in p.parent.iterdir()] == ["a.bin"]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert p.stat().st_mode & 0o777 == 0o666 & ~umask


def test_atomic_open_error_keeps_the_old_file(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_open(p, "w") as f:
            f.write("half of the new")
            raise RuntimeError("boom")
    assert p.read_text() == "old"
    assert [f.name for f in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_open_name_is_the_temporary_path(tmp_path):
    p = tmp_path / "a.bin"
    with atomic_open(p) as f:
        f.write(b"abc")
        f.flush()
        assert os.path.dirname(f.name) == str(tmp_path) and open(f.name, "rb").read() == b"abc"
        assert not p.exists()
    assert p.read_bytes() == b"abc"


def test_atomic_open_refuses_append(tmp_path):
    with pytest.raises(ValueError, match="whole files"):
        with atomic_open(tmp_path / "x", "ab"):
            pass


def test_list_images_sorted_recursive_hidden_skipped(tmp_path):
    for rel in ["b.PNG", "a.jpg", "notes.txt", ".hidden.png", "sub/c.webp", ".cache/d.png", "sub/.e.jpg"]:
        f = tmp_path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(b"x")
    assert [p.relative_to(tmp_path).as_posix() for p in list_images(tmp_path)] == ["a.jpg", "b.PNG", "sub/c.webp"]
    assert [p.name for p in list_images(tmp_path, recursive=False)] == ["a.jpg", "b.PNG"]
    with pytest.raises(FileNotFoundError, match="not a folder"):
        list_images(tmp_path / "a.jpg")


def test_image_suffixes():
    assert is_image_file("x.JPEG") and is_image_file("x.tif") and not is_image_file("x.txt")
    assert all(s == s.lower() and s.startswith(".") for s in IMAGE_SUFFIXES)
