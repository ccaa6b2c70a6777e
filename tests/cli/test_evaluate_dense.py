"""``vistakit evaluate --task semantic | panoptic | captions | text`` through the entry point, on small files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import jaccard_score

from vistakit.cli import main
from vistakit.structures import id_to_rgb


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_semantic(tmp_path, capsys):
    rng = np.random.default_rng(0)
    trues, preds = [], []
    for name in ("a.png", "sub/b.png"):
        t = rng.integers(0, 3, (8, 10)).astype(np.uint8)
        p = np.where(rng.random(t.shape) < 0.7, t, rng.integers(0, 3, t.shape)).astype(np.uint8)
        t[0, :4] = 255
        for root, arr in (("gt", t), ("pred", p)):
            (tmp_path / root / name).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(arr, mode="L").save(tmp_path / root / name)
        trues.append(t.ravel())
        preds.append(p.ravel())
    t, p = np.concatenate(trues), np.concatenate(preds)
    keep = t != 255
    iou = jaccard_score(t[keep], p[keep], average=None, labels=range(3))
    code, out, err = run(
        capsys,
        "evaluate",
        "--task",
        "semantic",
        "--gt",
        tmp_path / "gt",
        "--pred",
        tmp_path / "pred",
        "--num-classes",
        3,
        "--target-names",
        "sky,road,car",
    )
    assert code == 0, err
    assert "2 label maps" in out and f"{keep.sum()} pixels counted" in out
    for name, value in zip(("sky", "road", "car"), iou):
        assert any(line.split()[:2] == [name, f"{value:.4f}"] for line in out.splitlines())
    assert f"mIoU  {iou.mean():.4f}" in out
    assert f"pixel accuracy  {(t[keep] == p[keep]).mean():.4f}" in out

    (tmp_path / "pred" / "a.png").unlink()
    code, _, err = run(
        capsys,
        "evaluate",
        "--task",
        "semantic",
        "--gt",
        tmp_path / "gt",
        "--pred",
        tmp_path / "pred",
        "--num-classes",
        3,
    )
    assert code == 2 and "no prediction for ['a.png']" in err
    code, _, err = run(capsys, "evaluate", "--task", "semantic", "--gt", tmp_path / "gt", "--pred", tmp_path / "pred")
    assert code == 2 and "--task semantic needs --num-classes" in err


def write_panoptic(root, name, maps, segments, categories):
    folder = root / name
    folder.mkdir()
    annotations = []
    for image_id, (ids, segs) in enumerate(zip(maps, segments)):
        Image.fromarray(id_to_rgb(ids)).save(folder / f"{image_id}.png")
        annotations.append({"image_id": image_id, "file_name": f"{image_id}.png", "segments_info": segs})
    (root / f"{name}.json").write_text(json.dumps({"annotations": annotations, "categories": categories}))
    return root / f"{name}.json"


def test_panoptic(tmp_path, capsys):
    categories = [{"id": 1, "name": "person", "isthing": 1}, {"id": 5, "name": "grass", "isthing": 0}]
    gt = np.array([[1, 1, 1, 1], [2, 2, 2, 2], [300, 300, 300, 300]])
    gsegs = [
        {"id": 1, "category_id": 1, "iscrowd": 0},
        {"id": 2, "category_id": 1, "iscrowd": 0},
        {"id": 300, "category_id": 5, "iscrowd": 0},
    ]
    pred = np.array([[7, 7, 7, 0], [8, 8, 9, 9], [70000, 70000, 70000, 70000]])
    psegs = [
        {"id": 7, "category_id": 1},
        {"id": 8, "category_id": 1},
        {"id": 9, "category_id": 1},
        {"id": 70000, "category_id": 5},
    ]
    gt_json = write_panoptic(tmp_path, "gt", [gt], [gsegs], categories)
    pred_json = write_panoptic(tmp_path, "pred", [pred], [psegs], categories)
    code, out, err = run(capsys, "evaluate", "--task", "panoptic", "--gt-json", gt_json, "--pred-json", pred_json)
    assert code == 0, err
    # person: 7 matches 1 (IoU 3/4, its VOID pixel lies on gt 1, not VOID); 8 and 9 cover half of 2 each:
    # TP 1, FP 2, FN 1 -> PQ = 0.75 / 2.5 = 0.3, SQ 0.75, RQ 0.4; grass: PQ 1
    rows = {line.split("|")[0].strip(): line.split("|")[1].split() for line in out.splitlines() if "|" in line}
    assert rows["Things"] == ["30.0", "75.0", "40.0", "1"]
    assert rows["Stuff"] == ["100.0", "100.0", "100.0", "1"]
    assert rows["All"] == ["65.0", "87.5", "70.0", "2"]
    assert rows["person"] == ["30.0", "75.0", "40.0", "1", "2", "1"]

    code, _, err = run(capsys, "evaluate", "--task", "panoptic", "--gt-json", gt_json)
    assert code == 2 and "needs --pred-json" in err


def test_captions(tmp_path, capsys):
    gt = {
        "annotations": [
            {"image_id": 1, "caption": "A dog runs on the grass."},
            {"image_id": 1, "caption": "A brown dog running."},
            {"image_id": 2, "caption": "Two cats sit on a red table"},
            {"image_id": 3, "caption": "not evaluated: no result for this image"},
        ]
    }
    res = [{"image_id": 1, "caption": "A dog runs on grass"}, {"image_id": 2, "caption": "Two cats on a table!"}]
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "res.json").write_text(json.dumps(res))
    code, out, err = run(
        capsys, "evaluate", "--task", "captions", "--gt", tmp_path / "gt.json", "--pred", tmp_path / "res.json"
    )
    assert code == 0, err
    assert "2 images, 3 reference captions" in out
    refs = {1: ["a dog runs on the grass", "a brown dog running"], 2: ["two cats sit on a red table"]}
    cands = {1: ["a dog runs on grass"], 2: ["two cats on a table"]}
    coco = pytest.importorskip("pycocoevalcap.cider.cider")
    bleu_mod = pytest.importorskip("pycocoevalcap.bleu.bleu")
    b, _ = bleu_mod.Bleu(4).compute_score(refs, cands, verbose=0)
    c, _ = coco.Cider().compute_score(refs, cands)
    assert f"  Bleu_1 {b[0]:.4f}" in out and f"  Bleu_4 {b[3]:.4f}" in out and f"   CIDEr {c:.4f}" in out

    res.append({"image_id": 2, "caption": "again"})
    (tmp_path / "res.json").write_text(json.dumps(res))
    code, _, err = run(
        capsys, "evaluate", "--task", "captions", "--gt", tmp_path / "gt.json", "--pred", tmp_path / "res.json"
    )
    assert code == 2 and "image 2 has more than one result caption" in err


def test_text(tmp_path, capsys):
    (tmp_path / "gt").mkdir()
    (tmp_path / "res").mkdir()
    (tmp_path / "gt" / "gt_img_1.txt").write_text(
        "0,0,10,0,10,10,0,10,HELLO\n20,0,30,0,30,10,20,10,###\n40,0,50,0,50,10,40,10,WORLD\n", encoding="utf-8-sig"
    )
    (tmp_path / "gt" / "gt_img_2.txt").write_text("0,0,10,0,10,10,0,10,A\n")
    (tmp_path / "res" / "res_img_1.txt").write_text(
        "1,0,10,0,10,10,1,10\n20,0,30,0,30,10,20,10\n60,0,70,0,70,10,60,10\n"
    )
    code, out, err = run(capsys, "evaluate", "--task", "text", "--gt", tmp_path / "gt", "--pred", tmp_path / "res")
    assert code == 0, err
    # 1 match; care gt: HELLO, WORLD, A = 3; care detections: 2 (the one on ### is dropped)
    header, values = [line.split() for line in out.splitlines() if line.strip()][1:3]
    assert header == ["images", "gt", "det", "matched", "precision", "recall", "h-mean"]
    assert values == ["2", "3", "2", "1", "0.5000", "0.3333", "0.4000"]
    assert "(1 of 2 images have no detections)" in out

    (tmp_path / "res" / "res_img_9.txt").write_text("")
    code, _, err = run(capsys, "evaluate", "--task", "text", "--gt", tmp_path / "gt", "--pred", tmp_path / "res")
    assert code == 2 and "res_img_9.txt" in err
