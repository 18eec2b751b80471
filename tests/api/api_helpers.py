"""Small source datasets for the client tests: a COCO folder and a YOLO folder, made by hand."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image


def image_file(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> None:
    """Write a plain PNG of ``size`` at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())


def coco_source(root: Path) -> tuple[Path, Path]:
    """Three images in two sub-folders; boxes and polygons of three categories. Returns (images, annotations)."""
    images = root / "images"
    image_file(images / "set-a" / "one.png", (255, 0, 0))
    image_file(images / "set-a" / "two.png", (0, 255, 0))
    image_file(images / "set-b" / "three.png", (0, 0, 255), size=(32, 40))
    doc = {
        "images": [
            {"id": 1, "file_name": "set-a/one.png", "width": 64, "height": 48},
            {"id": 2, "file_name": "set-a/two.png", "width": 64, "height": 48},
            {"id": 3, "file_name": "set-b/three.png", "width": 32, "height": 40},
        ],
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "bird"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [2.0, 3.0, 10.0, 12.0], "area": 120.0, "iscrowd": 0, "segmentation": []},
            {"id": 2, "image_id": 1, "category_id": 2, "bbox": [20.0, 5.0, 10.0, 10.0], "area": 50.0, "iscrowd": 0,
             "segmentation": [[20.0, 5.0, 30.0, 5.0, 25.0, 15.0]]},
            {"id": 3, "image_id": 2, "category_id": 3, "bbox": [1.5, 2.5, 30.0, 20.0], "area": 600.0, "iscrowd": 0, "segmentation": []},
            {"id": 4, "image_id": 3, "category_id": 2, "bbox": [4.0, 4.0, 8.0, 8.0], "area": 32.0, "iscrowd": 0,
             "segmentation": [[4.0, 4.0, 12.0, 4.0, 12.0, 12.0, 4.0, 12.0]]},
        ],
    }
    annotations = root / "annotations.json"
    annotations.write_text(json.dumps(doc))
    return images, annotations


def yolo_source(root: Path) -> Path:
    """Three images in train/val with boxes and one polygon of two classes, and dataset.yaml."""
    for split, names in (("train", ["a.png", "b.png"]), ("val", ["c.png"])):
        for i, name in enumerate(names):
            image_file(root / "images" / split / name, (40 * i, 100, 200))
    labels = {
        "train/a": "0 0.25 0.5 0.2 0.3\n1 0.1 0.1 0.4 0.1 0.3 0.4\n",
        "train/b": "1 0.5 0.5 0.5 0.5\n",
        "val/c": "0 0.6 0.4 0.2 0.2\n0 0.2 0.2 0.1 0.1\n",
    }
    for stem, text in labels.items():
        path = root / "labels" / f"{stem}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "dataset.yaml").write_text(f"path: {root}\ntrain: images/train\nval: images/val\nnames:\n  0: square\n  1: triangle\n")
    return root
