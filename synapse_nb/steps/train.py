"""TrainStep: calls the action's ``execute`` with the resolved data path and checkpoint.

Example:
    >>> TrainStep().progress_weight
    0.75
"""

from __future__ import annotations

__all__ = ["TrainStep", "weights_from_result"]

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from synapse_nb.errors import InputError
from synapse_nb.steps.base import BaseStep, StepResult

_WEIGHT_KEYS = ("weights_path", "model_path", "best", "weights", "path")


def weights_from_result(value: Any) -> str | None:
    """Find the trained weights (file or folder) in what execute() returned."""
    if value is None:
        return None
    data = value.model_dump() if isinstance(value, BaseModel) else value
    if isinstance(data, dict):
        for key in _WEIGHT_KEYS:
            if data.get(key):
                return str(data[key])
        return None
    if isinstance(data, (str, Path)):
        return str(data)
    for key in _WEIGHT_KEYS:
        if getattr(value, key, None):
            return str(getattr(value, key))
    return None


def _record_defaults(experiment: dict[str, Any], seconds: float, checkpoint: dict[str, Any] | None) -> None:
    """Experiment facts a plugin did not record itself: how long execute() took and what it
    started from (a framework plugin records its own, more precise values).

    Example:
        >>> exp = {"model_name": "mine"}
        >>> _record_defaults(exp, 2.5, {"name": "yolo11n-det", "model_name": "yolo11n-det"})
        >>> exp
        {'model_name': 'mine', 'training_duration': 2.5, 'base_checkpoint': 'yolo11n-det'}
    """
    experiment.setdefault("training_duration", seconds)
    if checkpoint:
        experiment.setdefault("base_checkpoint", checkpoint.get("name"))
        if checkpoint.get("model_name"):
            experiment.setdefault("model_name", checkpoint["model_name"])


class TrainStep(BaseStep[Any]):
    """Run the plugin's training (``execute``)."""

    name = "train"
    progress_weight = 0.75
    progress_category = "train"

    def execute(self, context: Any) -> StepResult:
        action = context.action
        if action.execute_takes_data():
            data_path = context.dataset.get("path") or context.params.get("data_path")
            if data_path is None:
                raise InputError("data_path", "a dataset: give `dataset` (a project id) or `data_path`", got=None)
            checkpoint = action.get_checkpoint()
            started = time.perf_counter()
            value = action.execute(Path(data_path), checkpoint)
        else:
            checkpoint = None
            started = time.perf_counter()
            value = action.execute()
        _record_defaults(context.experiment, time.perf_counter() - started, checkpoint)
        context.result = action.coerce_result(value)
        weights = weights_from_result(value)
        if weights is not None and context.model_path is None:
            context.model_path = weights
        return StepResult(data={"model_path": context.model_path})
