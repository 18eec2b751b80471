"""faster-coco-eval (the default engine) against pycocotools (the cross-check) on our fixtures.

The two must agree on every stat to float rounding, and the report built from either must be
the same report: the same APs, curves, outcomes, confusion matrix and per-image table.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from synapse_nb.benchmark import evaluate_detections
from synapse_nb.errors import InputError
from tests.benchmark.conftest import DETECTIONS, GROUND_TRUTH
from tests.benchmark.test_benchmark_sections import DETS, GT


def _busier():
    rng = np.random.default_rng(11)
    images, annotations, dets = [], [], []
    for image_id in range(1, 21):
        images.append({"id": image_id, "width": 320, "height": 320})
        for _ in range(int(rng.integers(0, 6))):
            x, y = (float(v) for v in rng.uniform(0, 260, 2))
            w, h = (float(v) for v in rng.uniform(8, 60, 2))
            category = int(rng.integers(1, 4))
            annotations.append({"image_id": image_id, "category_id": category, "bbox": [x, y, w, h],
                                "iscrowd": int(rng.random() < 0.05)})
            for _ in range(int(rng.integers(0, 3))):  # 0-2 detections per object: misses and duplicates
                jitter = rng.normal(0, 6, 4)
                dets.append({"image_id": image_id, "category_id": category if rng.random() < 0.8 else int(rng.integers(1, 4)),
                             "bbox": [x + jitter[0], y + jitter[1], max(1.0, w + jitter[2]), max(1.0, h + jitter[3])],
                             "score": round(float(rng.uniform(0.01, 1.0)), 2)})  # rounded: ties in score happen
        for _ in range(int(rng.integers(0, 3))):
            dets.append({"image_id": image_id, "category_id": int(rng.integers(1, 4)),
                         "bbox": [float(v) for v in rng.uniform(0, 280, 2)] + [20.0, 20.0],
                         "score": round(float(rng.uniform(0.01, 0.6)), 2)})
    categories = [{"id": c, "name": n} for c, n in ((1, "a"), (2, "b"), (3, "c"))]
    return {"images": images, "categories": categories, "annotations": annotations}, dets


CASES = {"crowd and duplicates": (GROUND_TRUTH, DETECTIONS), "hand-built": (GT, DETS), "busier": _busier()}
DIFFERENT = {"summary_text", "stats", "engine"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_faster_coco_eval_gives_the_same_report_as_pycocotools(case):
    gt, dets = CASES[case]
    fast = evaluate_detections(copy.deepcopy(gt), copy.deepcopy(dets))
    reference = evaluate_detections(copy.deepcopy(gt), copy.deepcopy(dets), engine="pycocotools")

    assert (fast.engine, reference.engine) == ("faster_coco_eval", "pycocotools")
    assert len(fast.stats) == len(reference.stats) == 12
    assert np.max(np.abs(np.array(fast.stats) - np.array(reference.stats))) < 1e-12
    assert fast.model_dump(exclude=DIFFERENT) == reference.model_dump(exclude=DIFFERENT)
    assert 0 < fast.outcomes.overall.tp and "Average Precision" in fast.summary_text


def test_masks_agree_too():
    gt, dets = CASES["busier"]
    polygons = []
    for det in copy.deepcopy(dets):
        x, y, w, h = det["bbox"]
        det["segmentation"] = [[x, y, x + w, y, x + w / 2, y + h]]  # triangles inside the boxes
        polygons.append(det)
    fast = evaluate_detections(copy.deepcopy(gt), copy.deepcopy(polygons), iou_type="segm")
    reference = evaluate_detections(copy.deepcopy(gt), copy.deepcopy(polygons), iou_type="segm", engine="pycocotools")
    assert np.max(np.abs(np.array(fast.stats) - np.array(reference.stats))) < 1e-12
    assert fast.model_dump(exclude=DIFFERENT) == reference.model_dump(exclude=DIFFERENT)


def test_unknown_engine_is_refused():
    with pytest.raises(InputError) as info:
        evaluate_detections(copy.deepcopy(GT), [], engine="detectron2")
    assert info.value.field == "engine"
