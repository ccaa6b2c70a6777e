"""Writers of small files in the real layouts of the scene data sets (Cityscapes, ADE20K, scene text).

Written from the published format descriptions, independently of the readers under test.
"""

from __future__ import annotations

from pathlib import Path

from ._formats import solid, write_image

BOM = "\ufeff".encode()
# Lines of an ICDAR 2015 gt_img_1.txt as the RRC publishes them (BOM, CRLF): a transcription
# with a comma, a don't-care region.
ICDAR2015_GT = (BOM + "377,117,463,117,465,130,378,130,Genaxis Theatre\r\n"
                "493,115,519,115,519,131,493,131,[06]\r\n"
                "374,155,409,155,409,170,374,170,###\r\n"
                "492,151,551,151,551,170,492,170,hello, world\r\n".encode())


def write_icdar2015(folder: Path, *, gt: bytes = ICDAR2015_GT) -> tuple[Path, Path]:
    """``gt/gt_img_{1,2}.txt`` and ``images/img_{1,2}.jpg`` (600x200 with words, 40x30 without)."""
    write_image(folder / "images" / "img_1.jpg", solid(3, size=(200, 600)))
    write_image(folder / "images" / "img_2.jpg", solid(5, size=(30, 40)))
    (folder / "gt").mkdir(parents=True)
    (folder / "gt" / "gt_img_1.txt").write_bytes(gt)
    (folder / "gt" / "gt_img_2.txt").write_bytes(BOM)  # an image without text
    return folder / "gt", folder / "images"
