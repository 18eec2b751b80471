"""Raw dataset <-> COCO: every box, polygon, mask, class, image and file name survives."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from synapse_nb.errors import InputError
from synapse_nb.formats.coco import read_coco, write_coco
from synapse_nb.formats.raw import RawDataset
from synapse_nb.formats.shapes import bitmap_to_mask
from synapse_nb.schemas import Bitmap, Polygon, Rectangle

# pycocotools' mask decoder trips a numpy 2 deprecation inside its own code; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def _mask(height: int, width: int, box: tuple[int, int, int, int]) -> np.ndarray:
    m = np.zeros((height, width), dtype=np.uint8)
    x1, y1, x2, y2 = box
    m[y1:y2, x1:x2] = 1
    return m


def _coco_source(root: Path) -> Path:
    """A small COCO dataset as found in the wild: gaps in category ids, sub-folders, every
    kind of segmentation (polygon, compressed RLE, uncompressed crowd RLE, none)."""
    for name in ("street/a.jpg", "street/b.jpg", "c.png"):
        (root / "images" / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (40, 30), (10, 20, 30)).save(root / "images" / name)
    compressed = mask_utils.encode(np.asfortranarray(_mask(30, 40, (5, 5, 15, 12))))
    crowd = _mask(30, 40, (20, 10, 30, 25))
    flat = crowd.flatten(order="F")
    changes = np.flatnonzero(np.diff(np.concatenate([[0], flat, [2]])))  # run starts incl. the end sentinel
    counts = np.diff(np.concatenate([[0], changes])).tolist()
    counts = counts if flat[0] == 0 else [0, *counts]
    doc = {
        "images": [
            {"id": 10, "file_name": "street/a.jpg", "width": 40, "height": 30},
            {"id": 11, "file_name": "street/b.jpg", "width": 40, "height": 30},
            {"id": 12, "file_name": "c.png"},  # no size: read from the file
        ],
        "categories": [{"id": 3, "name": "car"}, {"id": 7, "name": "person"}, {"id": 9, "name": "sign"}],
        "annotations": [
            {"id": 1, "image_id": 10, "category_id": 3, "bbox": [1, 2, 10, 8], "area": 40, "iscrowd": 0, "segmentation": [[1, 2, 11, 2, 11, 10, 1, 10]]},
            {"id": 2, "image_id": 10, "category_id": 7, "bbox": [5, 5, 10, 7], "area": 70, "iscrowd": 0, "segmentation": {"size": [30, 40], "counts": compressed["counts"].decode()}},
            {"id": 3, "image_id": 11, "category_id": 7, "bbox": [20, 10, 10, 15], "area": 150, "iscrowd": 1, "segmentation": {"size": [30, 40], "counts": counts}},
            {"id": 4, "image_id": 11, "category_id": 9, "bbox": [2.5, 3.5, 4, 6], "area": 24, "iscrowd": 0, "segmentation": []},
            {"id": 5, "image_id": 12, "category_id": 9, "bbox": [0, 0, 8, 8], "area": 64, "iscrowd": 0},
        ],
    }
    path = root / "annotations" / "instances.json"
    path.parent.mkdir()
    path.write_text(json.dumps(doc))
    return path


def _masks_by_image(doc: dict) -> dict[str, list[tuple[str, list[float], int, bytes]]]:
    """Per file name: (category name, bbox, iscrowd, mask bytes) of every annotation, sorted."""
    names = {c["id"]: c["name"] for c in doc["categories"]}
    files = {i["id"]: (i["file_name"], i.get("height", 30), i.get("width", 40)) for i in doc["images"]}
    result: dict[str, list] = {f: [] for f, _, _ in files.values()}
    for ann in doc["annotations"]:
        file_name, h, w = files[ann["image_id"]]
        seg = ann.get("segmentation")
        if isinstance(seg, dict):
            rle = mask_utils.frPyObjects(seg, h, w) if isinstance(seg["counts"], list) else {"size": seg["size"], "counts": seg["counts"].encode()}
            pixels = mask_utils.decode(rle).tobytes()
        elif seg:
            pixels = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(seg, h, w))).tobytes()
        else:
            pixels = b""
        result[file_name].append((names[ann["category_id"]], [round(v, 3) for v in ann["bbox"]], ann.get("iscrowd", 0), pixels))
    return {k: sorted(v) for k, v in result.items()}


def test_coco_to_raw_to_coco_keeps_everything(tmp_path: Path) -> None:
    source = _coco_source(tmp_path / "src")
    raw = read_coco(tmp_path / "src" / "images", source, name="street")
    assert raw.meta.project_name == "street"
    assert [(c.name, c.shape) for c in raw.meta.classes] == [("car", "polygon"), ("person", "bitmap"), ("sign", "rectangle")]
    assert {d.name for d in raw.meta.datasets} == {"street", "default"}
    items = {i.name: i for i in raw.items}
    assert {n: i.id for n, i in items.items()} == {"a.jpg": 10, "b.jpg": 11, "c.png": 12}
    assert (items["c.png"].width, items["c.png"].height) == (40, 30)
    assert items["a.jpg"].image == str((tmp_path / "src" / "images" / "street" / "a.jpg").resolve())
    assert items["b.jpg"].objects[0].tags == ["iscrowd"] and isinstance(items["b.jpg"].objects[0].geometry, Bitmap)
    assert items["b.jpg"].objects[1].geometry == Rectangle(x1=2.5, y1=3.5, x2=6.5, y2=9.5)

    out = write_coco(raw, tmp_path / "out")
    written = json.loads(out.read_text())
    assert [c["name"] for c in written["categories"]] == ["car", "person", "sign"]
    assert [c["id"] for c in written["categories"]] == [3, 7, 9], "the category ids as given"
    assert sorted(i["file_name"] for i in written["images"]) == ["default/c.png", "street/a.jpg", "street/b.jpg"]
    for image in written["images"]:
        assert (tmp_path / "out" / "images" / image["file_name"]).is_file()
    original = _masks_by_image(json.loads(source.read_text()))
    original = {("default/" + k if "/" not in k else k): v for k, v in original.items()}
    assert _masks_by_image(written) == original
    assert not (tmp_path / "out" / "annotations_train.json").exists()  # no split on these items


def test_raw_to_coco_to_raw_keeps_every_object(sample_raw: RawDataset, tmp_path: Path) -> None:
    path = write_coco(sample_raw, tmp_path / "coco")
    back = read_coco(tmp_path / "coco" / "images", path)
    # Read back from COCO, each class also knows its category id.
    assert [c.model_copy(update={"source_id": None}) for c in back.meta.classes] == sample_raw.meta.classes
    assert [c.source_id for c in back.meta.classes] == list(range(1, len(sample_raw.meta.classes) + 1))
    assert {d.name for d in back.meta.datasets} == {d.name for d in sample_raw.meta.datasets}
    originals = {i.id: i for i in sample_raw.items}
    assert sorted(originals) == sorted(i.id for i in back.items)
    for item in back.items:
        orig = originals[item.id]
        assert (item.name, back.dataset_name(item.dataset_id)) == (orig.name, sample_raw.dataset_name(orig.dataset_id))
        assert len(item.objects) == len(orig.objects)
        for a, b in zip(item.objects, orig.objects, strict=True):
            assert a.class_name == b.class_name and a.geometry.type == b.geometry.type
            if isinstance(b.geometry, Bitmap):
                assert np.array_equal(bitmap_to_mask(a.geometry), bitmap_to_mask(b.geometry))
            elif isinstance(b.geometry, Polygon):
                assert np.allclose(a.geometry.points, b.geometry.points, atol=1e-3)
            else:
                assert a.geometry.bbox() == pytest.approx(b.geometry.bbox(), abs=1e-3)


def test_split_files_and_class_filter(sample_raw: RawDataset, tmp_path: Path) -> None:
    path = write_coco(sample_raw, tmp_path / "coco", classes=["triangle", "blob"])
    doc = json.loads(path.read_text())
    assert [c["name"] for c in doc["categories"]] == ["triangle", "blob"]
    assert len(doc["annotations"]) == sum(1 for i in sample_raw.items for o in i.objects if o.class_name in ("triangle", "blob"))
    assert len(doc["images"]) == len(sample_raw.items)
    train = json.loads((tmp_path / "coco" / "annotations_train.json").read_text())
    val = json.loads((tmp_path / "coco" / "annotations_val.json").read_text())
    assert {i["id"] for i in train["images"]} | {i["id"] for i in val["images"]} == {i.id for i in sample_raw.items}
    assert not {i["id"] for i in train["images"]} & {i["id"] for i in val["images"]}
    for ann in doc["annotations"]:
        assert ann["iscrowd"] == 0 and ann["bbox"][2] > 0 and ann["area"] > 0


def test_reader_errors_name_what_is_wrong(tmp_path: Path) -> None:
    source = _coco_source(tmp_path / "src")
    images = tmp_path / "src" / "images"
    (images / "c.png").unlink()
    with pytest.raises(InputError) as err:
        read_coco(images, source)
    assert err.value.field == "images_dir" and "c.png" in str(err.value)

    doc = json.loads(source.read_text())
    doc["images"] = doc["images"][:2]
    doc["annotations"] = doc["annotations"][:4] + [{"id": 9, "image_id": 10, "category_id": 4, "bbox": [0, 0, 1, 1]}]
    source.write_text(json.dumps(doc))
    with pytest.raises(InputError) as err:
        read_coco(images, source)
    assert err.value.field == "annotations[4].category_id"
    with pytest.raises(InputError) as err:
        read_coco(tmp_path / "nope", source)
    assert err.value.field == "images_dir"


def test_a_polygon_in_pieces_stays_one_object(tmp_path: Path) -> None:
    source = _coco_source(tmp_path / "src")
    doc = json.loads(source.read_text())
    doc["annotations"][0]["segmentation"] = [[1, 2, 5, 2, 5, 6, 1, 6], [8, 8, 12, 8, 12, 12, 8, 12]]
    source.write_text(json.dumps(doc))
    raw = read_coco(tmp_path / "src" / "images", source)
    (car,) = [o for i in raw.items for o in i.objects if o.class_name == "car"]
    assert isinstance(car.geometry, Polygon), "its vertices are kept, not rasterised"
    assert car.geometry.rings() == [[(1, 2), (5, 2), (5, 6), (1, 6)], [(8, 8), (12, 8), (12, 12), (8, 12)]]
    assert car.geometry.bbox() == (1, 2, 12, 12)
