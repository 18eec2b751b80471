"""autolog through the engine: every loss of a segmentation model and its mask mAP."""

from __future__ import annotations

import pytest

from synapse_nb.actions import run_local
from synapse_nb.api import Api
from synapse_nb.api.task import Task
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
    run_local(YoloTrainAction, {"dataset": project.id, "model": "YOLO/yolov8n-seg", "hyperparameter": TINY}, api=api)
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
    # Per-class AP every epoch, for the classes of the val split; their mean is the mAP.
    per_class = {k for k in logged if k.startswith("val_per_class/AP50-95/")}
    assert per_class and per_class <= {f"val_per_class/AP50-95/{c.name}" for c in project.classes}
    assert all(logged[k] == every_epoch for k in per_class)
    frame = Task(api, task.id).metrics()
    last = frame[frame["epoch"] == EPOCHS - 1]
    box = last[(last["category"] == "val_per_class") & last["key"].str.startswith("AP50-95/")]["value"]
    overall = last[(last["category"] == "val") & (last["key"] == "mAP50-95")]["value"].iloc[0]
    assert box.mean() == pytest.approx(overall, abs=1e-6)
    assert all(logged.get(f"val_per_class/mask_AP50/{k.rsplit('/', 1)[1]}") == every_epoch for k in per_class)
    assert task.result["experiment"]["task_type"] == "instance segmentation"
    assert any("converted shapes of classes ['square']" in line.message for line in api.task.logs(task.id))
    check_progress_complete(task)
