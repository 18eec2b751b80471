"""The model step's tables as DataFrames: every pretrained model with its published scores and
weights status, and the registry's trained models with their own benchmark scores.

Pure functions of plain records, so the tables are testable without widgets.

Example:
    >>> from synapse_nb.frameworks import list_models
    >>> frame = model_frame(list_models())
    >>> frame.loc["YOLO/yolo11n-det", ["params (M)", "COCO mAP50-95"]].tolist()
    [2.62, 39.5]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

# What each weights status means to the person choosing (the words the table shows).
WEIGHTS_WORDS: dict[str, str] = {
    "local": "pretrained weights here",
    "pullable": "can be pulled",
    "scratch": "trains from scratch",
}

MODEL_COLUMNS = ("framework", "name", "task type", "params (M)", "size (MB)", "COCO mAP50-95",
                 "CPU ms", "GPU ms", "weights")
REGISTRY_COLUMNS = ("id", "experiment", "model", "task type", "mAP", "AP50", "task", "project")


def model_frame(models: Iterable[Any]) -> pd.DataFrame:
    """One row per pretrained model (index: its "Framework/name"), in the given order.

    ``COCO mAP50-95`` and the speeds are the published numbers (NaN where none are
    published); ``weights`` says whether pretrained weights are here, can be pulled, or the
    model trains from scratch.

    Example:
        >>> from synapse_nb.frameworks import list_models
        >>> model_frame(list_models()).loc["YOLO/yolo26n-det", "weights"] in WEIGHTS_WORDS.values()
        True
    """
    rows = [{
        "framework": m.framework, "name": m.name, "task type": m.task_type, "params (M)": m.params_m,
        "size (MB)": m.size_mb, "COCO mAP50-95": m.published_map, "CPU ms": m.published_cpu_ms,
        "GPU ms": m.published_gpu_ms, "weights": WEIGHTS_WORDS[m.weights_status],
    } for m in models]
    frame = pd.DataFrame(rows, columns=list(MODEL_COLUMNS), index=[m.ref for m in models])
    for column in ("COCO mAP50-95", "CPU ms", "GPU ms"):
        frame[column] = frame[column].astype(float)
    return frame


def _score(metrics: dict[str, Any], *names: str) -> float | None:
    """The first of ``names`` found in ``metrics`` (case-insensitive) as a number."""
    lowered = {str(k).lower(): v for k, v in metrics.items()}
    for name in names:
        value = lowered.get(name.lower())
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def registry_frame(records: Iterable[Any]) -> pd.DataFrame:
    """One row per trained model of the registry (index: its id): the experiment it came
    from (its name, task and project) and its own benchmark scores on its val split.

    Example:
        >>> from types import SimpleNamespace
        >>> r = SimpleNamespace(id=3, name="7 shapes yolo11n-det", framework="YOLO", model_name="yolo11n-det",
        ...                     task_type="object detection", metrics={"mAP": 0.61, "AP50": 0.9}, task_id=7,
        ...                     project_id=1)
        >>> row = registry_frame([r]).loc[3]
        >>> row["experiment"], float(row["mAP"]), int(row["task"])
        ('7 shapes yolo11n-det', 0.61, 7)
    """
    rows = []
    ids = []
    for r in records:
        metrics = r.metrics or {}
        ids.append(r.id)
        rows.append({
            "id": r.id, "experiment": r.name, "model": f"{r.framework}/{r.model_name or '?'}",
            "task type": r.task_type,
            "mAP": _score(metrics, "mAP", "mAP50-95", "val/mAP50-95", "metrics/mAP50-95(B)"),
            "AP50": _score(metrics, "AP50", "mAP50", "val/mAP50", "metrics/mAP50(B)"),
            "task": r.task_id, "project": r.project_id,
        })
    frame = pd.DataFrame(rows, columns=list(REGISTRY_COLUMNS), index=ids)
    for column in ("mAP", "AP50"):
        frame[column] = frame[column].astype(float)
    return frame


def sorted_frame(frame: pd.DataFrame, column: str | None, descending: bool) -> pd.DataFrame:
    """``frame`` sorted by ``column`` (the given order when None); rows without a value last.

    Example:
        >>> f = pd.DataFrame({"m": [1.0, None, 3.0]}, index=["a", "b", "c"])
        >>> list(sorted_frame(f, "m", descending=True).index)
        ['c', 'a', 'b']
    """
    if column is None:
        return frame
    return frame.sort_values(column, ascending=not descending, na_position="last", kind="stable")
