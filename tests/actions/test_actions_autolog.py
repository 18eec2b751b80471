"""autolog through the engine: every loss of a segmentation model and its mask mAP."""

from __future__ import annotations

import pytest

from synapse_nb.actions import run_local
from synapse_nb.api import Api
from synapse_nb.frameworks.ultralytics_yolo.action import YoloTrainAction
from synapse_nb.schemas import Project
from tests.actions.engine_checks import check_progress_complete, epochs_by_key, newest_task

pytestmark = pytest.mark.slow

EPOCHS = 2
TINY = {"epochs": EPOCHS, "imgsz": 64, "batch": 8, "workers": 0, "plots": False, "seed": 0}
SEG_LOSSES = ("box_loss", "seg_loss", "cls_loss", "dfl_loss")
QUALITY = ("precision", "recall", "mAP50", "mAP50-95")


def test_a_segmentation_model_logs_every_loss_and_mask_map(api: Api, project: Project) -> None:
    # The sample project mixes boxes (squares) and polygons: shapes are converted for segmentation.
    run_local(YoloTrainAction, {"dataset": project.id, "model": "YOLO/yolov8n-seg", "hyperparameter": TINY,
                                "enable_benchmark": True}, api=api)
    task = newest_task(api, project.id)
    assert task.status == "finished", task.error
    logged = epochs_by_key(api, task.id)
    every_epoch = list(range(EPOCHS))
    for loss in SEG_LOSSES:
        assert logged.get(f"train/{loss}") == every_epoch, loss
        assert logged.get(f"val/{loss}") == every_epoch, loss
    for metric in QUALITY:
        assert logged.get(f"val/{metric}") == every_epoch, metric
        assert logged.get(f"val/mask_{metric}") == every_epoch, f"mask {metric}"
    assert task.result["experiment"]["task_type"] == "instance segmentation"
    assert any("converted shapes of classes ['square']" in line.message for line in api.task.logs(task.id))
    check_progress_complete(task)
    # The benchmark scores masks (COCO segm) beside boxes, from the same predictions.
    experiment = task.result["experiment"]
    metrics = experiment["evaluation_metrics"]
    for key in ("map", "map50", "mask/map", "mask/map50", "mask/f1_optimal_confidence"):
        assert key in metrics, key
        assert metrics[key] is None or 0.0 <= metrics[key] <= 1.0, key
    report = next(v.data for v in api.task.visualizations(task.id) if v.category == "benchmark" and v.key == "report")
    segm = report["segmentation"]["pytorch"]
    assert segm["iou_type"] == "segm" and report["evaluation"]["pytorch"]["iou_type"] == "bbox"
    assert segm["counts"]["detections"] <= report["evaluation"]["pytorch"]["counts"]["detections"]
    assert segm["confusion_matrix"]["classes"][-1] == "(background)"
