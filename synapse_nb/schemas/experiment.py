"""The experiment record a finished training task leaves behind.

It carries every field of the experiment_info.json our users know from TrainApp, plus the
model registry ids, so a notebook can go from a task to its weights, report and exports.

Example:
    >>> info = ExperimentInfo(experiment_name="1 shapes yolo11n-det", framework_name="YOLO",
    ...                       model_name="yolo11n-det", task_id=1, project_id=1)
    >>> info.best_checkpoint is None
    True
"""

from __future__ import annotations

__all__ = ["ExperimentInfo"]

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ExperimentInfo(BaseModel):
    """What a training run produced, as stored in ``experiment_info.json`` and the task result.

    Paths (checkpoints, best_checkpoint, export values) are relative to the model's file
    set in the registry (``model_id``), so they stay valid wherever the model is downloaded.
    """

    model_config = ConfigDict(extra="allow")

    experiment_name: str
    framework_name: str
    model_name: str
    base_checkpoint: str | None = None
    task_type: str = "object detection"
    project_id: int | None = None
    task_id: int | None = None
    datetime: dt.datetime | None = None
    checkpoints: list[str] = Field(default_factory=list)
    best_checkpoint: str | None = None
    export: dict[str, str] = Field(default_factory=dict, description="format -> path, e.g. {'onnx': 'export/best.onnx'}")
    hyperparameters: str | None = Field(default=None, description="the YAML the run trained with")
    train_val_split: dict[str, Any] | None = None
    evaluation_metrics: dict[str, Any] = Field(default_factory=dict)
    primary_metric: str | None = None
    default_confidence: float | None = Field(
        default=None, description="the benchmark's F1-optimal confidence: the default inference threshold")
    device: str | None = None
    training_duration: float | None = Field(default=None, description="seconds")
    train_size: int | None = None
    val_size: int | None = None
    # Registry ids: the model holding this experiment's files, and every model it created
    # (one per trial in tuning).
    model_id: int | None = None
    model_ids: list[int] = Field(default_factory=list)
    benchmark_report: dict[str, Any] | None = None
