"""Import and export round trips through the real backend: COCO and YOLO keep every image,
class, box and polygon; ultralytics and pycocotools read what we export."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from api_helpers import coco_source, yolo_source

from synapse_nb.api import Api
from synapse_nb.errors import InputError
from synapse_nb.formats.raw import RawDataset
from synapse_nb.splits import TagsSplit


def _coco_content(images: Path, annotations: Path) -> dict[str, Any]:
    """Per image file: its bytes' hash and the sorted (class, bbox, segmentation) of its objects."""
    doc = json.loads(annotations.read_text())
    names = {c["id"]: c["name"] for c in doc["categories"]}
    files = {img["id"]: img["file_name"] for img in doc["images"]}
    content: dict[str, Any] = {
        name: {"sha": hashlib.sha256((images / name).read_bytes()).hexdigest(), "objects": []} for name in files.values()
    }
    for ann in doc["annotations"]:
        polygon = [round(v, 2) for v in ann["segmentation"][0]] if ann["segmentation"] else []
        content[files[ann["image_id"]]]["objects"].append((names[ann["category_id"]], [round(v, 2) for v in ann["bbox"]], polygon))
    for value in content.values():
        value["objects"].sort()
    return content


def test_coco_round_trip_keeps_everything(api: Api, tmp_path: Path) -> None:
    images, annotations = coco_source(tmp_path / "source")
    project = api.project.import_coco(images, annotations, name="coco-round-trip", progress=False)
    assert project.class_names() == ["cat", "dog", "bird"]
    assert project.item_count == 3 and {d.name for d in api.dataset.list(project.id)} == {"set-a", "set-b"}
    exported = api.project.export(project.id, "coco", tmp_path / "export", progress=False)
    assert exported.name == "annotations.json"
    assert _coco_content(exported.parent / "images", exported) == _coco_content(images, annotations)


def _yolo_labels(root: Path) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    for path in sorted((root / "labels").rglob("*.txt")):
        rows = [tuple(round(float(v), 4) if i else int(v) for i, v in enumerate(line.split())) for line in path.read_text().splitlines() if line.strip()]
        found[f"{path.parent.name}/{path.stem}"] = sorted(rows)
    return found


def _yolo_images(root: Path) -> dict[str, str]:
    return {f"{p.parent.name}/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((root / "images").rglob("*.png"))}


def test_yolo_round_trip_keeps_everything(api: Api, tmp_path: Path) -> None:
    source = yolo_source(tmp_path / "source")
    project = api.project.import_yolo(source, name="yolo-round-trip", progress=False)
    assert project.class_names() == ["square", "triangle"] and project.item_count == 3
    dataset_yaml = api.project.export(project.id, "yolo", tmp_path / "export", split=TagsSplit(train_tag="train", val_tag="val"), task="segment", progress=False)
    export = dataset_yaml.parent
    assert _yolo_images(export) == _yolo_images(source)
    # Boxes stay boxes in a detect export; a segment export keeps the polygons too.
    assert _yolo_labels(export).keys() == _yolo_labels(source).keys()
    detect_yaml = api.project.export(project.id, "yolo", tmp_path / "detect", split=TagsSplit(train_tag="train", val_tag="val"), progress=False)
    expected_boxes = {"train/a": 2, "train/b": 1, "val/c": 2}
    assert {k: len(v) for k, v in _yolo_labels(detect_yaml.parent).items()} == expected_boxes
    source_boxes = [row for rows in _yolo_labels(source).values() for row in rows if len(row) == 5]
    exported_rows = [row for rows in _yolo_labels(detect_yaml.parent).values() for row in rows]
    assert all(row in exported_rows for row in source_boxes)
    source_polygons = [row for rows in _yolo_labels(source).values() for row in rows if len(row) > 5]
    segment_rows = [row for rows in _yolo_labels(export).values() for row in rows]
    assert all(row in segment_rows for row in source_polygons)


def test_exports_are_read_by_ultralytics_and_pycocotools(api: Api, tmp_path: Path) -> None:
    project = api.project.import_samples(num_images=16, image_size=64, name="readers", num_classes=5, seed=3, progress=False)
    coco_json = api.project.export(project.id, "coco", tmp_path / "coco", progress=False)
    from pycocotools.coco import COCO

    coco = COCO(str(coco_json))
    assert len(coco.getImgIds()) == 16 and [c["name"] for c in coco.loadCats(coco.getCatIds())] == project.class_names()
    objects = sum(len(i.objects) for i in api.item.all(project.id))
    assert len(coco.getAnnIds()) == objects
    masked = [ann for ann in coco.loadAnns(coco.getAnnIds()) if ann["segmentation"]]  # rectangles carry none
    assert masked and all(coco.annToMask(ann).sum() > 0 for ann in masked)

    from synapse_nb._offline import configure_ultralytics

    configure_ultralytics()
    from ultralytics.data.dataset import YOLODataset
    from ultralytics.data.utils import check_det_dataset

    dataset_yaml = api.project.export(project.id, "yolo", tmp_path / "yolo", progress=False)
    data = check_det_dataset(str(dataset_yaml), autodownload=False)
    assert list(data["names"].values()) == project.class_names()
    sides = [YOLODataset(img_path=data[side], data=data, task="detect", imgsz=64, augment=False) for side in ("train", "val")]
    assert sum(len(ds.labels) for ds in sides) == 16
    assert sum(len(label["bboxes"]) for ds in sides for label in ds.labels) == objects


def test_download_raw_reuses_files_and_filters(api: Api, tmp_path: Path) -> None:
    project = api.project.import_samples(num_images=12, image_size=48, name="raw", seed=5, progress=False)
    items = api.item.all(project.id)
    dest = tmp_path / "raw"
    split = {items[0].id: "train", items[1].id: "val", items[2].id: "train"}
    raw = api.project.download_raw(project.id, dest, classes=["circle"], split=split, progress=False)
    assert [i.id for i in raw.items] == [i.id for i in items[:3]]
    assert raw.class_names() == ["circle"] and all(o.class_name == "circle" for i in raw.items for o in i.objects)
    assert [i.split for i in raw.items] == ["train", "val", "train"]
    assert raw.meta.content_version == api.project.get(project.id).content_version
    again = RawDataset.read(dest)
    assert again == raw
    image = dest / raw.items[0].image
    before = image.stat().st_mtime_ns
    bigger = api.project.download_raw(project.id, dest, progress=False)
    assert image.stat().st_mtime_ns == before  # already there with the right hash: kept
    assert len(list((dest / "images").rglob("*.jpg"))) == 12 == len(bigger.items)
    api.project.download_raw(project.id, dest, item_ids=[items[0].id], progress=False)
    assert len(list((dest / "images").rglob("*.jpg"))) == 1  # images of the earlier export removed
    with pytest.raises(InputError, match="classes"):
        api.project.download_raw(project.id, tmp_path / "bad", classes=["unicorn"], progress=False)
    with pytest.raises(InputError, match="dest"):
        api.project.export(project.id, "coco", dest, progress=False)


def test_a_failed_import_leaves_no_project(api: Api, tmp_path: Path) -> None:
    images, annotations = coco_source(tmp_path / "source")
    (images / "set-b" / "three.png").write_bytes(b"not an image")
    before = {p.id for p in api.project.all()}
    with pytest.raises(InputError, match="set-b/three.png: expected a readable image file"):
        api.project.import_coco(images, annotations, name="broken", progress=False)
    assert {p.id for p in api.project.all()} == before
