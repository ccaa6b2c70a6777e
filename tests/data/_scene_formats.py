"""Writers of small files in the real layouts of the scene data sets (Cityscapes, ADE20K, scene text).

Written from the published format descriptions, independently of the readers under test.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.io import savemat

from ._formats import solid, write_image

BOM = "\ufeff".encode()
# Lines of an ICDAR 2015 gt_img_1.txt as the RRC publishes them (BOM, CRLF): a transcription
# with a comma, a don't-care region.
ICDAR2015_GT = (
    BOM + b"377,117,463,117,465,130,378,130,Genaxis Theatre\r\n"
    b"493,115,519,115,519,131,493,131,[06]\r\n"
    b"374,155,409,155,409,170,374,170,###\r\n"
    b"492,151,551,151,551,170,492,170,hello, world\r\n"
)


def write_icdar2015(folder: Path, *, gt: bytes = ICDAR2015_GT) -> tuple[Path, Path]:
    """``gt/gt_img_{1,2}.txt`` and ``images/img_{1,2}.jpg`` (600x200 with words, 40x30 without)."""
    write_image(folder / "images" / "img_1.jpg", solid(3, size=(200, 600)))
    write_image(folder / "images" / "img_2.jpg", solid(5, size=(30, 40)))
    (folder / "gt").mkdir(parents=True)
    (folder / "gt" / "gt_img_1.txt").write_bytes(gt)
    (folder / "gt" / "gt_img_2.txt").write_bytes(BOM)  # an image without text
    return folder / "gt", folder / "images"


# ---------------------------------------------------------------------------------- Cityscapes

CITYSCAPES_SIZE = (8, 12)  # (H, W) of the little images


def cityscapes_label_ids(k: int):
    """The labelIds of image ``k``: road (7) below, sky (23) above, a car (26), a person (24), static (4)."""
    ids = np.full(CITYSCAPES_SIZE, 23, np.uint8)
    ids[4:] = 7
    ids[5:7, 1:4] = 26
    ids[5:8, 6 + k : 8 + k] = 24
    ids[0, 0] = 4
    return ids


def cityscapes_instance_ids(k: int):
    """instanceIds of image ``k``: car 26000, person 24001 (or a person group 24 for k=1), stuff = label id."""
    ids = cityscapes_label_ids(k).astype(np.uint16)
    ids[ids == 26] = 26000
    ids[ids == 24] = 24 if k == 1 else 24001
    return ids


def write_cityscapes(root: Path, *, splits=("train", "val"), n: int = 2) -> Path:
    """A Cityscapes tree: leftImg8bit/SPLIT/CITY/*_leftImg8bit.png + gtFine labelIds, instanceIds, polygons."""
    for split in splits:
        for k in range(n):
            city = "aachen" if k == 0 else "bremen"
            stem = f"{city}_{k:06d}_000019"
            write_image(
                root / "leftImg8bit" / split / city / f"{stem}_leftImg8bit.png", solid(10 * k, size=CITYSCAPES_SIZE)
            )
            gt = root / "gtFine" / split / city
            gt.mkdir(parents=True, exist_ok=True)
            Image.fromarray(cityscapes_label_ids(k)).save(gt / f"{stem}_gtFine_labelIds.png")
            Image.fromarray(cityscapes_instance_ids(k)).save(gt / f"{stem}_gtFine_instanceIds.png")
            doc = {
                "imgHeight": CITYSCAPES_SIZE[0],
                "imgWidth": CITYSCAPES_SIZE[1],
                "objects": [
                    {"label": "sky", "polygon": [[0, 0], [12, 0], [12, 4], [0, 4]]},
                    {"label": "road", "polygon": [[0, 4], [12, 4], [12, 8], [0, 8]]},
                    {"label": "car", "polygon": [[1, 5], [4, 5], [4, 7], [1, 7]]},
                    {
                        "label": "persongroup" if k == 1 else "person",
                        "polygon": [[6 + k, 5], [8 + k, 5], [8 + k, 8], [6 + k, 8]],
                    },
                    {"label": "ego vehicle", "polygon": [[0, 7], [1, 7], [1, 8]], "deleted": 1},
                ],
            }
            (gt / f"{stem}_gtFine_polygons.json").write_text(json.dumps(doc, indent=4), encoding="utf-8")
    return root


# ---------------------------------------------------------------------------------- ADE20K

ADE_SIZE = (6, 9)


def ade20k_annotation(k: int):
    """SceneParsing annotation of image ``k``: other (0) on the left column, wall (1), sky (3), flag (150)."""
    mask = np.full(ADE_SIZE, 1, np.uint8)
    mask[:2] = 3
    mask[:, 0] = 0
    mask[4:, 5 + k :] = 150
    return mask


def write_ade20k(root: Path, *, n: int = 2) -> Path:
    """``ADEChallengeData2016/images/{training,validation}/*.jpg`` + ``annotations/.../*.png``."""
    base = root / "ADEChallengeData2016"
    for folder, prefix in (("training", "ADE_train"), ("validation", "ADE_val")):
        for k in range(n):
            name = f"{prefix}_{k + 1:08d}"
            write_image(base / "images" / folder / f"{name}.jpg", solid(20 * k, size=ADE_SIZE))
            (base / "annotations" / folder).mkdir(parents=True, exist_ok=True)
            Image.fromarray(ade20k_annotation(k)).save(base / "annotations" / folder / f"{name}.png")
    return base


# ---------------------------------------------------------------------------------- COCO-Text


def coco_text_doc() -> dict:
    """A cocotext.v2.json with two train images and one val image, as the v2 file lays them out."""
    return {
        "cats": {},
        "info": {"author": "COCO-Text", "version": "2.0"},
        "imgToAnns": {"390310": [45346, 45347], "1025": [], "42": [7]},
        "imgs": {
            "390310": {
                "id": 390310,
                "set": "train",
                "width": 64,
                "height": 48,
                "file_name": "COCO_train2014_000000390310.jpg",
            },
            "1025": {
                "id": 1025,
                "set": "train",
                "width": 32,
                "height": 32,
                "file_name": "COCO_train2014_000000001025.jpg",
            },
            "42": {"id": 42, "set": "val", "width": 40, "height": 30, "file_name": "COCO_train2014_000000000042.jpg"},
        },
        "anns": {
            "45346": {
                "mask": [10.5, 10.0, 30.0, 10.0, 30.0, 20.0, 10.5, 20.0],
                "class": "machine printed",
                "bbox": [10.5, 10.0, 19.5, 10.0],
                "image_id": 390310,
                "id": 45346,
                "language": "english",
                "area": 195.0,
                "utf8_string": "STOP",
                "legibility": "legible",
            },
            "45347": {
                "mask": [40.0, 5.0, 50.0, 5.0, 52.0, 15.0, 41.0, 16.0],
                "class": "handwritten",
                "bbox": [40.0, 5.0, 12.0, 11.0],
                "image_id": 390310,
                "id": 45347,
                "language": "na",
                "area": 110.5,
                "legibility": "illegible",
            },
            "7": {
                "mask": [1.0, 1.0, 9.0, 1.0, 9.0, 5.0, 1.0, 5.0],
                "class": "others",
                "bbox": [1.0, 1.0, 8.0, 4.0],
                "image_id": 42,
                "id": 7,
                "language": "not english",
                "area": 32.0,
                "utf8_string": "Caf\u00e9, 1",
                "legibility": "legible",
            },
        },
    }


def write_coco_text(root: Path) -> Path:
    """``cocotext.v2.json`` and the ``train2014/`` images it names; returns the JSON's path."""
    doc = coco_text_doc()
    for img in doc["imgs"].values():
        write_image(root / "train2014" / img["file_name"], solid(img["id"] % 200, size=(img["height"], img["width"])))
    path = root / "cocotext.v2.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------- Total-Text

# poly_gt_img11.txt as the txt_format files print it: numpy padding, a record wrapped over two
# lines, a don't-care region, a transcription with a quote.
TOTAL_TEXT_GT = (
    "x: [[115 503 494 115]], y: [[322 346 426 404]], ornt: [u'm'], transcriptions: [u'nauGHTY']\n"
    "x: [[ 34 158 161  44]], y: [[ 60  69 149 130]], ornt: [u'#'], transcriptions: [u'#']\n"
    "x: [[562 595 651 687 653 637 604 588\n  520 500]], y: [[347 304 305 360 366 334 332 361\n  370 360]], "
    "ornt: [u'c'], transcriptions: [u\"it's\"]\n"
)


def write_total_text(root: Path) -> Path:
    """``Images/{Train,Test}/img*.jpg`` and ``txt_format/{Train,Test}/poly_gt_img*.txt``; returns root."""
    for split, names in (("Train", ("img11", "img12")), ("Test", ("img1", "img2"))):
        for k, name in enumerate(names):
            write_image(root / "Images" / split / f"{name}.jpg", solid(k, size=(480, 720)))
            gt = root / "txt_format" / split / f"poly_gt_{name}.txt"
            gt.parent.mkdir(parents=True, exist_ok=True)
            gt.write_text(TOTAL_TEXT_GT if k == 0 else "", encoding="utf-8")
    return root


MLT_GT = (
    BOM
    + "10,10,50,10,50,20,10,20,Latin,Hi, there\r\n"
    "1,2,3,2,3,4,1,4,Arabic,\u0645\u0631\u062d\u0628\u0627\r\n"
    "5,5,9,5,9,9,5,9,None,###\r\n".encode()
)


def write_mlt2019(root: Path, *, zipped: bool = False) -> Path:
    """``ImagesPart{1,2}/tr_img_0000{1,2}.*`` and ``train_gt_t13/tr_img_0000{1,2}.txt`` (or their zips)."""
    files = {
        "ImagesPart1/tr_img_00001.jpg": solid(1, size=(50, 60)),
        "ImagesPart2/tr_img_00002.png": solid(2, size=(30, 40)),
    }
    for name, pixels in files.items():
        write_image(root / name, pixels)
    gt = root / "train_gt_t13"
    gt.mkdir(parents=True)
    (gt / "tr_img_00001.txt").write_bytes(MLT_GT)
    (gt / "tr_img_00002.txt").write_bytes(BOM)
    if zipped:  # ImagesPartN.zip hold their folder, train_gt_t13.zip its loose files
        for folder in ("ImagesPart1", "ImagesPart2", "train_gt_t13"):
            with zipfile.ZipFile(root / f"{folder}.zip", "w") as zf:
                for p in sorted((root / folder).iterdir()):
                    zf.write(p, p.name if folder == "train_gt_t13" else f"{folder}/{p.name}")
                    p.unlink()
            (root / folder).rmdir()
    return root


def write_icdar2013(root: Path) -> Path:
    """``Challenge2_Test_Task12_Images/img_{1,2}.jpg`` and ``Challenge2_Test_Task1_GT/gt_img_{1,2}.txt``."""
    write_image(root / "Challenge2_Test_Task12_Images" / "img_1.jpg", solid(0, size=(500, 1000)))
    write_image(root / "Challenge2_Test_Task12_Images" / "img_2.jpg", solid(9, size=(20, 30)))
    gt = root / "Challenge2_Test_Task1_GT"
    gt.mkdir(parents=True)
    (gt / "gt_img_1.txt").write_bytes(b'38, 43, 920, 215, "Tiredness"\r\n275, 264, 665, 450, "kills"\r\n')
    (gt / "gt_img_2.txt").write_bytes(b'1, 2, 10, 12, "A"\r\n')
    return root


# ---------------------------------------------------------------------------------- SynthText


def synthtext_quads(n: int, *, x0: float = 2.0) -> np.ndarray:
    """(2, 4, n) corners of n boxes side by side: x then y of the 4 corners, as wordBB stores them."""
    out = np.zeros((2, 4, n))
    for j in range(n):
        x1, x2 = x0 + 6 * j, x0 + 6 * j + 5
        out[0, :, j] = [x1, x2, x2, x1]
        out[1, :, j] = [3.0, 3.0, 9.0, 9.0]
    return out


def write_synthtext(root: Path, *, wordbb=None, charbb=None, txt=None) -> Path:
    """``SynthText/gt.mat`` with two images (one of three words over two text lines, one of a single word)."""
    folder = root / "SynthText"
    write_image(folder / "8" / "ballet_106_0.jpg", solid(1, size=(24, 40)))
    write_image(folder / "8" / "ballet_106_1.jpg", solid(2, size=(20, 30)))
    names = ["8/ballet_106_0.jpg", "8/ballet_106_1.jpg"]

    def cell(items):
        out = np.empty((1, len(items)), dtype=object)
        for i, item in enumerate(items):
            out[0, i] = item
        return out

    # Image 0: "Lines:\nI lost" and "Kevin " -> words Lines:, I, lost, Kevin (4 words, 6+1+4+5 letters).
    words0 = synthtext_quads(4)
    chars0 = synthtext_quads(16, x0=0.0)
    words1 = synthtext_quads(1)[:, :, 0]  # one word: (2, 4)
    chars1 = synthtext_quads(2)
    savemat(
        folder / "gt.mat",
        {
            "imnames": cell([np.array([n]) for n in names]),
            "wordBB": cell(wordbb if wordbb is not None else [words0, words1]),
            "charBB": cell(charbb if charbb is not None else [chars0, chars1]),
            "txt": cell(txt if txt is not None else [np.array(["Lines:\nI lost", "Kevin "]), np.array(["ok"])]),
        },
    )
    return folder


def write_ade20k_full(root: Path) -> Path:
    """``ADE20K_2021_17_01/images/ADE/{training,validation}/<scene>/ADE_*.jpg`` + ``.json`` (latin-1) + ``_seg.png``.

    Each image: a wall (class 2978), a window (class 3055) and the window's pane, a part of level 1.
    """
    base = root / "ADE20K_2021_17_01"
    for folder, prefix in (("training", "ADE_train"), ("validation", "ADE_frame")):
        for k in range(2):
            scene = base / "images" / "ADE" / folder / "home_or_hotel" / "bathroom"
            name = f"{prefix}_{k + 1:08d}"
            write_image(scene / f"{name}.jpg", solid(30 * k, size=(24, 32)))
            objects = [
                {
                    "id": 0,
                    "name": "wall",
                    "name_ndx": 2978,
                    "raw_name": "wall",
                    "crop": "0",
                    "occluded": "no",
                    "attributes": [],
                    "parts": {"hasparts": [], "ispartof": [], "part_level": 0},
                    "polygon": {"x": [0, 31, 31, 0], "y": [0, 0, 11, 11], "click_date": []},
                },
                {
                    "id": 1,
                    "name": "windowpane, window",
                    "name_ndx": 3055,
                    "raw_name": "ventana",
                    "crop": "0",
                    "occluded": "yes",
                    "attributes": "opened",
                    "parts": {"hasparts": [2], "ispartof": [], "part_level": 0},
                    "polygon": {"x": [4, 20, 20, 4], "y": [12 + k, 12 + k, 22, 22]},
                },
                {
                    "id": 2,
                    "name": "pane",
                    "name_ndx": 1870,
                    "raw_name": "cristal",
                    "crop": "0",
                    "occluded": "no",
                    "attributes": [],
                    "parts": {"hasparts": [], "ispartof": 1, "part_level": 1},
                    "polygon": {"x": [6, 18, 18, 6], "y": [14, 14, 20, 20]},
                },
                {
                    "id": 3,
                    "name": "point",
                    "name_ndx": 9,
                    "raw_name": "x",
                    "crop": "0",
                    "occluded": "no",
                    "attributes": [],
                    "parts": {"part_level": 0},
                    "polygon": {"x": [3], "y": [3]},
                },
            ]
            doc = {
                "annotation": {
                    "filename": f"{name}.jpg",
                    "folder": str(scene.relative_to(root)),
                    "imsize": [24, 32, 3],
                    "object": objects,
                }
            }
            (scene / f"{name}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="latin-1")
            Image.fromarray(np.zeros((24, 32, 3), np.uint8)).save(scene / f"{name}_seg.png")
    return base
