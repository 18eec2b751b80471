"""The benchmark report of one trained model: COCO metrics per runtime, speed, and its files.

``to_json`` keeps the numbers (the experiment record links it); ``to_html`` writes one
self-contained page with plotly.js embedded, readable offline. The PyTorch model and its
ONNX export, when both were scored, sit side by side.

Example:
    >>> report = BenchmarkReport(model_name="yolo11n-det", val_size=16,
    ...                          evaluation={"pytorch": pytorch_eval, "onnx": onnx_eval})  # doctest: +SKIP
    >>> report.to_html(Path("experiment/benchmark.html"))  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from synapse_nb._atomic import atomic_write_text
from synapse_nb.benchmark.coco_eval import EvaluationReport
from synapse_nb.benchmark.speed import SpeedReport

__all__ = ["BenchmarkReport", "EvaluatedRuntime"]

EvaluatedRuntime = Literal["pytorch", "onnx", "tensorrt"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class BenchmarkReport(BaseModel):
    """Everything the benchmark step measured for one model on the val split."""

    model_name: str
    val_size: int = Field(ge=0, description="images in the val split the model was scored on")
    evaluation: dict[EvaluatedRuntime, EvaluationReport] = Field(description="'pytorch' and, when exported, 'onnx' and 'tensorrt'")
    speed: SpeedReport | None = None
    created: dt.datetime = Field(default_factory=_now)

    @field_validator("evaluation")
    @classmethod
    def _at_least_one(cls, value: dict[EvaluatedRuntime, EvaluationReport]) -> dict[EvaluatedRuntime, EvaluationReport]:
        if not value:
            raise ValueError("at least one evaluated runtime ('pytorch' or 'onnx')")
        return value

    @property
    def primary(self) -> EvaluationReport:
        """The PyTorch evaluation when there is one, else the first (the number a run is judged by).

        Example:
            >>> report.primary.map  # doctest: +SKIP
            0.64
        """
        return self.evaluation.get("pytorch") or next(iter(self.evaluation.values()))

    def metrics(self) -> dict[str, float | None]:
        """Flat headline numbers: the primary evaluation's, then every other runtime's prefixed.

        For experiment_info's ``evaluation_metrics``; the primary metric is ``'map'``.

        Example:
            >>> sorted(report.metrics())[:3]  # doctest: +SKIP
            ['confidence_threshold', 'f1', 'map']
        """
        out: dict[str, float | None] = dict(self.primary.metrics())
        for runtime, evaluation in self.evaluation.items():
            if evaluation is not self.primary:
                out.update({f"{runtime}/{key}": value for key, value in evaluation.metrics().items()})
        return out

    def to_json(self, path: Path | str) -> Path:
        """Write the report as JSON, atomically (a temporary file renamed into place).

        Example:
            >>> report.to_json("experiment/benchmark.json")  # doctest: +SKIP
            PosixPath('experiment/benchmark.json')
        """
        return atomic_write_text(path, self.model_dump_json(indent=2))

    @classmethod
    def from_json(cls, path: Path | str) -> BenchmarkReport:
        """Read a report written by :meth:`to_json`.

        Example:
            >>> BenchmarkReport.from_json("experiment/benchmark.json").model_name  # doctest: +SKIP
            'yolo11n-det'
        """
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))

    def to_html(self, path: Path | str) -> Path:
        """Write one self-contained HTML page (plotly.js inline, no network needed), atomically.

        Example:
            >>> report.to_html("experiment/benchmark.html")  # doctest: +SKIP
            PosixPath('experiment/benchmark.html')
        """
        from synapse_nb.benchmark._html import render_html

        return atomic_write_text(path, render_html(self))
