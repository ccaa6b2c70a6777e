"""CelebA's annotation text files and the aligned images.

* ``list_attr_celeba.txt``: the image count, the 40 attribute names, then one
  line per image: ``000001.jpg -1  1 ...`` (40 values, -1 or 1).
* ``list_bbox_celeba.txt``: the count, a header ``image_id x_1 y_1 width height``,
  then ``000001.jpg x y w h`` (in the uncropped images).
* ``list_landmarks_align_celeba.txt``: the count, 10 column names, then 10
  coordinates of 5 landmarks in the aligned images.
* ``identity_CelebA.txt``: ``000001.jpg 2880`` (no header).
* ``list_eval_partition.txt``: ``000001.jpg 0`` with 0 train, 1 val, 2 test (no header).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from ..structures import Keypoints, Sample
from ._base import ImageFileDataset, Transform, VisionDataset
from ._errors import DatasetError
from ._info import DataFile, DatasetInfo
from ._registry import register_dataset
from ._resolve import archive_member, fetch_files

TARGET_TYPES = ("attr", "identity", "bbox", "landmarks")
TARGET_FILES = {
    "attr": "list_attr_celeba.txt",
    "identity": "identity_CelebA.txt",
    "bbox": "list_bbox_celeba.txt",
    "landmarks": "list_landmarks_align_celeba.txt",
}
PARTITION_FILE = "list_eval_partition.txt"
#: The five aligned landmarks, in the order of list_landmarks_align_celeba.txt.
LANDMARK_NAMES = ("left_eye", "right_eye", "nose", "left_mouth", "right_mouth")
_SPLIT_CODES = {"train": 0, "val": 1, "test": 2}
# Columns per target file, and whether it starts with a count and a header line.
_LAYOUT = {
    "attr": (40, True),
    "identity": (1, False),
    "bbox": (4, True),
    "landmarks": (10, True),
    "partition": (1, False),
}


def read_celeba_table(
    path: str | os.PathLike, *, columns: int, header: bool
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read one CelebA annotation file.

    Args:
        path: the text file.
        columns: number of integer values after the file name on each line.
        header: the file starts with the image count and a line of column names.

    Returns:
        ``names`` (N,) image file names, ``values`` (N, columns) int64 and the
        column names (empty without a header).

    Raises:
        DatasetError: naming the file and line for a wrong count, a line with
            the wrong number of fields, or a value that is not an integer.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="ascii", errors="replace").splitlines()
    except FileNotFoundError:
        raise DatasetError(f"{path}: file is missing") from None
    first = 0
    column_names: list[str] = []
    count = None
    if header:
        if len(lines) < 2 or not lines[0].strip().isdigit():
            raise DatasetError(
                f"{path}: line 1 must be the number of images, got {lines[0][:40]!r}"
                if lines
                else f"{path}: file is empty"
            )
        count = int(lines[0])
        column_names = lines[1].split()
        if column_names and column_names[0] == "image_id":
            column_names = column_names[1:]
        if len(column_names) != columns:
            raise DatasetError(f"{path}: line 2 names {len(column_names)} columns, expected {columns}")
        first = 2
    body = [ln for ln in lines[first:] if ln.strip()]
    if count is not None and len(body) != count:
        raise DatasetError(f"{path}: line 1 announces {count} images but the file lists {len(body)}")
    split_lines = [ln.split(None, 1) for ln in body]
    names = np.array([p[0] for p in split_lines])
    flat = np.array(" ".join(p[1] if len(p) > 1 else "" for p in split_lines).split())
    if flat.size != len(body) * columns:
        for i, p in enumerate(split_lines):
            n = len(p[1].split()) if len(p) > 1 else 0
            if n != columns:
                raise DatasetError(f"{path}: line {first + i + 1} ({p[0]}) has {n} values, expected {columns}")
    try:
        values = flat.astype(np.int64).reshape(len(body), columns)
    except ValueError:
        bad = next(i for i, v in enumerate(flat) if not v.lstrip("+-").isdigit())
        line = bad // columns
        raise DatasetError(
            f"{path}: line {first + line + 1} ({names[line]}) value {bad % columns + 1} is {flat[bad]!r}, not an integer"
        ) from None
    return names, values, column_names


def read_celeba(
    files: dict[str, Path],
    *,
    split: str,
    target_types: Sequence[str],
    attributes: Sequence[str],
) -> tuple[np.ndarray, dict[str, torch.Tensor]]:
    """Image names and targets of one split.

    Args:
        files: the annotation files by name (``list_eval_partition.txt`` and the
            files of the requested target types).
        split: ``train``, ``val``, ``test`` or ``all``.
        target_types: which of ``attr``, ``identity``, ``bbox``, ``landmarks``.
        attributes: the 40 official attribute names; ``list_attr_celeba.txt`` must agree.

    Returns:
        ``names`` (N,) and the targets by type: ``attr`` (N, 40) int64 0/1,
        ``identity`` (N,) int64, ``bbox`` (N, 4) x, y, width, height,
        ``landmarks`` (N, 10) x, y of eyes, nose and mouth corners.
    """
    part_path = files[PARTITION_FILE]
    names, part, _ = read_celeba_table(part_path, columns=1, header=False)
    part = part[:, 0]
    bad = np.flatnonzero((part < 0) | (part > 2))
    if bad.size:
        raise DatasetError(
            f"{part_path}: line {bad[0] + 1} ({names[bad[0]]}) has partition {part[bad[0]]}, expected 0, 1 or 2"
        )
    mask = np.ones(len(names), bool) if split == "all" else part == _SPLIT_CODES[split]
    out: dict[str, torch.Tensor] = {}
    for t in target_types:
        columns, header = _LAYOUT[t]
        path = files[TARGET_FILES[t]]
        t_names, values, column_names = read_celeba_table(path, columns=columns, header=header)
        if len(t_names) != len(names) or not np.array_equal(t_names, names):
            i = next((i for i, (a, b) in enumerate(zip(t_names, names)) if a != b), min(len(t_names), len(names)))
            raise DatasetError(
                f"{path}: image {i + 1} is {t_names[i] if i < len(t_names) else 'missing'}, but {part_path.name} lists "
                f"{names[i] if i < len(names) else 'nothing'} there ({len(t_names)} vs {len(names)} images); "
                "the annotation files must list the same images in the same order"
            )
        if t == "attr":
            if tuple(column_names) != tuple(attributes):
                raise DatasetError(
                    f"{path}: line 2 names the attributes {column_names[:3]}..., expected the official 40 {list(attributes[:3])}..."
                )
            bad_r, bad_c = np.nonzero((values != -1) & (values != 1))
            if bad_r.size:
                r, c = bad_r[0], bad_c[0]
                raise DatasetError(
                    f"{path}: line {r + 3} ({names[r]}) attribute {column_names[c]} is {values[r, c]}, expected -1 or 1"
                )
            values = (values + 1) // 2
        out[t] = torch.from_numpy(np.ascontiguousarray(values[mask] if columns > 1 else values[mask, 0]))
    return names[mask], out


class CelebA(ImageFileDataset):
    """CelebA aligned faces with the chosen targets.

    Attributes:
        target_types: the target types of each item, in order.
        target_tensors: every loaded target by type (see :func:`read_celeba`).
        targets: the tensor of the first target type.
        attr_names: the 40 attribute names (``classes`` too).
    """

    def __init__(
        self,
        images: Path,
        names: np.ndarray,
        target_tensors: dict[str, torch.Tensor],
        *,
        info: DatasetInfo,
        split: str,
        target_types: Sequence[str],
        transform: Transform | None = None,
    ) -> None:
        self.target_types = list(target_types)
        self.target_tensors = target_tensors
        self.attr_names = list(info.classes)
        super().__init__(
            [str(images / n) for n in names],
            target_tensors[self.target_types[0]],
            info=info,
            split=split,
            transform=transform,
        )

    def target(self, index: int):
        out = []
        for t in self.target_types:
            v = self.target_tensors[t][index]
            out.append(int(v) if v.ndim == 0 else v)
        return out[0] if len(out) == 1 else tuple(out)

    def get_sample(self, index: int) -> Sample:
        """Item ``index`` as a typed sample, each loaded target where it belongs.

        * ``label``: the first of ``attr`` ((40,) int64 0/1) and ``identity``
          (int) in ``target_types`` order, or None when neither was loaded.
        * ``keypoints``: the ``landmarks`` as (1, 5, 2) float32 x, y in the aligned
          image (names :data:`LANDMARK_NAMES`), so transforms move them with it.
        * ``meta``: ``index``, ``path``, the other of ``attr``/``identity`` when
          both were loaded, and ``uncropped_bbox`` ((4,) x, y, width, height of the
          face in the *uncropped* photograph: not in this image's frame, so it is
          not given as ``boxes``).
        """
        sample = super().get_sample(index)
        i = sample.meta["index"]
        labels = [t for t in self.target_types if t in ("attr", "identity")]
        sample.label = None
        for k, t in enumerate(labels):
            v = self.target_tensors[t][i]
            value = int(v) if v.ndim == 0 else v
            if k == 0:
                sample.label = value
            else:
                sample.meta[t] = value
        if "landmarks" in self.target_tensors:
            points = self.target_tensors["landmarks"][i].to(torch.float32).reshape(1, 5, 2)
            sample.keypoints = Keypoints(points, names=LANDMARK_NAMES)
        if "bbox" in self.target_tensors:
            sample.meta["uncropped_bbox"] = self.target_tensors["bbox"][i]
        return sample


CELEBA_ATTRIBUTES = (
    "5_o_Clock_Shadow",
    "Arched_Eyebrows",
    "Attractive",
    "Bags_Under_Eyes",
    "Bald",
    "Bangs",
    "Big_Lips",
    "Big_Nose",
    "Black_Hair",
    "Blond_Hair",
    "Blurry",
    "Brown_Hair",
    "Bushy_Eyebrows",
    "Chubby",
    "Double_Chin",
    "Eyeglasses",
    "Goatee",
    "Gray_Hair",
    "Heavy_Makeup",
    "High_Cheekbones",
    "Male",
    "Mouth_Slightly_Open",
    "Mustache",
    "Narrow_Eyes",
    "No_Beard",
    "Oval_Face",
    "Pale_Skin",
    "Pointy_Nose",
    "Receding_Hairline",
    "Rosy_Cheeks",
    "Sideburns",
    "Smiling",
    "Straight_Hair",
    "Wavy_Hair",
    "Wearing_Earrings",
    "Wearing_Hat",
    "Wearing_Lipstick",
    "Wearing_Necklace",
    "Wearing_Necktie",
    "Young",
)


def _gdrive(file_id: str) -> tuple[str, ...]:
    return (f"https://drive.google.com/uc?export=download&id={file_id}",)


CELEBA = DatasetInfo(
    name="celeba",
    title="CelebA (CelebFaces Attributes, aligned and cropped)",
    task="attributes",
    classes=CELEBA_ATTRIBUTES,
    splits={"train": 162_770, "val": 19_867, "test": 19_962, "all": 202_599},
    image_size=(218, 178),
    channels=3,
    license="non-commercial research and educational use only (CelebA agreement)",
    homepage="https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html",
    citation=(
        "Z. Liu, P. Luo, X. Wang and X. Tang. Deep Learning Face Attributes in the Wild. "
        "International Conference on Computer Vision (ICCV), 2015."
    ),
    files=(
        DataFile(
            "img_align_celeba.zip",
            urls=_gdrive("0B7EVK8r0v71pZjFTYXZWM3FlRnM"),
            md5="00d2c5bc6d35e252742224ab0c1e8fcb",
            extracted="img_align_celeba",
        ),
        DataFile(
            "list_attr_celeba.txt", urls=_gdrive("0B7EVK8r0v71pblRyaVFSWGxPY0U"), md5="75e246fa4810816ffd6ee81facbd244c"
        ),
        DataFile(
            "identity_CelebA.txt",
            urls=_gdrive("1_ee_0u7vcNLOfNLegJRHmolfH5ICW-XS"),
            md5="32bd1bd63d3c78cd57e08160ec5ed1e2",
        ),
        DataFile(
            "list_bbox_celeba.txt", urls=_gdrive("0B7EVK8r0v71pbThiMVRxWXZ4dU0"), md5="00566efa6fedff7a56946cd1c10f1c16"
        ),
        DataFile(
            "list_landmarks_align_celeba.txt",
            urls=_gdrive("0B7EVK8r0v71pd0FJY3Blby1HUTQ"),
            md5="cc24ecafdb5b50baae59b03474781f8c",
        ),
        DataFile(
            "list_eval_partition.txt",
            urls=_gdrive("0B7EVK8r0v71pY0NSMzRuSXJEVkk"),
            md5="d32c9cbf5e040fd4025c592c306e6668",
        ),
    ),
    description=(
        "202,599 aligned and cropped 178x218 face images of 10,177 identities with 40 binary "
        "attributes (list_attr_celeba.txt, -1/1), identities, boxes (of the uncropped images), "
        "5 aligned landmarks and the official train/val/test partition."
    ),
    manual_download=(
        "CelebA is published on Google Drive, which refuses scripted downloads of the 1.4 GB "
        "img_align_celeba.zip: fetch it from the homepage's 'Align&Cropped Images' link "
        "and put it (or the extracted img_align_celeba/ folder) in the data folder."
    ),
)


@register_dataset(CELEBA)
def load_celeba(
    info: DatasetInfo,
    split: str,
    *,
    root: str | os.PathLike | None,
    download: bool,
    transform: Transform | None,
    target_type: str | Sequence[str] = "attr",
) -> VisionDataset:
    """The aligned images with the targets of ``target_type`` (one of :data:`TARGET_TYPES` or a list)."""
    types = [target_type] if isinstance(target_type, str) else list(target_type)
    unknown = [t for t in types if t not in TARGET_TYPES]
    if unknown or not types:
        raise ValueError(f"celeba target_type must be one or more of {TARGET_TYPES}, got {target_type!r}")
    names = ["img_align_celeba.zip", PARTITION_FILE] + [TARGET_FILES[t] for t in types]
    found = fetch_files(info, names=names, root=root, download=download)
    images = archive_member(found["img_align_celeba.zip"], root=root, info=info)
    image_names, targets = read_celeba(
        {n: loc.path for n, loc in found.items()}, split=split, target_types=types, attributes=info.classes
    )
    return CelebA(images, image_names, targets, info=info, split=split, target_types=types, transform=transform)
