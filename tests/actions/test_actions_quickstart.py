"""The Synapse SDK quick-start plugin trains on the sample project, in this process and on the agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import synapse_nb as snb
from synapse_nb.actions import run_local
from synapse_nb.api import Api
from synapse_nb.schemas import Project
from synapse_nb.schemas.task import TaskRecord
from tests.actions.conftest import WAIT
from tests.actions.engine_checks import check_experiment_layout, check_progress_complete, epochs_by_key, newest_task
from tests.actions.plugins import TrainAction

pytestmark = pytest.mark.slow

EPOCHS = 2
BOX_METRICS = {"val/mAP50", "val/mAP50-95", "val/precision", "val/recall"}
DET_LOSSES = {"train/box_loss", "train/cls_loss", "train/dfl_loss", "val/box_loss", "val/cls_loss", "val/dfl_loss"}


def _ultralytics_callbacks() -> dict[str, list[Any]]:
    from ultralytics.utils.callbacks import base

    return {event: list(fns) for event, fns in base.default_callbacks.items()}


@pytest.fixture(scope="module")
def local_run(api: Api, project: Project) -> tuple[Any, TaskRecord, dict[str, list[Any]], dict[str, list[Any]]]:
    """run_local of the quick start: 2 epochs of yolov8n from its base checkpoint."""
    before = _ultralytics_callbacks()
    result = run_local(TrainAction, {"dataset": project.id, "epochs": EPOCHS, "checkpoint": "YOLO/yolov8n-det"}, api=api)
    return result, newest_task(api, project.id), before, _ultralytics_callbacks()


def test_run_local_returns_what_execute_returned(local_run: tuple[Any, ...]) -> None:
    result, task, *_ = local_run
    weights = Path(result["weights_path"])
    assert sorted(p.name for p in weights.iterdir()) == ["best.pt", "last.pt"]
    assert task.result["result"] == result
    assert task.payload["params"]["plugin"] == "tests.actions.plugins:TrainAction"


def test_the_model_is_uploaded_with_the_experiment_layout(api: Api, local_run: tuple[Any, ...], tmp_path: Path) -> None:
    _, task, *_ = local_run
    info = check_experiment_layout(api, task, tmp_path)
    assert sorted(info["checkpoints"]) == ["checkpoints/best.pt", "checkpoints/last.pt"]
    assert info["base_checkpoint"] == "yolov8n-det" and info["model_name"] == "yolov8n-det"
    assert info["hyperparameters"].strip() == f"epochs: {EPOCHS}"


def test_autolog_logged_box_metrics_and_losses_every_epoch(api: Api, local_run: tuple[Any, ...]) -> None:
    _, task, *_ = local_run
    logged = epochs_by_key(api, task.id)
    for key in BOX_METRICS | DET_LOSSES:
        assert logged.get(key) == list(range(EPOCHS)), key
    assert not [k for k in logged if "mask" in k], "a detection model logs no mask metrics"


def test_progress_ended_at_100_percent(local_run: tuple[Any, ...]) -> None:
    _, task, *_ = local_run
    check_progress_complete(task)
    assert {"dataset", "train", "model_upload"} <= set(task.progress)


def test_autolog_leaves_no_callbacks_in_ultralytics_registry(local_run: tuple[Any, ...]) -> None:
    *_, before, after = local_run
    assert after == before


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
