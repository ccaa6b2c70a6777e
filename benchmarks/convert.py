"""COCO read / write speed: a synthetic instances file of 100,000 annotations.

5,000 images of 480x640 with 20 objects each: 85% polygons (one or two rings of 8 to 24
points, as COCO's thing outlines), 10% compressed RLE, 5% crowd regions as uncompressed
RLE. It times the plain ``json`` load alone, :meth:`CocoFormat.read` (load + parse + checks)
and :meth:`CocoFormat.write` (records + ``json`` dump + atomic write), the whole
``convert(..., from_format="coco", to_format="coco")``, and checks that the file written
back has the same content.

Run: PYTHONPATH=src python benchmarks/convert.py [--annotations 100000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from vistakit.data import CocoFormat, convert
from vistakit.structures import RLE


def synthetic_coco(n: int, *, per_image: int = 20, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    h, w = 480, 640
    n_images = (n + per_image - 1) // per_image
    images = [
        {"license": 1, "file_name": f"{i:012d}.jpg", "height": h, "width": w, "id": i} for i in range(1, n_images + 1)
    ]
    # a few distinct masks reused (the RLE codec cost is per annotation, not per distinct mask)
    masks = []
    for _ in range(16):
        m = np.zeros((h, w), bool)
        y, x = rng.integers(0, h - 60), rng.integers(0, w - 80)
        m[y : y + rng.integers(5, 60), x : x + rng.integers(5, 80)] = True
        masks.append(RLE.encode(m))
    compressed = [m.to_coco(compressed=True) for m in masks]
    uncompressed = [m.to_coco(compressed=False) for m in masks]
    anns = []
    kind = rng.random(n)
    for k in range(n):
        image_id = k // per_image + 1
        if kind[k] < 0.85:
            rings = []
            for _ in range(1 + (rng.random() < 0.2)):
                pts = rng.integers(8, 25)
                cx, cy = rng.uniform(60, w - 60), rng.uniform(60, h - 60)
                ang = np.sort(rng.uniform(0, 2 * np.pi, pts))
                rad = rng.uniform(10, 50, pts)
                rings.append(
                    np.round(np.stack([cx + rad * np.cos(ang), cy + rad * np.sin(ang)], 1), 2).ravel().tolist()
                )
            xy = np.concatenate([np.reshape(r, (-1, 2)) for r in rings])
            x0, y0 = xy.min(0)
            x1, y1 = xy.max(0)
            anns.append(
                {
                    "segmentation": rings,
                    "area": float(np.round(rng.uniform(100, 8000), 4)),
                    "iscrowd": 0,
                    "image_id": image_id,
                    "bbox": [float(x0), float(y0), round(float(x1 - x0), 2), round(float(y1 - y0), 2)],
                    "category_id": int(rng.integers(1, 91)),
                    "id": k + 1,
                }
            )
        else:
            crowd = kind[k] >= 0.95
            j = int(rng.integers(len(masks)))
            x, y, bw, bh = masks[j].bbox.tolist()
            anns.append(
                {
                    "segmentation": uncompressed[j] if crowd else compressed[j],
                    "area": masks[j].area,
                    "iscrowd": int(crowd),
                    "image_id": image_id,
                    "bbox": [x, y, bw, bh],
                    "category_id": int(rng.integers(1, 91)),
                    "id": k + 1,
                }
            )
    cats = [{"supercategory": "thing", "id": i, "name": f"category {i}"} for i in range(1, 91)]
    return {
        "info": {"description": "synthetic"},
        "licenses": [],
        "images": images,
        "annotations": anns,
        "categories": cats,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--annotations", type=int, default=100_000)
    args = ap.parse_args()
    doc = synthetic_coco(args.annotations)
    fmt = CocoFormat()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "instances_synthetic.json"
        src.write_text(json.dumps(doc))
        size = src.stat().st_size
        t = time.perf_counter()
        with open(src, "rb") as f:
            json.load(f)
        t_json = time.perf_counter() - t
        t = time.perf_counter()
        aset = fmt.read(src)
        t_read = time.perf_counter() - t
        t = time.perf_counter()
        fmt.write(aset, Path(tmp) / "out.json")
        t_write = time.perf_counter() - t
        t = time.perf_counter()
        convert(src, Path(tmp) / "converted.json", from_format="coco", to_format="coco")
        t_convert = time.perf_counter() - t
        back = json.loads((Path(tmp) / "out.json").read_text())
    same = all(
        a["segmentation"] == b["segmentation"]
        and a["area"] == b["area"]
        and a["id"] == b["id"]
        and np.allclose(a["bbox"], b["bbox"], atol=1e-6, rtol=0)
        for a, b in zip(doc["annotations"], back["annotations"])
    )
    print(f"{args.annotations:,} annotations ({size / 1e6:.0f} MB JSON, {len(doc['images']):,} images)")
    print(f"  json.load alone      {t_json:6.2f} s")
    print(f"  CocoFormat.read      {t_read:6.2f} s")
    print(f"  CocoFormat.write     {t_write:6.2f} s")
    print(f"  convert coco -> coco {t_convert:6.2f} s (read, AnnotationSet.check, write)")
    print(f"  round trip identical: {same}")


if __name__ == "__main__":
    main()
