"""Plugins the pre-flight parity tests name by ``module:attr`` (importable, never run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synapse_nb.actions.train import BaseTrainAction, BaseTrainParams


def fit(run: Any, data: Any, params: Any) -> None:
    """Neither train nor tune argument order: refused before submission."""


def search(hyperparameter: dict, run: Any, dataset: Any, checkpoint: Any, **kwargs: Any) -> float:
    """A tune function under another name: accepted as one."""
    return 0.5


class NoExport(BaseTrainAction[BaseTrainParams]):
    """A plugin without export_model: a run asking for ONNX is refused before submission."""

    target_format = "yolo"

    def execute(self, data_path: Path, checkpoint: dict | None) -> dict:
        return {}
