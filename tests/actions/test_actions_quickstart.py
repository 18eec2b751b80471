"""The Synapse SDK quick-start plugin trains on the sample project, in this process and on the agent."""

from __future__ import annotations

from pathlib import Path

import pytest

import synapse_nb as snb
from synapse_nb.api import Api
from synapse_nb.schemas import Project
from tests.actions.conftest import WAIT, QuickStartRun
from tests.actions.engine_checks import check_experiment_layout, check_progress_complete, epochs_by_key

pytestmark = pytest.mark.slow

EPOCHS = 2
BOX_METRICS = {"val/mAP50", "val/mAP50-95", "val/precision", "val/recall"}
DET_LOSSES = {"train/box_loss", "train/cls_loss", "train/dfl_loss", "val/box_loss", "val/cls_loss", "val/dfl_loss"}


def test_run_local_returns_what_execute_returned(quickstart_run: QuickStartRun) -> None:
    result, task = quickstart_run.result, quickstart_run.task
    weights = Path(result["weights_path"])
    assert sorted(p.name for p in weights.iterdir()) == ["best.pt", "last.pt"]
    assert task.result["result"] == result
    assert task.payload["params"]["plugin"] == "tests.actions.plugins:TrainAction"


def test_the_model_is_uploaded_with_the_experiment_layout(api: Api, quickstart_run: QuickStartRun, tmp_path: Path) -> None:
    task = quickstart_run.task
    info = check_experiment_layout(api, task, tmp_path)
    assert sorted(info["checkpoints"]) == ["checkpoints/best.pt", "checkpoints/last.pt"]
    assert info["base_checkpoint"] == "yolov8n-det" and info["model_name"] == "yolov8n-det"
    assert info["hyperparameters"].strip() == f"epochs: {EPOCHS}"


def test_autolog_logged_box_metrics_and_losses_every_epoch(api: Api, quickstart_run: QuickStartRun) -> None:
    task = quickstart_run.task
    logged = epochs_by_key(api, task.id)
    for key in BOX_METRICS | DET_LOSSES:
        assert logged.get(key) == list(range(EPOCHS)), key
    assert not [k for k in logged if "mask" in k], "a detection model logs no mask metrics"


def test_progress_ended_at_100_percent(quickstart_run: QuickStartRun) -> None:
    task = quickstart_run.task
    check_progress_complete(task)
    assert {"dataset", "train", "model_upload"} <= set(task.progress)


def test_autolog_leaves_no_callbacks_in_ultralytics_registry(quickstart_run: QuickStartRun) -> None:
    assert quickstart_run.callbacks_after == quickstart_run.callbacks_before


def test_the_same_plugin_trains_on_the_agent(api: Api, agent_id: int, project: Project, tmp_path: Path) -> None:
    task = snb.TrainApi(api).run(agent_id, project.id, model="YOLO/yolov8n-det", hyperparameters=f"epochs: {EPOCHS}\n",
                                 plugin="tests.actions.plugins:TrainAction", enable_benchmark=False)
    task.wait(timeout=WAIT, progress=False)
    record = task.record
    info = check_experiment_layout(api, record, tmp_path)
    assert info["train_val_split"] == {"kind": "random", "percent": 80, "split": "train", "seed": 0}
    check_progress_complete(record)
    logged = epochs_by_key(api, task.id)
    assert all(logged.get(key) == list(range(EPOCHS)) for key in BOX_METRICS | DET_LOSSES), logged
    lines = task.logs()["message"].tolist()
    assert any("TrainAction on cpu" in line for line in lines)
    assert any("no local weights for yolov8n.pt" in line for line in lines), "the base model notice reaches the task"
