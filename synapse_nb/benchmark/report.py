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
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from synapse_nb.benchmark.coco_eval import EvaluationReport
from synapse_nb.benchmark.speed import SpeedReport

__all__ = ["BenchmarkReport", "EXPORT_TOLERANCE", "EvaluatedRuntime", "ExportCheck", "check_exports", "split_fingerprint"]

EvaluatedRuntime = Literal["pytorch", "onnx", "tensorrt"]
# An export scored more than this many mAP points (absolute, 0-1 scale) away from the
# PyTorch model on the same split is flagged: fp32 ONNX should agree to a few 1e-4.
EXPORT_TOLERANCE = 0.01
_COMPARED = ("map", "map50", "map75", "precision", "recall", "f1")


class ExportCheck(BaseModel):
    """One export's metrics against the PyTorch model's, on the same split."""

    runtime: EvaluatedRuntime
    tolerance: float = Field(ge=0.0)
    differences: dict[str, float] = Field(description="export minus PyTorch, per metric")
    within_tolerance: bool

    def summary(self) -> str:
        """One line for the task log.

        Example:
            >>> ExportCheck(runtime="onnx", tolerance=0.01, differences={"map": 0.0}, within_tolerance=True).summary()
            'onnx scores like PyTorch (largest difference 0.0000, tolerance 0.01)'
        """
        worst = max(self.differences.values(), key=abs, default=0.0)
        verdict = "scores like PyTorch" if self.within_tolerance else "DIFFERS from PyTorch"
        return f"{self.runtime} {verdict} (largest difference {worst:+.4f}, tolerance {self.tolerance:g})".replace("+0.0000", "0.0000")


def check_exports(evaluation: Mapping[str, EvaluationReport], tolerance: float = EXPORT_TOLERANCE) -> list[ExportCheck]:
    """Each export's mAP, AP50, AP75, P, R and F1 against PyTorch's; flagged past ``tolerance``.

    Example:
        >>> check_exports({"pytorch": pytorch_eval, "onnx": onnx_eval})[0].within_tolerance  # doctest: +SKIP
        True
    """
    base = evaluation.get("pytorch")
    if base is None:
        return []
    checks = []
    for runtime, other in evaluation.items():
        if runtime == "pytorch":
            continue
        diffs = {key: round(getattr(other, key) - getattr(base, key), 6) for key in _COMPARED}
        checks.append(ExportCheck(runtime=runtime, tolerance=tolerance, differences=diffs,  # type: ignore[arg-type]
                                  within_tolerance=all(abs(d) <= tolerance for d in diffs.values())))
    return checks


def split_fingerprint(ground_truth: Mapping[str, Any]) -> str:
    """A short hash of a split's images and objects: two reports with the same one were scored
    on the same data (what Compare checks before putting models side by side).

    Example:
        >>> split_fingerprint({"images": [{"id": 1, "file_name": "a.png"}], "annotations": []})
        'd73316b29f146375'
    """
    import hashlib
    import json

    images = sorted(str(img.get("file_name", img.get("id"))) for img in ground_truth.get("images", []))
    objects = sorted(json.dumps([a.get("image_id"), a.get("category_id"), a.get("bbox")], default=str)
                     for a in ground_truth.get("annotations", []))
    return hashlib.sha256(json.dumps([images, objects]).encode()).hexdigest()[:16]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class BenchmarkReport(BaseModel):
    """Everything the benchmark step measured for one model on the val split."""

    model_name: str
    val_size: int = Field(ge=0, description="images in the val split the model was scored on")
    evaluation: dict[EvaluatedRuntime, EvaluationReport] = Field(description="'pytorch' and, when exported, 'onnx' and 'tensorrt'")
    speed: SpeedReport | None = None
    created: dt.datetime = Field(default_factory=_now)
    task_type: str = "object detection"
    segmentation: dict[EvaluatedRuntime, EvaluationReport] = Field(
        default_factory=dict, description="mask metrics (COCO segm) of instance-segmentation models, per runtime")
    export_checks: list[ExportCheck] = Field(default_factory=list)
    split_fingerprint: str | None = Field(default=None, description="see split_fingerprint(); None when unknown")

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

    def warnings(self) -> list[str]:
        """What a reader must not miss: exports that score unlike the PyTorch model.

        Example:
            >>> report.warnings()  # doctest: +SKIP
            []
        """
        return [f"Export check: {check.summary()}" for check in self.export_checks if not check.within_tolerance]

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
        for runtime, evaluation in self.segmentation.items():
            prefix = "mask" if runtime == "pytorch" else f"{runtime}/mask"
            out.update({f"{prefix}/{key}": value for key, value in evaluation.metrics().items()})
        return out

    def to_json(self, path: Path | str) -> Path:
        """Write the report as JSON, atomically (a temporary file renamed into place).

        Example:
            >>> report.to_json("experiment/benchmark.json")  # doctest: +SKIP
            PosixPath('experiment/benchmark.json')
        """
        return _write_atomic(Path(path), self.model_dump_json(indent=2))

    @classmethod
    def from_json(cls, path: Path | str) -> BenchmarkReport:
        """Read a report written by :meth:`to_json`.

        Example:
            >>> BenchmarkReport.from_json("experiment/benchmark.json").model_name  # doctest: +SKIP
            'yolo11n-det'
        """
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))

    def to_html(self, path: Path | str, figures: Callable[[BenchmarkReport], Mapping[str, Any]],
                images_dir: Path | str | None = None, thumbnails: int = 12) -> Path:
        """Write one self-contained HTML page (plotly.js inline, no network needed), atomically.

        ``figures(report)`` returns the page's plotly figures by id; the notebook's builders
        are ``synapse_nb.benchmark.figures.report_figures``. With ``images_dir`` (the
        val images), thumbnails of the ``thumbnails`` worst images are embedded.

        Example:
            >>> from synapse_nb.benchmark.figures import report_figures
            >>> report.to_html("experiment/benchmark.html", report_figures)  # doctest: +SKIP
            PosixPath('experiment/benchmark.html')
        """
        from synapse_nb.benchmark._html import render_html
        from synapse_nb.benchmark.gallery import worst_thumbnails

        thumbs = {}
        if images_dir is not None and thumbnails > 0:
            thumbs = {runtime: worst_thumbnails(ev, images_dir, count=thumbnails) for runtime, ev in self.evaluation.items()
                      if runtime == "pytorch" or len(self.evaluation) == 1}
        return _write_atomic(Path(path), render_html(self, figures, thumbs))


def _write_atomic(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # leave no half-written file behind, then re-raise
        raise
    return path
