"""ExportModelStep: ONNX / TensorRT export of the trained model, through the action.

Runs before the benchmark so that the exported model is evaluated too (exports that are
never evaluated can silently differ from the checkpoint).

Example:
    >>> ExportModelStep(["onnx"]).name
    'export_model'
"""

from __future__ import annotations

__all__ = ["ExportModelStep"]

from typing import Any

from synapse_nb.steps.base import BaseStep, StepResult


class ExportModelStep(BaseStep[Any]):
    """Export to each of ``formats`` (e.g. ``["onnx"]``)."""

    name = "export_model"
    progress_weight = 0.02
    progress_category = "export"

    def __init__(self, formats: list[str]) -> None:
        self.formats = list(formats)

    def execute(self, context: Any) -> StepResult:
        exported = context.action.export_model(context, self.formats)
        missing = [f for f in self.formats if f not in exported]
        if missing:
            return StepResult(success=False, error=f"the export produced no file for {missing}")
        context.experiment.setdefault("export_files", {}).update({k: str(v) for k, v in exported.items()})
        for fmt, path in exported.items():
            context.run.log(f"exported {fmt}: {path}")
        return StepResult(data={"export": {k: str(v) for k, v in exported.items()}})
