"""The dataset card: one frozen record per data set, the single source of truth."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DataFile:
    """One published file of a data set.

    Attributes:
        name: file name as published (``train-images-idx3-ubyte.gz``).
        urls: canonical URL first, then mirrors; empty when the file can only be
            obtained by hand (see :attr:`DatasetInfo.manual_download`).
        size: size in bytes of the published file, or None when not known.
        md5: published md5 (hex), or None.
        sha256: published sha256 (hex), or None.
        extracted: the folder (or file) that the archive unpacks to; when it is
            on disk it stands in for the archive.
        splits: the splits that need this file; empty means every split.
    """

    name: str
    urls: tuple[str, ...] = ()
    size: int | None = None
    md5: str | None = None
    sha256: str | None = None
    extracted: str | None = None
    splits: tuple[str, ...] = ()

    def needed_for(self, split: str) -> bool:
        """True when ``split`` reads this file."""
        return not self.splits or split in self.splits

    @property
    def alternatives(self) -> tuple[str, ...]:
        """Names that stand for this file on disk, preferred first.

        The extracted folder, the file itself, and for ``.gz`` files the
        decompressed file (the IDX readers accept either).
        """
        names = []
        if self.extracted:
            names.append(self.extracted)
        names.append(self.name)
        if self.name.endswith(".gz") and not self.name.endswith(".tar.gz"):
            names.append(self.name[: -len(".gz")])
        return tuple(names)


@dataclass(frozen=True)
class DatasetInfo:
    """Everything known about a data set before reading any of it.

    Attributes:
        name: registry name (``fashion-mnist``).
        title: human title.
        task: what the targets are (``classification``, ``attributes``, ...).
        classes: class (or attribute) names in the official label order; empty
            when they come from the files (``imagefolder``).
        splits: number of images per split, in the official order.
        image_size: (height, width) when every image has it, else None.
        channels: 1 (grey) or 3 (RGB).
        license: licence or terms of use.
        homepage: official page.
        citation: how to cite it.
        files: the published files.
        description: one paragraph on what it is.
        system_dirs: folders where an operating-system package installs the files.
        manual_download: how to get the files when they cannot be downloaded
            automatically (registration, Google Drive); None when they can.
        other_labels: further label sets by name (CIFAR-100 ``coarse``).
        classes_in_files: the classes are the data's own, read from its files (the ADE20K full
            release's thousands of object classes), so ``classes`` is empty.
    """

    name: str
    title: str
    task: str
    classes: tuple[str, ...]
    splits: Mapping[str, int] = field(default_factory=dict, hash=False)
    image_size: tuple[int, int] | None = None
    channels: int = 3
    license: str = ""
    homepage: str = ""
    citation: str = ""
    files: tuple[DataFile, ...] = ()
    description: str = ""
    system_dirs: tuple[str, ...] = ()
    manual_download: str | None = None
    other_labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    classes_in_files: bool = False

    def __post_init__(self) -> None:
        # Private copies, so a caller's dict cannot change the card afterwards.
        object.__setattr__(self, "splits", dict(self.splits))
        object.__setattr__(self, "other_labels", {k: tuple(v) for k, v in self.other_labels.items()})
        object.__setattr__(self, "classes", tuple(self.classes))

    @property
    def num_classes(self) -> int:
        """Number of classes (0 when they come from the files)."""
        return len(self.classes)

    @property
    def num_images(self) -> int:
        """Images over all distinct splits (``all`` is not counted twice)."""
        return sum(n for s, n in self.splits.items() if s != "all")

    def files_for(self, split: str) -> tuple[DataFile, ...]:
        """The files that ``split`` needs."""
        return tuple(f for f in self.files if f.needed_for(split))

    def file(self, name: str) -> DataFile:
        """The file called ``name``."""
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no file {name!r}; its files are {[f.name for f in self.files]}")
