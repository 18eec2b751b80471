"""What every finished training run must leave behind, checked the same way for each test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from synapse_nb.api import Api
from synapse_nb.schemas.task import TaskRecord
from synapse_nb.state import TrainState

# Every field of experiment_info.json that TrainApp users rely on.
EXPERIMENT_FIELDS = (
    "experiment_name", "framework_name", "model_name", "base_checkpoint", "task_type", "project_id", "task_id",
    "datetime", "checkpoints", "best_checkpoint", "export", "hyperparameters", "train_val_split",
    "evaluation_metrics", "primary_metric", "device", "training_duration", "train_size", "val_size",
)


def newest_task(api: Api, project_id: int) -> TaskRecord:
    """The project's most recent task (run_local returns the result, not the task)."""
    return api.task.list(project_id=project_id, limit=1).items[0]


def download_model(api: Api, model_id: int, dest: Path) -> Path:
    """The model's files, as a user downloads them."""
    return api.model.download(model_id, dest / f"model-{model_id}")


def check_experiment_layout(api: Api, task: TaskRecord, dest: Path) -> dict[str, Any]:
    """Assert the uploaded model has the experiment layout; return experiment_info.json."""
    assert task.status == "finished", task.error
    model_id = task.result["model_id"]
    assert model_id is not None
    folder = download_model(api, model_id, dest)
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert {"experiment_info.json", "app_state.json", "hyperparameters.yaml", "train_val_split.json"} <= set(files)
    assert [f for f in files if f.startswith("checkpoints/")], files

    info = json.loads((folder / "experiment_info.json").read_text())
    missing = [f for f in EXPERIMENT_FIELDS if f not in info]
    assert not missing, f"experiment_info.json lacks {missing}"
    assert info["task_id"] == task.id and info["project_id"] == task.project_id
    assert info["checkpoints"] and all((folder / c).is_file() for c in info["checkpoints"])
    assert info["best_checkpoint"] in info["checkpoints"]
    assert info["training_duration"] > 0
    assert info["datetime"] and info["device"]
    assert info["base_checkpoint"], "what the run started from is recorded"

    state = TrainState.model_validate_json((folder / "app_state.json").read_text())
    assert state.project_id == task.project_id
    assert yaml.safe_load((folder / "hyperparameters.yaml").read_text()) == (
        yaml.safe_load(info["hyperparameters"]) if info["hyperparameters"] else None)

    split = json.loads((folder / "train_val_split.json").read_text())
    assert set(split) >= {"split", "train", "val", "train_names", "val_names"}
    assert not set(split["train"]) & set(split["val"]), "no item on both sides"
    assert len(split["train_names"]) == len(split["train"]) == info["train_size"] > 0
    assert len(split["val_names"]) == len(split["val"]) == info["val_size"] > 0
    assert all("/" in name for name in split["train_names"] + split["val_names"]), "names are dataset/file"
    assert split["split"] == info["train_val_split"]
    # The same record comes back on the task.
    assert task.result["experiment"]["model_id"] == model_id
    return info


def epochs_by_key(api: Api, task_id: int) -> dict[str, list[int]]:
    """``"category/key"`` -> the epochs it was logged at (sorted)."""
    points = api.task.metrics(task_id)
    seen: dict[str, set[int]] = {}
    for p in points:
        seen.setdefault(f"{p.category}/{p.key}", set()).add(-1 if p.epoch is None else p.epoch)
    return {k: sorted(v) for k, v in seen.items()}


def check_progress_complete(task: TaskRecord) -> None:
    """Every reported category and the overall bar ended at 100 %."""
    assert task.overall_progress == 1.0, task.overall_progress
    assert task.progress, "progress was reported"
    assert {name: p.fraction for name, p in task.progress.items()} == {name: 1.0 for name in task.progress}
