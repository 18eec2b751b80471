"""Small hand-made COCO ground truth and detections shared by the benchmark tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

# Four 200x200 images; 'bird' has no object in the split. Boxes are [x, y, w, h].
GROUND_TRUTH: dict[str, Any] = {
    "images": [{"id": i, "file_name": f"{i}.png", "width": 200, "height": 200} for i in (1, 2, 3, 4)],
    "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "bird"}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "area": 2500, "iscrowd": 0},
        {"id": 2, "image_id": 1, "category_id": 2, "bbox": [100, 100, 80, 80], "area": 6400, "iscrowd": 0},
        {"id": 3, "image_id": 2, "category_id": 1, "bbox": [20, 20, 20, 20], "area": 400, "iscrowd": 0},
        {"id": 4, "image_id": 2, "category_id": 1, "bbox": [120, 120, 60, 60], "area": 3600, "iscrowd": 1},
        {"id": 5, "image_id": 3, "category_id": 2, "bbox": [50, 50, 100, 100], "area": 10000, "iscrowd": 0},
        {"id": 6, "image_id": 4, "category_id": 1, "bbox": [0, 0, 30, 30], "area": 900, "iscrowd": 0},
        {"id": 7, "image_id": 4, "category_id": 2, "bbox": [150, 150, 40, 40], "area": 1600, "iscrowd": 0},
    ],
}

DETECTIONS: list[dict[str, Any]] = [
    {"image_id": 1, "category_id": 1, "bbox": [12, 11, 50, 48], "score": 0.95},
    {"image_id": 1, "category_id": 2, "bbox": [105, 98, 78, 82], "score": 0.8},
    {"image_id": 1, "category_id": 1, "bbox": [100, 100, 80, 80], "score": 0.75},  # false positive, ranked high
    {"image_id": 2, "category_id": 1, "bbox": [22, 18, 20, 22], "score": 0.7},
    {"image_id": 2, "category_id": 1, "bbox": [125, 125, 50, 50], "score": 0.6},  # on a crowd region: ignored
    {"image_id": 2, "category_id": 2, "bbox": [0, 0, 10, 10], "score": 0.2},  # false positive
    {"image_id": 3, "category_id": 2, "bbox": [60, 60, 100, 100], "score": 0.9},  # IoU 0.68
    {"image_id": 3, "category_id": 3, "bbox": [50, 50, 100, 100], "score": 0.4},  # class absent from the split
    {"image_id": 4, "category_id": 1, "bbox": [0, 0, 25, 30], "score": 0.5},
    {"image_id": 4, "category_id": 2, "bbox": [150, 150, 40, 40], "score": 0.85},
    {"image_id": 4, "category_id": 2, "bbox": [148, 152, 40, 40], "score": 0.45},  # duplicate
]


@pytest.fixture
def ground_truth() -> dict[str, Any]:
    """A fresh copy of the hand-made ground truth."""
    return copy.deepcopy(GROUND_TRUTH)


@pytest.fixture
def detections() -> list[dict[str, Any]]:
    """A fresh copy of the hand-made detections."""
    return copy.deepcopy(DETECTIONS)


@pytest.fixture
def perfect_detections(ground_truth: dict[str, Any]) -> list[dict[str, Any]]:
    """One exact detection per non-crowd object."""
    return [
        {"image_id": a["image_id"], "category_id": a["category_id"], "bbox": list(a["bbox"]), "score": 0.9}
        for a in ground_truth["annotations"]
        if not a.get("iscrowd")
    ]
