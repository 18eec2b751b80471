"""The report's sections on a hand-built split where every number is known from first principles.

Four 100x100 images, classes cat (1) and dog (2):
- image 1: cat A [10,10,40,40] found by a cat box [10,10,40,36] (IoU 0.9, score 0.85) and
  again by a duplicate [12,10,40,40] (score 0.75); dog D [60,60,30,30] found exactly (0.65);
- image 2: dog B [50,50,40,40] boxed exactly but called a cat (score 0.95): a misclassification;
- image 3: cat C [0,0,20,20], nothing predicted: a miss;
- image 4: no object, no detection: an empty image.

Ranked: 0.95 FP, 0.85 TP, 0.75 FP, 0.65 TP over 4 objects. F1 at each threshold: 0, 1/3,
2/7, 1/2, so the F1-optimal confidence is 0.65 and it keeps every detection.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch
from ultralytics.utils.metrics import ConfusionMatrix as UltralyticsConfusionMatrix

from synapse_nb.benchmark import evaluate_detections

GT: dict[str, Any] = {
    "images": [{"id": i, "file_name": f"{i}.png", "width": 100, "height": 100} for i in (1, 2, 3, 4)],
    "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
    "annotations": [
        {"image_id": 1, "category_id": 1, "bbox": [10, 10, 40, 40]},  # A
        {"image_id": 1, "category_id": 2, "bbox": [60, 60, 30, 30]},  # D
        {"image_id": 2, "category_id": 2, "bbox": [50, 50, 40, 40]},  # B
        {"image_id": 3, "category_id": 1, "bbox": [0, 0, 20, 20]},  # C
    ],
}
DETS: list[dict[str, Any]] = [
    {"image_id": 1, "category_id": 1, "bbox": [10, 10, 40, 36], "score": 0.85},  # TP on A, IoU 0.9
    {"image_id": 1, "category_id": 1, "bbox": [12, 10, 40, 40], "score": 0.75},  # duplicate of A
    {"image_id": 1, "category_id": 2, "bbox": [60, 60, 30, 30], "score": 0.65},  # TP on D, IoU 1
    {"image_id": 2, "category_id": 1, "bbox": [50, 50, 40, 40], "score": 0.95},  # B called a cat
]


@pytest.fixture(scope="module")
def report():
    return evaluate_detections(copy.deepcopy(GT), copy.deepcopy(DETS))


def test_key_metrics_from_first_principles(report):
    # AP50: cat's precision is 1/2 up to recall 1/2 (51 of COCO's 101 recall points), dog's 1.
    cat_ap50, dog_ap50 = 51 * 0.5 / 101, 51 / 101
    assert report.map50 == pytest.approx((cat_ap50 + dog_ap50) / 2, abs=1e-9)
    assert report.map75 == pytest.approx((cat_ap50 + dog_ap50) / 2, abs=1e-9)
    # cat's TP has IoU 0.9: a TP at 9 of the 10 IoU thresholds (0.50..0.90), none at 0.95.
    assert report.map == pytest.approx((0.9 * cat_ap50 + dog_ap50) / 2, abs=1e-9)
    assert report.f1_optimal_confidence == report.confidence_threshold == 0.65
    assert (report.precision, report.recall, report.f1) == (0.5, 0.5, 0.5)
    assert report.mean_iou == pytest.approx((0.9 + 1.0) / 2)
    assert report.classification_accuracy == pytest.approx(2 / 3)  # 2 right of 3 boxes lying on an object
    # every detection alone in its calibration bin: gaps 0.95, 0.15, 0.75, 0.35
    assert report.ece == pytest.approx((0.95 + 0.15 + 0.75 + 0.35) / 4)
    assert report.mce == pytest.approx(0.95)
    metrics = report.metrics()
    for key in ("f1_optimal_confidence", "mean_iou", "classification_accuracy", "ece", "mce"):
        assert metrics[key] == getattr(report, key)


def test_outcomes_overall_and_per_class(report):
    outcomes = report.outcomes
    assert outcomes.confidence == 0.65 and outcomes.iou_threshold == 0.5
    assert outcomes.overall.model_dump() == {"tp": 2, "fp": 2, "fn": 2}
    by_class = {c.class_name: (c.tp, c.fp, c.fn) for c in outcomes.per_class}
    assert by_class == {"cat": (1, 2, 1), "dog": (1, 0, 1)}
    # the outcome counts are the precision and recall the report states
    assert outcomes.overall.precision == report.precision
    assert outcomes.overall.recall == report.recall


def test_confusion_matrix_background_last(report):
    matrix = report.confusion_matrix
    assert matrix.classes == ["cat", "dog", "(background)"]
    # rows: actual cat, dog, background; columns: predicted cat, dog, background
    assert matrix.counts == [[1, 0, 1], [1, 1, 0], [1, 0, 0]]
    assert [(p.actual, p.predicted, p.count) for p in matrix.most_confused] == [("dog", "cat", 1)]


def test_localization_and_reliability(report):
    assert report.localization.mean_iou == report.mean_iou
    hist = report.localization.histogram
    assert hist.edges[0] == 0.5 and hist.edges[-1] == 1.0 and len(hist.counts) == 10
    assert hist.counts[-1] == 1 and hist.counts[-2] == 1 and sum(hist.counts) == 2  # IoU 0.9 and 1.0
    bins = {(b.lower, b.upper): (b.count, b.accuracy) for b in report.calibration.bins if b.count}
    assert bins == {(0.9, 1.0): (1, 0.0), (0.8, 0.9): (1, 1.0), (0.7, 0.8): (1, 0.0), (0.6, 0.7): (1, 1.0)}


def test_confidence_profile(report):
    profile = report.confidence_profile
    assert len(profile.thresholds) == 101 and profile.optimum == 0.65
    at = dict(zip(profile.thresholds, zip(profile.precision, profile.recall, profile.f1, strict=True), strict=True))
    assert at[0.0] == (0.5, 0.5, 0.5)
    assert at[0.8] == (0.5, 0.25, pytest.approx(1 / 3, abs=1e-6))
    assert at[0.9] == (0.0, 0.0, 0.0)
    assert at[1.0] == (None, 0.0, 0.0)  # nothing kept: precision undefined
    assert max(profile.f1) == 0.5
    assert sum(profile.tp_confidence.counts) == 2 and sum(profile.fp_confidence.counts) == 2


def test_per_image_table(report):
    rows = {row.image_id: row for row in report.per_image}
    assert [(r.tp, r.fp, r.fn) for r in rows.values()] == [(2, 1, 0), (0, 1, 1), (0, 0, 1), (0, 0, 0)]
    assert rows[1].precision == pytest.approx(2 / 3) and rows[1].recall == 1.0
    assert (rows[2].precision, rows[2].recall) == (0.0, 0.0)
    assert (rows[3].precision, rows[3].recall) == (None, 0.0)
    assert (rows[4].precision, rows[4].recall, rows[4].objects) == (None, None, [])
    outcomes = {(o.outcome, o.gt_class, o.predicted_class) for o in rows[1].objects}
    assert outcomes == {("tp", "cat", "cat"), ("fp", None, "cat"), ("tp", "dog", "dog")}
    (wrong,) = rows[2].objects
    assert (wrong.outcome, wrong.gt_class, wrong.predicted_class, wrong.iou) == ("misclassified", "dog", "cat", 1.0)
    assert DETS[wrong.det_id]["score"] == 0.95  # the gallery finds the box it has to draw


def test_below_the_optimum_the_sections_drop_the_detections():
    dets = copy.deepcopy(DETS) + [{"image_id": 4, "category_id": 2, "bbox": [0, 0, 10, 10], "score": 0.05}]
    report = evaluate_detections(copy.deepcopy(GT), dets)
    assert report.f1_optimal_confidence == 0.65
    assert report.outcomes.overall.fp == 2  # the 0.05 box is below the threshold
    assert report.calibration.bins[0].count == 1  # but calibration sees every detection


def test_no_detection_leaves_no_optimum():
    report = evaluate_detections(copy.deepcopy(GT), [])
    assert report.f1_optimal_confidence is None and report.mean_iou is None and report.ece is None
    assert report.outcomes.overall.model_dump() == {"tp": 0, "fp": 0, "fn": 4}
    assert report.confusion_matrix.counts == [[0, 0, 2], [0, 0, 2], [0, 0, 0]]


def _ultralytics_matrix(gt: dict[str, Any], dets: list[dict[str, Any]], conf: float) -> np.ndarray:
    """Ultralytics' own ConfusionMatrix fed the same boxes, image by image (it is [predicted, actual])."""
    index = {c["id"]: i for i, c in enumerate(gt["categories"])}
    matrix = UltralyticsConfusionMatrix(names={i: c["name"] for i, c in enumerate(gt["categories"])})

    def xyxy(box):
        x, y, w, h = box
        return [x, y, x + w, y + h]

    for image in gt["images"]:
        objects = [a for a in gt["annotations"] if a["image_id"] == image["id"]]
        found = [d for d in dets if d["image_id"] == image["id"]]
        batch = {"cls": torch.tensor([index[a["category_id"]] for a in objects], dtype=torch.float32),
                 "bboxes": torch.tensor([xyxy(a["bbox"]) for a in objects], dtype=torch.float32).reshape(-1, 4)}
        predictions = {"cls": torch.tensor([index[d["category_id"]] for d in found], dtype=torch.float32),
                       "conf": torch.tensor([d["score"] for d in found], dtype=torch.float32),
                       "bboxes": torch.tensor([xyxy(d["bbox"]) for d in found], dtype=torch.float32).reshape(-1, 4)}
        # ultralytics keeps conf > threshold and IoU > threshold; ours are >=, no box sits on either edge
        matrix.process_batch(predictions, batch, conf=conf - 1e-6, iou_thres=0.5)
    return matrix.matrix.T.astype(int)


def test_confusion_matrix_equals_ultralytics(report):
    assert report.confusion_matrix.counts == _ultralytics_matrix(GT, DETS, conf=0.65).tolist()


def test_confusion_matrix_equals_ultralytics_on_a_busier_split():
    rng = np.random.default_rng(3)
    categories = [{"id": c, "name": n} for c, n in ((1, "a"), (2, "b"), (3, "c"))]
    images, annotations, dets = [], [], []
    for image_id in range(1, 9):
        images.append({"id": image_id, "width": 400, "height": 100})
        for slot in range(int(rng.integers(0, 4))):
            box = [slot * 100 + 10.0, 10.0, 60.0, 60.0]  # objects far apart: no ambiguous match
            category = int(rng.integers(1, 4))
            annotations.append({"image_id": image_id, "category_id": category, "bbox": box})
            fate = rng.integers(0, 4)
            if fate == 0:
                continue  # missed
            predicted = category if fate in (1, 2) else int(rng.integers(1, 4))
            shifted = [box[0] + float(rng.integers(0, 10)), box[1], box[2], box[3]]
            dets.append({"image_id": image_id, "category_id": predicted, "bbox": shifted,
                         "score": round(float(rng.uniform(0.3, 0.99)), 3)})
        dets.append({"image_id": image_id, "category_id": int(rng.integers(1, 4)), "bbox": [350.0, 80.0, 20.0, 15.0],
                     "score": round(float(rng.uniform(0.05, 0.5)), 3)})  # a box on nothing
    gt = {"images": images, "categories": categories, "annotations": annotations}
    report = evaluate_detections(copy.deepcopy(gt), copy.deepcopy(dets))
    counts = np.array(report.confusion_matrix.counts)
    assert counts[:3, :3].sum() > counts.trace() > 0  # the case holds right and wrong classes
    assert counts.tolist() == _ultralytics_matrix(gt, dets, conf=report.f1_optimal_confidence).tolist()
    # every row sums to that class's objects
    per_class = [sum(a["category_id"] == c["id"] for a in annotations) for c in categories]
    assert counts[:3].sum(axis=1).tolist() == per_class
