"""TrainStep: calls the action's ``execute`` with the resolved data path and checkpoint.

Example:
    >>> TrainStep().progress_weight
    75.0
"""

from __future__ import annotations

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


class TrainStep(BaseStep[Any]):
    """Run the plugin's training (``execute``)."""

    name = "train"
    progress_weight = 75.0
    progress_category = "train"

    def execute(self, context: Any) -> StepResult:
        action = context.action
        if action.execute_takes_data():
            data_path = context.dataset.get("path") or context.params.get("data_path")
            if data_path is None:
                raise InputError("data_path", "a dataset: give `dataset` (a project id) or `data_path`", got=None)
            checkpoint = action.get_checkpoint()
            value = action.execute(Path(data_path), checkpoint)
        else:
            value = action.execute()
        context.result = action.coerce_result(value)
        weights = weights_from_result(value)
        if weights is not None and context.model_path is None:
            context.model_path = weights
        return StepResult(data={"model_path": context.model_path})
