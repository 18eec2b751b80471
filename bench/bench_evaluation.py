"""COCO evaluation: what evaluate_detections costs on top of pycocotools itself."""

from __future__ import annotations

import contextlib
import io
import statistics
from typing import Any

import numpy as np

from bench._common import BenchResult, timed

TITLE = "COCO evaluation (evaluate_detections vs bare pycocotools)"
GOAL_RATIO = 0.5
DESCRIPTION = """
A synthetic val split (images of 640x640, 5 objects each over 5 classes) with 100
detections per image: jittered true boxes and random false ones with random scores.
Baseline: pycocotools run bare, as its README shows (COCO index, loadRes, evaluate,
accumulate, summarize; no defensive copies) on the same data. evaluate_detections adds input
checks, copies, the best-F1 point, per-class APs and PR curves, and every matching section
(outcomes, confusion matrix, IoU histogram, calibration, confidence profile, per-image table).
Its default engine is faster-coco-eval (matching and accumulation in C++); the pycocotools
engine is timed too. Median of 3 interleaved runs each (1 in quick mode).
"""


def _data(num_images: int, seed: int = 0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    images = [{"id": i + 1, "file_name": f"{i}.jpg", "width": 640, "height": 640} for i in range(num_images)]
    categories = [{"id": c + 1, "name": f"class{c}"} for c in range(5)]
    annotations, detections = [], []
    for image in images:
        for _ in range(5):
            w, h = rng.uniform(16, 200, 2)
            x, y = rng.uniform(0, 640 - w), rng.uniform(0, 640 - h)
            category = int(rng.integers(1, 6))
            annotations.append({"id": len(annotations) + 1, "image_id": image["id"], "category_id": category,
                                "bbox": [x, y, w, h], "area": w * h, "iscrowd": 0})
            jitter = rng.normal(0, 4, 4)
            detections.append({"image_id": image["id"], "category_id": category, "score": float(rng.uniform(0.3, 1)),
                               "bbox": [x + jitter[0], y + jitter[1], max(w + jitter[2], 1), max(h + jitter[3], 1)]})
        for _ in range(95):
            w, h = rng.uniform(8, 200, 2)
            detections.append({"image_id": image["id"], "category_id": int(rng.integers(1, 6)),
                               "score": float(rng.uniform(0.001, 0.6)),
                               "bbox": [float(rng.uniform(0, 600)), float(rng.uniform(0, 600)), w, h]})
    return {"images": images, "annotations": annotations, "categories": categories}, detections


def _bare_pycocotools(gt: dict[str, Any], detections: list[dict[str, Any]]) -> list[float]:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        # As its README shows: no copies (loadRes writes into the detections it is given).
        coco_gt.dataset = gt
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(detections)
        evaluator = COCOeval(coco_gt, coco_dt, "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return [float(s) for s in evaluator.stats]


def run(quick: bool) -> list[BenchResult]:
    import synapse_nb  # noqa: F401  (offline environment first)
    from synapse_nb.benchmark import evaluate_detections

    num_images = 100 if quick else 500
    repeat = 1 if quick else 3
    gt, detections = _data(num_images)
    # Interleaved, ours first in each round (the bare run then writes its extra keys into the
    # same detection dicts), so a load change on the shared machine hits both alike.
    times: dict[str, list[float]] = {"faster_coco_eval": [], "pycocotools": [], "bare": []}
    reports: dict[str, Any] = {}
    stats: list[float] = []
    for _ in range(repeat):
        for engine in ("faster_coco_eval", "pycocotools"):
            seconds, reports[engine] = timed(lambda engine=engine: evaluate_detections(gt, detections, engine=engine))
            times[engine].append(seconds)
        seconds, stats = timed(lambda: _bare_pycocotools(gt, detections))
        times["bare"].append(seconds)
    base_s = statistics.median(times["bare"])
    results = []
    for engine, report in reports.items():
        ours_s = statistics.median(times[engine])
        gap = float(np.max(np.abs(np.array(report.stats) - np.array(stats))))
        ratio = ours_s / base_s
        default = engine == "faster_coco_eval"
        results.append(BenchResult(
            name=f"evaluate_detections (engine {engine}), {num_images} images, {len(detections):,} detections",
            value=ours_s,
            unit="s",
            baseline_name="bare pycocotools",
            baseline_value=base_s,
            ratio=ratio,
            goal=f"<= {GOAL_RATIO}x bare pycocotools" if default else None,
            met=ratio <= GOAL_RATIO if default else None,
            notes=f"largest stat difference from bare pycocotools {gap:.1e} (mAP {report.map:.4f}, AP50 {report.map50:.4f}).",
            extra={"stats_max_abs_diff": gap, "map": report.map, "map50": report.map50},
        ))
    return results
