"""vistakit evaluate --task detection / instances: COCO's summary block, equal to pycocotools'."""

import contextlib
import io
import json

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from vistakit.cli import main


def _files(tmp_path):
    rng = np.random.default_rng(0)
    images = [{"id": i, "width": 64, "height": 48, "file_name": f"{i}.jpg"} for i in (1, 2, 3)]
    anns, dets = [], []
    for im in images:
        for _ in range(3):
            x, y = rng.uniform(0, 40), rng.uniform(0, 30)
            w, h = rng.uniform(4, 20), rng.uniform(4, 15)
            m = np.zeros((48, 64), np.uint8)
            m[int(y) : int(y + h), int(x) : int(x + w)] = 1
            rle = mask_utils.encode(np.asfortranarray(m))
            rle["counts"] = rle["counts"].decode()
            anns.append(
                {
                    "id": len(anns) + 1,
                    "image_id": im["id"],
                    "category_id": int(rng.choice([1, 3])),
                    "bbox": [x, y, w, h],
                    "area": float(m.sum()),
                    "iscrowd": 0,
                    "segmentation": rle,
                }
            )
            d = np.roll(m, int(rng.integers(-2, 3)), axis=1)
            drle = mask_utils.encode(np.asfortranarray(d))
            drle["counts"] = drle["counts"].decode()
            dets.append(
                {
                    "image_id": im["id"],
                    "category_id": anns[-1]["category_id"],
                    "score": float(rng.random()),
                    "bbox": [x + rng.normal(0, 1), y + rng.normal(0, 1), w, h],
                    "segmentation": drle,
                }
            )
    gt = {"images": images, "annotations": anns, "categories": [{"id": 1, "name": "a"}, {"id": 3, "name": "b"}]}
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "dt.json").write_text(json.dumps(dets))
    return gt, dets


def _pycocotools_summary(gt, dets, iou_type):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        coco = COCO()
        coco.dataset = json.loads(json.dumps(gt))
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(json.loads(json.dumps(dets))), iouType=iou_type)
        ev.evaluate()
        ev.accumulate()
        out.truncate(0)
        out.seek(0)
        ev.summarize()
    return out.getvalue()


def test_detection_and_instances_print_pycocotools_summary(tmp_path, capsys):
    gt, dets = _files(tmp_path)
    for task, iou_type in (("detection", "bbox"), ("instances", "segm")):
        assert (
            main(["evaluate", "--task", task, "--gt", str(tmp_path / "gt.json"), "--pred", str(tmp_path / "dt.json")])
            == 0
        )
        out = capsys.readouterr().out
        assert f"9 detections on 3 images, COCO {iou_type} evaluation" in out
        assert _pycocotools_summary(gt, dets, iou_type).strip() in out


def test_bad_files_are_one_line_errors(tmp_path, capsys):
    (tmp_path / "gt.json").write_text("{not json")
    assert (
        main(
            [
                "evaluate",
                "--task",
                "detection",
                "--gt",
                str(tmp_path / "gt.json"),
                "--pred",
                str(tmp_path / "missing.json"),
            ]
        )
        != 0
    )
    assert "not JSON" in capsys.readouterr().err
