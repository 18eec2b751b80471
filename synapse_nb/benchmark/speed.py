"""Speed test: preprocess, inference and postprocess milliseconds per image at several batch sizes.

Give it the val split's images only (``coco_image_paths(val_coco, images_dir)``): timing
the whole project measures images the model was trained on and takes far longer for no
better number. The predictor does the timing of its own stages (ultralytics measures them
per image, see :func:`yolo_predictor`); this module feeds it batches, throws away the
warm-up calls and takes the median of the measured ones.

Example:
    >>> import numpy as np
    >>> def predict(batch):
    ...     return SpeedSample(preprocess_ms=1.0, inference_ms=4.0, postprocess_ms=0.5)
    >>> report = speed_test(predict, [np.zeros((32, 32, 3), np.uint8)], batch_sizes=(1, 8), warmup=1, runs=3)
    >>> [(row.batch_size, row.total_ms, row.fps) for row in report.rows]
    [(1, 5.5, 181.8), (8, 5.5, 181.8)]
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from synapse_nb.benchmark._ultralytics import YoloPredictor, yolo_predictor
from synapse_nb.errors import InputError

__all__ = ["SpeedReport", "SpeedRow", "SpeedSample", "YoloPredictor", "speed_test", "yolo_predictor"]

Runtime = Literal["pytorch", "onnxruntime", "tensorrt"]


class SpeedSample(BaseModel):
    """Per-image milliseconds of each stage, for one batch, as the predictor measured them."""

    model_config = ConfigDict(frozen=True)

    preprocess_ms: float = Field(ge=0.0)
    inference_ms: float = Field(ge=0.0)
    postprocess_ms: float = Field(ge=0.0)


class SpeedRow(BaseModel):
    """Median per-image times at one batch size; ``fps`` is images per second (1000 / total_ms)."""

    batch_size: int = Field(ge=1)
    preprocess_ms: float = Field(ge=0.0)
    inference_ms: float = Field(ge=0.0)
    postprocess_ms: float = Field(ge=0.0)
    total_ms: float = Field(ge=0.0)
    fps: float | None = Field(default=None, description="None when the total rounds to 0 ms")
    device: str
    runtime: Runtime
    provider: str | None = Field(default=None, description="onnxruntime's execution provider, e.g. CPUExecutionProvider")
    measured_runs: int | None = Field(default=None, description="runs timed (fewer than asked when max_seconds ran out)")


class SpeedReport(BaseModel):
    """Rows per (runtime, batch size), and how they were measured."""

    rows: list[SpeedRow]
    warmup: int = Field(ge=0, description="calls per batch size run before measuring, not counted")
    runs: int = Field(ge=1, description="measured calls per batch size")
    num_images: int = Field(ge=1, description="distinct images fed to the model (the val split's)")

    @classmethod
    def combine(cls, reports: Sequence[SpeedReport]) -> SpeedReport:
        """One report holding the rows of several (e.g. PyTorch and ONNX runs).

        Example:
            >>> SpeedReport.combine([pytorch_speed, onnx_speed]).rows  # doctest: +SKIP
        """
        if not reports:
            raise InputError("reports", "at least one SpeedReport", got=[])
        first = reports[0]
        return cls(
            rows=[row for report in reports for row in report.rows],
            warmup=first.warmup,
            runs=first.runs,
            num_images=max(report.num_images for report in reports),
        )


def speed_test(
    predict: Callable[[list[np.ndarray]], SpeedSample],
    images: Sequence[np.ndarray | Path | str],
    batch_sizes: Sequence[int] = (1, 8, 16),
    warmup: int = 3,
    runs: int = 100,
    device: str | None = None,
    runtime: Runtime | None = None,
    max_seconds: float | None = None,
) -> SpeedReport:
    """Time ``predict`` on batches of ``images`` at each batch size.

    ``predict`` takes a list of HxWx3 uint8 BGR arrays (one batch) and returns a
    :class:`SpeedSample` (or a dict of its fields) of per-image stage times; use
    :func:`yolo_predictor` for an ultralytics model or ONNX file. ``images`` are the val
    split's, as arrays or file paths (read once, before timing); a batch larger than the
    split cycles through it. For each batch size, ``warmup`` calls run first and are not
    counted, then ``runs`` calls are measured and their median per stage is reported;
    ``max_seconds`` caps the measured calls of each batch size by time (at least one runs),
    which keeps 100 runs at batch 16 affordable on a CPU.
    ``device`` and ``runtime`` label the rows; by default they are the predictor's own
    (``predict.device``, ``predict.runtime``), else 'cpu' and 'pytorch'.

    Example:
        >>> import numpy as np
        >>> report = speed_test(lambda batch: {"preprocess_ms": 0, "inference_ms": 2, "postprocess_ms": 0},
        ...                     [np.zeros((8, 8, 3), np.uint8)], batch_sizes=(4,), warmup=0, runs=2)
        >>> report.rows[0].fps
        500.0
    """
    if not callable(predict):
        raise InputError("predict", "a callable taking a list of images", got=type(predict).__name__)
    sizes = _check_batch_sizes(batch_sizes)
    if not isinstance(warmup, int) or isinstance(warmup, bool) or warmup < 0:
        raise InputError("warmup", "an integer >= 0", got=warmup)
    if not isinstance(runs, int) or isinstance(runs, bool) or runs < 1:
        raise InputError("runs", "an integer >= 1", got=runs)
    if max_seconds is not None and not max_seconds > 0:
        raise InputError("max_seconds", "a positive number of seconds or None", got=max_seconds)
    row_runtime = runtime or getattr(predict, "runtime", None) or "pytorch"
    if row_runtime not in ("pytorch", "onnxruntime", "tensorrt"):
        raise InputError("runtime", "'pytorch', 'onnxruntime' or 'tensorrt'", got=row_runtime)
    row_device = device or getattr(predict, "device", None) or "cpu"
    arrays = _load_images(images)

    rows = []
    for batch_size in sizes:
        samples = []
        started = None
        for call in range(warmup + runs):
            if call == warmup:
                started = time.perf_counter()
            start = call * batch_size
            batch = [arrays[(start + j) % len(arrays)] for j in range(batch_size)]
            sample = _as_sample(predict(batch))
            if call >= warmup:
                samples.append(sample)
                if max_seconds is not None and started is not None and time.perf_counter() - started > max_seconds:
                    break
        row = _row(samples, batch_size, str(row_device), row_runtime)
        rows.append(row.model_copy(update={"measured_runs": len(samples), "provider": getattr(predict, "provider", None)}))
    return SpeedReport(rows=rows, warmup=warmup, runs=runs, num_images=len(arrays))


def _row(samples: list[SpeedSample], batch_size: int, device: str, runtime: Runtime) -> SpeedRow:
    pre = statistics.median(s.preprocess_ms for s in samples)
    inf = statistics.median(s.inference_ms for s in samples)
    post = statistics.median(s.postprocess_ms for s in samples)
    total = round(pre + inf + post, 3)
    return SpeedRow(
        batch_size=batch_size,
        preprocess_ms=round(pre, 3),
        inference_ms=round(inf, 3),
        postprocess_ms=round(post, 3),
        total_ms=total,
        fps=round(1000.0 / total, 1) if total > 0 else None,
        device=device,
        runtime=runtime,
    )


def _as_sample(value: Any) -> SpeedSample:
    if isinstance(value, SpeedSample):
        return value
    try:
        return SpeedSample.model_validate(value)
    except ValidationError as exc:
        raise InputError("predict", "a callable returning a SpeedSample (or a dict of its fields)", got=type(value).__name__, hint=str(exc)) from exc


def _check_batch_sizes(batch_sizes: Sequence[int]) -> list[int]:
    sizes = list(batch_sizes) if isinstance(batch_sizes, (list, tuple)) else None
    if not sizes or any(not isinstance(b, int) or isinstance(b, bool) or b < 1 for b in sizes):
        raise InputError("batch_sizes", "a non-empty list of positive integers, e.g. (1, 8, 16)", got=batch_sizes)
    if len(set(sizes)) != len(sizes):
        raise InputError("batch_sizes", "distinct batch sizes", got=batch_sizes)
    return sizes


def _load_images(images: Sequence[np.ndarray | Path | str]) -> list[np.ndarray]:
    if isinstance(images, (str, Path, np.ndarray)) or not images:
        raise InputError("images", "a non-empty list of the val split's images (arrays or paths)", got=type(images).__name__)
    missing = [str(i) for i in images if isinstance(i, (str, Path)) and not Path(i).is_file()]
    if missing:
        raise InputError("images", "existing image files", got=missing[:10], hint=f"{len(missing)} missing")
    arrays = []
    for index, image in enumerate(images):
        array = _read_bgr(Path(image)) if isinstance(image, (str, Path)) else image
        if not isinstance(array, np.ndarray) or array.ndim != 3 or array.shape[2] != 3:
            raise InputError(f"images[{index}]", "an HxWx3 array or an image file", got=getattr(array, "shape", type(array).__name__))
        arrays.append(array)
    return arrays


def _read_bgr(path: Path) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            rgb = np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError("images", "readable image files", got=str(path), hint=str(exc)) from exc
    return np.ascontiguousarray(rgb[..., ::-1])  # ultralytics takes OpenCV's BGR order
