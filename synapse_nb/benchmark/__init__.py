"""Evaluation of trained models: COCO metrics (faster-coco-eval, pycocotools as the
cross-check), where the model fails and why (sections from the same matching), and a speed test.

The train action's benchmark step scores the PyTorch model and, when exported, its ONNX
file with the same functions, on the val split only, checks the export against PyTorch,
and writes one report. Nothing here imports ipywidgets or the figure modules: the HTML
report is handed its figure builders.

Example:
    >>> from synapse_nb.benchmark import evaluate_detections
    >>> gt = {"images": [{"id": 1, "width": 64, "height": 64}], "categories": [{"id": 1, "name": "cat"}],
    ...       "annotations": [{"image_id": 1, "category_id": 1, "bbox": [4, 4, 30, 30]}]}
    >>> evaluate_detections(gt, [{"image_id": 1, "category_id": 1, "bbox": [4, 4, 30, 30], "score": 0.8}]).map50
    1.0

Names load on first use, so importing this package pulls in neither the COCO libraries
nor ultralytics.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY: dict[str, str] = {
    "ClassAP": "synapse_nb.benchmark.coco_eval",
    "EvaluationReport": "synapse_nb.benchmark.coco_eval",
    "PRCurve": "synapse_nb.benchmark.coco_eval",
    "evaluate_detections": "synapse_nb.benchmark.coco_eval",
    "SpeedReport": "synapse_nb.benchmark.speed",
    "SpeedRow": "synapse_nb.benchmark.speed",
    "SpeedSample": "synapse_nb.benchmark.speed",
    "speed_test": "synapse_nb.benchmark.speed",
    "yolo_predictor": "synapse_nb.benchmark.speed",
    "coco_image_paths": "synapse_nb.benchmark.predict",
    "predict_coco": "synapse_nb.benchmark.predict",
    "BenchmarkReport": "synapse_nb.benchmark.report",
    "ExportCheck": "synapse_nb.benchmark.report",
    "check_exports": "synapse_nb.benchmark.report",
    "split_fingerprint": "synapse_nb.benchmark.report",
}

__all__ = [
    "BenchmarkReport", "ClassAP", "EvaluationReport", "PRCurve", "SpeedReport", "SpeedRow", "SpeedSample",
    "coco_image_paths", "evaluate_detections", "predict_coco", "speed_test", "yolo_predictor",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'synapse_nb.benchmark' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover
    from synapse_nb.benchmark.coco_eval import ClassAP, EvaluationReport, PRCurve, evaluate_detections
    from synapse_nb.benchmark.predict import coco_image_paths, predict_coco
    from synapse_nb.benchmark.report import BenchmarkReport, ExportCheck, check_exports, split_fingerprint
    from synapse_nb.benchmark.speed import SpeedReport, SpeedRow, SpeedSample, speed_test, yolo_predictor
