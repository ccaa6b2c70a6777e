"""COCO: small files in the real formats, read, written back and compared; malformed variants.

The files are written here as plain JSON dicts from the format's description; pycocotools
(test-only) is the independent reference for RLE strings, masks and areas.
"""

import copy
import json

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_util
from pycocotools.coco import COCO as PyCOCO

from vistakit.data import (
    COCO_KEYPOINT_NAMES,
    COCO_SKELETON,
    AnnotatedImage,
    AnnotationSet,
    Category,
    DatasetError,
    Instance,
    convert,
    dataset_info,
    load_dataset,
    read_annotations,
    write_annotations,
)
from vistakit.structures import Caption, Polygons, rle_counts_from_strings, rle_counts_to_strings

H, W = 40, 60  # image 1
H2, W2 = 30, 50  # image 2


def _images():
    return [
        {
            "license": 3,
            "file_name": "000000000001.jpg",
            "coco_url": "http://images.cocodataset.org/val2017/000000000001.jpg",
            "height": H,
            "width": W,
            "date_captured": "2013-11-14 17:02:52",
            "flickr_url": "http://farm7.staticflickr.com/x.jpg",
            "id": 1,
        },
        {
            "license": 1,
            "file_name": "000000000002.jpg",
            "coco_url": "",
            "height": H2,
            "width": W2,
            "date_captured": "2013-11-14 20:55:31",
            "flickr_url": "",
            "id": 2,
        },
    ]


def _crowd_counts():
    m = np.zeros((H, W), np.uint8, order="F")
    m[5:20, 30:50] = 1
    return m


def instances_json():
    """An instances_*.json: polygons (two rings), an uncompressed crowd RLE, a compressed RLE."""
    crowd = _crowd_counts()
    crowd_rle = mask_util.encode(np.asfortranarray(crowd))
    # the uncompressed form lists run lengths (what COCO's crowd annotations store)
    flat = crowd.ravel(order="F")
    edges = np.flatnonzero(np.diff(flat)) + 1
    counts = np.diff(np.concatenate(([0], edges, [flat.size]))).tolist()
    m2 = np.zeros((H2, W2), np.uint8)
    m2[3:9, 4:40] = 1
    m2[20:25, 10:12] = 1
    rle2 = mask_util.encode(np.asfortranarray(m2))
    return {
        "info": {"description": "COCO 2017 Dataset", "version": "1.0", "year": 2017},
        "licenses": [{"url": "http://creativecommons.org/licenses/by-nc-sa/2.0/", "id": 1, "name": "BY-NC-SA"}],
        "images": _images(),
        "annotations": [
            {
                "segmentation": [[10.5, 10.25, 25.0, 10.0, 25.0, 30.75, 10.0, 30.0], [2.0, 2.0, 6.0, 2.0, 4.0, 5.0]],
                "area": 321.0625,
                "iscrowd": 0,
                "image_id": 1,
                "bbox": [2.0, 2.0, 23.0, 28.75],
                "category_id": 18,
                "id": 101,
            },
            {
                "segmentation": {"counts": counts, "size": [H, W]},
                "area": int(mask_util.area(crowd_rle)),
                "iscrowd": 1,
                "image_id": 1,
                "bbox": mask_util.toBbox(crowd_rle).tolist(),
                "category_id": 1,
                "id": 102,
            },
            {
                "segmentation": {"size": [H2, W2], "counts": rle2["counts"].decode()},
                "area": int(mask_util.area(rle2)),
                "iscrowd": 0,
                "image_id": 2,
                "bbox": [4.13, 3.07, 35.77, 21.5],
                "category_id": 1,
                "id": 103,
            },
        ],
        "categories": [
            {"supercategory": "person", "id": 1, "name": "person"},
            {"supercategory": "animal", "id": 18, "name": "dog"},
        ],
    }


def keypoints_json():
    rng = np.random.default_rng(0)
    kps = []
    for _n in range(2):
        xy = rng.integers(0, 30, (17, 2))
        v = rng.integers(0, 3, 17)
        xy[v == 0] = 0
        kps.append(np.concatenate([xy, v[:, None]], axis=1).ravel().tolist())
    return {
        "info": {},
        "licenses": [],
        "images": _images(),
        "annotations": [
            {
                "segmentation": [[1.0, 1.0, 30.0, 1.0, 30.0, 35.0]],
                "num_keypoints": int(np.count_nonzero(np.array(k)[2::3])),
                "area": 480.5,
                "iscrowd": 0,
                "keypoints": k,
                "image_id": 1 + n,
                "bbox": [1.0, 1.0, 29.0, 28.0],
                "category_id": 1,
                "id": 200 + n,
            }
            for n, k in enumerate(kps)
        ],
        "categories": [
            {
                "supercategory": "person",
                "id": 1,
                "name": "person",
                "keypoints": list(COCO_KEYPOINT_NAMES),
                "skeleton": [list(p) for p in COCO_SKELETON],
            }
        ],
    }


def stuff_json():
    anns = []
    for k, (cat, rows) in enumerate(((149, slice(0, 10)), (183, slice(10, 40)))):
        m = np.zeros((H, W), np.uint8)
        m[rows, :] = 1
        r = mask_util.encode(np.asfortranarray(m))
        anns.append(
            {
                "segmentation": {"counts": r["counts"].decode(), "size": [H, W]},
                "area": float(mask_util.area(r)),
                "iscrowd": 0,
                "image_id": 1,
                "bbox": mask_util.toBbox(r).tolist(),
                "category_id": cat,
                "id": 300 + k,
            }
        )
    return {
        "info": {},
        "licenses": [],
        "images": _images()[:1],
        "annotations": anns,
        "categories": [
            {"supercategory": "plant", "id": 149, "name": "grass"},
            {"supercategory": "other", "id": 183, "name": "other"},
        ],
    }


def captions_json():
    return {
        "info": {},
        "licenses": [],
        "images": _images(),
        "annotations": [
            {"image_id": 1, "id": 1, "caption": "A dog next to a person."},
            {"image_id": 1, "id": 7, "caption": "Two friends in the park"},
            {"image_id": 2, "id": 3, "caption": "Un café, s'il vous plaît."},
        ],
    }


def write_panoptic(root, split="val2017"):
    """panoptic_SPLIT.json + panoptic_SPLIT/*.png, the PNG colours R + 256 G + 256^2 B written by hand."""
    ids = np.zeros((H, W), np.int64)
    ids[:, :20] = 3 + 256 * 1  # a thing (person), id 259
    ids[20:, 20:] = 65536 * 2 + 7  # stuff (grass), id 131079
    rgb = np.stack([ids % 256, (ids // 256) % 256, ids // 65536], axis=-1).astype(np.uint8)
    folder = root / "annotations" / f"panoptic_{split}"
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(folder / "000000000001.png")
    doc = {
        "info": {},
        "licenses": [],
        "images": _images()[:1],
        "annotations": [
            {
                "segments_info": [
                    {"id": 259, "category_id": 1, "iscrowd": 0, "bbox": [0, 0, 20, H], "area": 20 * H},
                    {
                        "id": 131079,
                        "category_id": 149,
                        "iscrowd": 0,
                        "bbox": [20, 20, W - 20, H - 20],
                        "area": (W - 20) * (H - 20),
                    },
                ],
                "file_name": "000000000001.png",
                "image_id": 1,
            }
        ],
        "categories": [
            {"supercategory": "person", "isthing": 1, "id": 1, "name": "person", "color": [220, 20, 60]},
            {"supercategory": "plant", "isthing": 0, "id": 149, "name": "grass", "color": [152, 251, 152]},
        ],
    }
    path = root / "annotations" / f"panoptic_{split}.json"
    path.write_text(json.dumps(doc))
    return path, doc, ids


def _dump(path, doc):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def assert_same_coco(a, b):
    """Same JSON content; boxes to 1e-6, everything else exactly."""
    assert set(a) == set(b)
    for key in a:
        if key != "annotations":
            assert a[key] == b[key], key
    assert len(a["annotations"]) == len(b["annotations"])
    for x, y in zip(a["annotations"], b["annotations"]):
        assert set(x) == set(y), (x.keys(), y.keys())
        for k in x:
            if k == "bbox":
                np.testing.assert_allclose(x[k], y[k], atol=1e-6, rtol=0)
            else:
                assert x[k] == y[k], (k, x[k], y[k])


# ---------------------------------------------------------------------- read / write / round trip


def test_instances_read_exactly(tmp_path):
    doc = instances_json()
    path = _dump(tmp_path / "annotations" / "instances_val2017.json", doc)
    s = read_annotations(path, format="coco")
    assert s.info["coco_type"] == "instances" and [c.supercategory for c in s.categories] == ["person", "animal"]
    assert [c.id for c in s.categories] == [1, 18] and len(s) == 2 and s.num_instances == 3
    poly, crowd = s.images[0].instances
    np.testing.assert_array_equal(poly.box, [2.0, 2.0, 25.0, 30.75])  # x, y, x + w, y + h
    assert isinstance(poly.polygons, Polygons) and len(poly.polygons) == 2 and poly.area == 321.0625 and poly.id == 101
    np.testing.assert_array_equal(poly.polygons.rings[1], [[2, 2], [6, 2], [4, 5]])
    assert crowd.iscrowd and crowd.rle is not None and crowd.polygons is None
    np.testing.assert_array_equal(crowd.rle.decode(), _crowd_counts().astype(bool))
    ref = PyCOCO(str(path))
    for im in s.images:
        for inst in im.instances:
            np.testing.assert_array_equal(
                inst.mask(height=im.height, width=im.width), ref.annToMask(ref.anns[inst.id]).astype(bool)
            )
    assert s.images[0].attributes["coco_url"].endswith("000000000001.jpg")


def test_instances_round_trip_is_identical(tmp_path):
    doc = instances_json()
    path = _dump(tmp_path / "instances_val2017.json", doc)
    s = read_annotations(path, format="coco")
    report = write_annotations(s, tmp_path / "out" / "instances_val2017.json", format="coco")
    assert report.images == 2 and report.instances == 3 and report.skipped == []
    back = json.loads((tmp_path / "out" / "instances_val2017.json").read_text())
    assert_same_coco(doc, back)
    assert isinstance(back["annotations"][1]["segmentation"]["counts"], list)  # crowd stays uncompressed
    assert isinstance(back["annotations"][2]["segmentation"]["counts"], str)  # compressed stays compressed
    # and the other way round: a compressed crowd RLE stays compressed
    doc2 = copy.deepcopy(doc)
    r = mask_util.encode(np.asfortranarray(_crowd_counts()))
    doc2["annotations"][1]["segmentation"] = {"size": [H, W], "counts": r["counts"].decode()}
    s2 = read_annotations(_dump(tmp_path / "b.json", doc2), format="coco")
    write_annotations(s2, tmp_path / "b2.json", format="coco")
    assert_same_coco(doc2, json.loads((tmp_path / "b2.json").read_text()))


def test_keypoints_round_trip(tmp_path):
    doc = keypoints_json()
    s = read_annotations(_dump(tmp_path / "person_keypoints_val2017.json", doc), format="coco", task="keypoints")
    cat = s.categories[0]
    assert cat.keypoints == COCO_KEYPOINT_NAMES and cat.skeleton == COCO_SKELETON and len(cat.keypoints) == 17
    inst = s.images[0].instances[0]
    assert inst.keypoints.shape == (17, 3)
    np.testing.assert_array_equal(inst.keypoints.ravel(), doc["annotations"][0]["keypoints"])
    write_annotations(s, tmp_path / "k.json", format="coco")
    assert_same_coco(doc, json.loads((tmp_path / "k.json").read_text()))
    sample = s.sample(0, load_image=False)
    np.testing.assert_array_equal(sample.keypoints.visible[0], np.array(doc["annotations"][0]["keypoints"][2::3]) > 0)


def test_malformed_keypoints(tmp_path):
    doc = keypoints_json()
    doc["annotations"][1]["keypoints"][5] = 3  # the visibility of point 1
    with pytest.raises(DatasetError, match=r"k\.json: annotations\[1\]\.keypoints: point 1 has visibility 3"):
        read_annotations(_dump(tmp_path / "k.json", doc), format="coco")
    doc = keypoints_json()
    doc["annotations"][0]["keypoints"] = doc["annotations"][0]["keypoints"][:48]
    with pytest.raises(DatasetError, match=r"annotations\[0\]\.keypoints: 16 points, but category 1 names 17"):
        read_annotations(_dump(tmp_path / "k.json", doc), format="coco")


def test_stuff_and_captions_round_trip(tmp_path):
    for name, doc in (("stuff_val2017.json", stuff_json()), ("captions_val2017.json", captions_json())):
        s = read_annotations(_dump(tmp_path / name, doc), format="coco")
        write_annotations(s, tmp_path / "out" / name, format="coco")
        back = json.loads((tmp_path / "out" / name).read_text(encoding="utf-8"))
        assert_same_coco(doc, back)  # captions files have no categories, and get none
    caps = read_annotations(tmp_path / "captions_val2017.json", format="coco")
    assert [c.text for c in caps.images[0].captions] == ["A dog next to a person.", "Two friends in the park"]
    assert caps.images[1].captions == [Caption("Un café, s'il vous plaît.", 3)]


def test_panoptic_round_trip_copies_the_pngs(tmp_path):
    path, doc, _ = write_panoptic(tmp_path / "src")
    s = read_annotations(path, format="coco", task="panoptic")
    im = s.images[0]
    assert im.segmentation.endswith("panoptic_val2017/000000000001.png") and [g.id for g in im.segments] == [
        259,
        131079,
    ]
    assert s.category_by_id[149].isthing is False and s.category_by_id[1].color == (220, 20, 60)
    out = tmp_path / "dst" / "panoptic_val2017.json"
    report = write_annotations(s, out, format="coco")
    assert report.instances == 2
    assert_same_coco(doc, json.loads(out.read_text()))
    png = tmp_path / "dst" / "panoptic_val2017" / "000000000001.png"
    assert png.read_bytes() == (tmp_path / "src" / "annotations" / "panoptic_val2017" / "000000000001.png").read_bytes()
    # a missing PNG: an error, and nothing written
    (tmp_path / "src" / "annotations" / "panoptic_val2017" / "000000000001.png").unlink()
    with pytest.raises(DatasetError, match="000000000001.png is missing"):
        write_annotations(s, tmp_path / "dst2" / "panoptic_val2017.json", format="coco")
    assert not (tmp_path / "dst2").exists()


def test_a_set_from_elsewhere_gets_coco_areas_ids_and_a_report(tmp_path):
    square = Polygons([np.array([[2.0, 2], [12.5, 2], [12.5, 8.25], [2, 8.25]])])
    s = AnnotationSet(
        [Category(0, "a"), Category(1, "b")],
        [
            AnnotatedImage(
                "x.png",
                20,
                15,
                7,
                [
                    Instance(0, [2, 2, 12.5, 8.25], polygons=square),
                    Instance(np.int64(1), [1, 1, 4, 5], area=np.float32(12.0)),  # numpy scalars, as some readers give
                ],
                captions=[Caption("hello")],
            )
        ],
    )
    report = write_annotations(s, tmp_path / "x.json", format="coco")
    back = json.loads((tmp_path / "x.json").read_text())
    a, b = back["annotations"]
    ref = mask_util.area(mask_util.merge(mask_util.frPyObjects(a["segmentation"], 15, 20)))
    assert a["area"] == float(ref) and b["area"] == 12.0 and "segmentation" not in b
    assert [a["id"], b["id"]] == [1, 2] and b["bbox"] == [1, 1, 3, 4]
    assert len(report.skipped) == 1 and "caption" in report.skipped[0] and "image 7" in report.skipped[0]
    assert "not expressible in coco (1)" in report.summary()
    PyCOCO(str(tmp_path / "x.json"))  # the official API loads what we wrote


def test_rle_strings_decode_and_encode_at_once_like_pycocotools():
    rng = np.random.default_rng(1)
    masks = [
        rng.random((h, w)) < p
        for h, w, p in [
            (1, 1, 1.0),
            (1, 1, 0.0),
            (7, 5, 0.5),
            (64, 48, 0.97),
            (33, 20, 0.02),
            (200, 300, 0.5),
            (3, 1000, 0.3),
        ]
    ]
    strings = [mask_util.encode(np.asfortranarray(m.astype(np.uint8)))["counts"].decode() for m in masks]
    decoded = rle_counts_from_strings(strings)
    for s, m, counts in zip(strings, masks, decoded):
        ref = mask_util.decode({"size": list(m.shape), "counts": s.encode()})
        flat = np.repeat(np.arange(len(counts)) % 2, counts).reshape(m.shape[::-1]).T
        np.testing.assert_array_equal(flat, ref)
    assert rle_counts_to_strings(decoded) == strings  # and back, all at once


# ---------------------------------------------------------------------- malformed files


def _bad(mutate):
    doc = instances_json()
    mutate(doc)
    return doc


MALFORMED = [
    ("missing bbox", lambda d: d["annotations"][2].pop("bbox"), r"annotations\[2\]\.bbox: missing"),
    (
        "box outside",
        lambda d: d["annotations"][0].update(bbox=[50.0, 2.0, 23.0, 10.0]),
        r"annotations\[0\]\.bbox: box .* outside image 1 of 60x40",
    ),
    (
        "negative size",
        lambda d: d["annotations"][0].update(bbox=[5.0, 2.0, -3.0, 10.0]),
        r"annotations\[0\]\.bbox: negative",
    ),
    (
        "short ring",
        lambda d: d["annotations"][0]["segmentation"].append([1.0, 1.0, 3.0, 3.0]),
        r"annotations\[0\]\.segmentation\[2\]: a polygon ring needs .* at least 6 numbers \(3 points\), got 4",
    ),
    (
        "unknown category",
        lambda d: d["annotations"][1].update(category_id=99),
        r"annotations\[1\]\.category_id: unknown category id 99",
    ),
    (
        "rle size",
        lambda d: d["annotations"][2]["segmentation"].update(size=[H2, W2 + 1]),
        r"annotations\[2\]\.segmentation\.size: RLE of size \[30, 51\] .* image 2 of height 30 and width 50",
    ),
    (
        "rle counts",
        lambda d: d["annotations"][1]["segmentation"]["counts"].append(5),
        r"annotations\[1\]\.segmentation\.counts: .*sum to 2405",
    ),
    (
        "bad string",
        lambda d: d["annotations"][2]["segmentation"].update(counts="~~~"),
        r"annotations\[2\]\.segmentation\.counts",
    ),
    (
        "unknown image",
        lambda d: d["annotations"][2].update(image_id=5),
        r"annotations\[2\]\.image_id: no image has id 5",
    ),
    ("duplicate image", lambda d: d["images"][1].update(id=1), r"images\[1\]\.id: id 1 occurs more than once"),
    (
        "duplicate annotation",
        lambda d: d["annotations"][2].update(id=101),
        r"annotations\[2\]\.id: id 101 occurs more than once",
    ),
    ("text id", lambda d: d["annotations"][0].update(id="101"), r"annotations\[0\]\.id: expected an integer"),
    ("no categories", lambda d: d.pop("categories"), r"missing top-level key 'categories'"),
    (
        "string in ring",
        lambda d: d["annotations"][0]["segmentation"][0].__setitem__(3, "x"),
        r"annotations\[0\]\.segmentation\[0\]: expected a flat list of numbers",
    ),
]


@pytest.mark.parametrize("mutate, message", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_files_name_the_file_record_and_field(tmp_path, mutate, message):
    path = _dump(tmp_path / "instances_val2017.json", _bad(mutate))
    with pytest.raises(DatasetError, match=r"instances_val2017\.json: " + message):
        read_annotations(path, format="coco")
    # and a conversion with errors writes nothing
    with pytest.raises(DatasetError):
        convert(path, tmp_path / "out.json", from_format="coco", to_format="coco")
    assert not (tmp_path / "out.json").exists()


def test_short_rings_can_be_skipped_and_are_reported(tmp_path):
    doc = _bad(lambda d: d["annotations"][0]["segmentation"].insert(1, [1.0, 1.0, 3.0, 3.0]))
    path = _dump(tmp_path / "instances_val2017.json", doc)
    s = read_annotations(path, format="coco", on_invalid="skip")
    assert len(s.images[0].instances[0].polygons) == 2
    assert len(s.info["skipped"]) == 1 and "annotations[0].segmentation[1]" in s.info["skipped"][0]
    write_annotations(s, tmp_path / "o.json", format="coco")
    assert_same_coco(instances_json(), json.loads((tmp_path / "o.json").read_text()))
    with pytest.raises(DatasetError, match="not a valid JSON"):
        (tmp_path / "broken.json").write_text('{"images": [')
        read_annotations(tmp_path / "broken.json", format="coco")
    with pytest.raises(DatasetError, match="a instances file, not the panoptic file"):
        read_annotations(path, format="coco", task="panoptic")


# ---------------------------------------------------------------------- the data set


def _coco_root(tmp_path):
    root = tmp_path / "coco"
    _dump(root / "annotations" / "instances_val2017.json", instances_json())
    _dump(root / "annotations" / "person_keypoints_val2017.json", keypoints_json())
    _dump(root / "annotations" / "stuff_val2017.json", stuff_json())
    _dump(root / "annotations" / "captions_val2017.json", captions_json())
    write_panoptic(root)
    (root / "val2017").mkdir()
    for im in _images():
        Image.fromarray(np.full((im["height"], im["width"], 3), im["id"], np.uint8)).save(
            root / "val2017" / im["file_name"]
        )
    return root


def test_card_has_the_real_facts():
    info = dataset_info("coco")
    assert dict(info.splits) == {"train2017": 118_287, "val2017": 5_000, "test2017": 40_670}
    assert len(info.classes) == 80 and info.classes[0] == "person" and info.classes[-1] == "toothbrush"
    from vistakit.data import COCO_THING_CATEGORIES

    ids = [c.id for c in COCO_THING_CATEGORIES]
    assert ids[:12] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13] and ids[-1] == 90 and len(set(ids)) == 80
    assert {12, 26, 29, 30, 45, 66, 68, 69, 71, 83} & set(ids) == set()
    assert (
        "CC BY 4.0" in info.license and "Flickr" in info.license and "Lin" in info.citation and "2014" in info.citation
    )
    ann = info.file("annotations_trainval2017.zip")
    assert (
        ann.urls == ("http://images.cocodataset.org/annotations/annotations_trainval2017.zip",)
        and ann.size == 252_907_541
    )


def test_load_dataset_every_task(tmp_path):
    root = _coco_root(tmp_path)
    det = load_dataset("coco", split="val2017", root=root, task="detection")
    assert len(det) == 2 and det.classes[18] == "dog"
    s = det[0]
    assert tuple(s.image.shape) == (3, H, W) and int(s.image[0, 0, 0]) == 1 and s.masks is None
    np.testing.assert_array_equal(s.labels, [18, 1])
    inst = load_dataset("coco", split="val2017", root=root, task="instances")
    ref = PyCOCO(str(root / "annotations" / "instances_val2017.json"))
    np.testing.assert_array_equal(inst[1].masks[0], ref.annToMask(ref.anns[103]))
    kp = load_dataset("coco", split="val2017", root=root, task="keypoints")
    assert kp[0].keypoints.data.shape == (1, 17, 2) and kp[0].keypoints.names == COCO_KEYPOINT_NAMES
    stuff = load_dataset("coco", split="val2017", root=root, task="stuff")[0]
    assert stuff.mask.shape == (H, W) and (stuff.mask[:10] == 149).all() and (stuff.mask[10:] == 183).all()
    pan = load_dataset("coco", split="val2017", root=root, task="panoptic")[0]
    _, _, ids = write_panoptic(tmp_path / "again")
    np.testing.assert_array_equal(pan.mask, ids)
    assert [g.category_id for g in pan.meta["segments"]] == [1, 149]
    np.testing.assert_array_equal(pan.boxes.data, [[0, 0, 20, H], [20, 20, W, H]])
    assert pan.labels.tolist() == [1, 149] and pan.ids.tolist() == [259, 131079]
    caps = load_dataset("coco", split="val2017", root=root, task="captions")
    assert [c.text for c in caps[1].captions] == ["Un café, s'il vous plaît."]
    with pytest.raises(ValueError, match="task: expected one of"):
        load_dataset("coco", split="val2017", root=root, task="depth")
    with pytest.raises(ValueError, match="splits"):
        load_dataset("coco", split="val", root=root)


def test_load_dataset_unpacks_the_panoptic_png_zip(tmp_path):
    import zipfile

    root = _coco_root(tmp_path)
    folder = root / "annotations" / "panoptic_val2017"
    with zipfile.ZipFile(root / "annotations" / "panoptic_val2017.zip", "w") as zf:
        for png in folder.iterdir():
            zf.write(png, f"panoptic_val2017/{png.name}")
            png.unlink()
    folder.rmdir()
    pan = load_dataset("coco", split="val2017", root=root, task="panoptic", download=False)[0]
    assert pan.mask.shape == (H, W) and set(np.unique(pan.mask).tolist()) == {0, 259, 131079}


def test_load_dataset_unpacks_the_annotation_zip(tmp_path):
    import zipfile

    root = _coco_root(tmp_path)
    with zipfile.ZipFile(root / "annotations_trainval2017.zip", "w") as zf:
        zf.write(root / "annotations" / "captions_val2017.json", "annotations/captions_val2017.json")
    (root / "annotations" / "captions_val2017.json").unlink()
    caps = load_dataset("coco", split="val2017", root=root, task="captions", download=False)
    assert len(caps.get_sample(0).captions) == 2 and (root / "annotations" / "captions_val2017.json").is_file()


def test_test2017_has_images_only(tmp_path):
    root = tmp_path / "coco"
    doc = {
        "info": {},
        "licenses": [],
        "images": _images()[:1],
        "categories": [{"supercategory": "person", "id": 1, "name": "person"}],
    }
    _dump(root / "annotations" / "image_info_test2017.json", doc)
    (root / "test2017").mkdir()
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(root / "test2017" / "000000000001.jpg")
    ds = load_dataset("coco", split="test2017", root=root, download=False)
    assert len(ds) == 1 and len(ds[0].boxes) == 0 and ds.annotations.info["coco_type"] == "image_info"
    write_annotations(ds.annotations, tmp_path / "info.json", format="coco")
    assert json.loads((tmp_path / "info.json").read_text()) == doc
    with pytest.raises(ValueError, match="test2017 has no public annotations"):
        load_dataset("coco", split="test2017", root=root, task="captions")
    with pytest.raises(Exception, match="image_info_test2017.zip"):
        load_dataset("coco", split="test2017", root=tmp_path / "empty", download=False)


@pytest.mark.parametrize("task", ["instances", "keypoints", "stuff", "panoptic"])
def test_augmentation_moves_every_coco_target(tmp_path, task):
    from vistakit.transforms import HorizontalFlip

    ds = load_dataset("coco", split="val2017", root=_coco_root(tmp_path), task=task, transform=HorizontalFlip(p=1.0))
    raw, flipped = ds.get_sample(0), ds[0]
    boxes = np.asarray(raw.boxes.data)
    np.testing.assert_allclose(
        np.asarray(flipped.boxes.data), np.stack([W - boxes[:, 2], boxes[:, 1], W - boxes[:, 0], boxes[:, 3]], 1)
    )
    for name in ("mask", "masks"):
        if getattr(raw, name) is not None:
            np.testing.assert_array_equal(np.asarray(getattr(flipped, name)), np.asarray(getattr(raw, name))[..., ::-1])
    assert (raw.mask is not None) == (task in ("stuff", "panoptic")) and (raw.masks is not None) == (
        task == "instances"
    )


def test_random_sets_survive_write_then_read(tmp_path):
    """AnnotationSet -> COCO -> AnnotationSet: boxes to 1e-6, polygons, RLEs, crowd flags, keypoints, areas exact."""
    rng = np.random.default_rng(7)
    cats = [Category(i, f"c{i}", "s", keypoints=("a", "b", "c") if i == 3 else ()) for i in (1, 3, 90)]
    images = []
    for im_id in range(1, 6):
        h, w = int(rng.integers(20, 60)), int(rng.integers(20, 60))
        insts = []
        for _ in range(int(rng.integers(0, 8))):
            x1, y1 = rng.uniform(0, w / 2), rng.uniform(0, h / 2)
            box = [x1, y1, rng.uniform(x1, w), rng.uniform(y1, h)]
            cat = int(rng.choice([1, 3, 90]))
            kind = rng.integers(3)
            poly = rle = None
            if kind == 0:
                poly = Polygons(
                    [rng.uniform(0, [w, h], (int(rng.integers(3, 9)), 2)) for _ in range(int(rng.integers(1, 3)))]
                )
            elif kind == 1:
                from vistakit.structures import RLE

                rle = RLE.encode(rng.random((h, w)) < 0.3)
            kps = np.concatenate([rng.integers(0, 20, (3, 2)), rng.integers(0, 3, (3, 1))], 1) if cat == 3 else None
            insts.append(
                Instance(
                    cat,
                    box,
                    polygons=poly,
                    rle=rle,
                    iscrowd=bool(kind == 1 and rng.random() < 0.5),
                    keypoints=kps,
                    area=None if rng.random() < 0.5 else float(rng.uniform(1, 99)),
                )
            )
        images.append(AnnotatedImage(f"{im_id}.jpg", w, h, im_id, insts))
    original = AnnotationSet(cats, images)
    write_annotations(original, tmp_path / "r.json", format="coco", coco_type="person_keypoints")
    back = read_annotations(tmp_path / "r.json", format="coco")
    assert back.categories == cats and [im.id for im in back.images] == [im.id for im in images]
    for a, b in zip(images, back.images):
        assert len(a.instances) == len(b.instances)
        for x, y in zip(a.instances, b.instances):
            np.testing.assert_allclose(y.box, x.box, atol=1e-6, rtol=0)
            assert (
                x.category_id == y.category_id
                and x.iscrowd == y.iscrowd
                and x.polygons == y.polygons
                and x.rle == y.rle
            )
            assert (x.keypoints is None) == (y.keypoints is None)
            if x.keypoints is not None:
                np.testing.assert_array_equal(x.keypoints, y.keypoints)
            if x.area is not None:
                assert y.area == x.area
            elif x.rle is not None:
                assert y.area == x.rle.area
