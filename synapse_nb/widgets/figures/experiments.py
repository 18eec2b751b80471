"""Figures across finished experiments: a comparison table and one metric overlaid.

An experiment is what a finished training task leaves behind
(:class:`~synapse_nb.schemas.experiment.ExperimentInfo`); :func:`experiments_frame` turns a
list of them into the one-row-per-experiment DataFrame :func:`experiments_table` shows.

Example:
    >>> import pandas as pd
    >>> df = experiments_frame([
    ...     {"experiment_name": "1 shapes yolo11n", "framework_name": "YOLO", "model_name": "yolo11n-det",
    ...      "training_duration": 125.0, "evaluation_metrics": {"mAP": 0.62}},
    ...     {"experiment_name": "2 shapes yolov8n", "framework_name": "YOLO", "model_name": "yolov8n-det",
    ...      "training_duration": 98.0, "evaluation_metrics": {"mAP": 0.66}}])
    >>> fig = experiments_table(df, metric="mAP")
    >>> list(fig.data[0].cells.values[0])
    ['★ 2 shapes yolov8n', '1 shapes yolo11n']
"""

from __future__ import annotations

__all__ = ["experiments_frame", "experiments_table", "format_duration", "metric_overlay"]

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from synapse_nb.errors import InputError
from synapse_nb.metric_names import resolve_metric
from synapse_nb.schemas.experiment import ExperimentInfo
from synapse_nb.widgets.figures import theme
from synapse_nb.widgets.figures.series import check_metrics_frame, collect_series, resolve_category

# Shown first, in this order, under these headers; other scalar columns follow.
_LEADING = {
    "experiment_name": "experiment",
    "model_name": "model",
    "framework_name": "framework",
    "task_id": "task",
    "datetime": "finished",
    "training_duration": "duration",
    "train_size": "train",
    "val_size": "val",
    "device": "device",
}
# Columns that say where things are rather than how the run went.
_HIDDEN = {"primary_metric", "project_id", "model_id", "base_checkpoint", "task_type", "best_checkpoint"}
# Record fields that are documents or lists, not one value per experiment.
_NOT_COLUMNS = {"checkpoints", "export", "hyperparameters", "train_val_split", "evaluation_metrics", "model_ids", "benchmark_report"}
# Tried in order when no metric is named and the experiments name no primary metric.
_DEFAULT_METRICS = ("mAP", "mAP50-95", "map", "mAP50")


def experiments_frame(experiments: Iterable[ExperimentInfo | Mapping[str, Any]]) -> pd.DataFrame:
    """One row per experiment: its scalar fields, each evaluation metric as a column, the exports.

    Example:
        >>> df = experiments_frame([{"experiment_name": "a", "framework_name": "YOLO", "model_name": "m",
        ...                          "evaluation_metrics": {"mAP": 0.5}, "export": {"onnx": "export/best.onnx"}}])
        >>> df.loc[0, "mAP"], df.loc[0, "exports"]
        (np.float64(0.5), 'onnx')
    """
    rows = []
    for i, item in enumerate(experiments):
        try:
            info = item if isinstance(item, ExperimentInfo) else ExperimentInfo.model_validate(item)
        except ValueError as exc:
            raise InputError(f"experiments[{i}]", "an experiment record (ExperimentInfo fields)", hint=str(exc)) from exc
        data = info.model_dump(exclude=_NOT_COLUMNS)
        row: dict[str, Any] = {k: v for k, v in data.items() if not isinstance(v, (list, dict))}
        for name, value in info.evaluation_metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                row[name] = float(value)
        row["exports"] = ", ".join(sorted(info.export)) or None
        rows.append(row)
    return pd.DataFrame(rows)


def format_duration(seconds: Any) -> str:
    """A duration in seconds as '45s', '2m 05s' or '1h 02m'.

    Example:
        >>> format_duration(125), format_duration(3720), format_duration(None)
        ('2m 05s', '1h 02m', '—')
    """
    if theme.is_missing(seconds) or not isinstance(seconds, (int, float, np.number)) or not math.isfinite(seconds):
        return theme.MISSING
    total = int(round(float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def _format_time(value: Any) -> str:
    if theme.is_missing(value):
        return theme.MISSING
    if isinstance(value, str):
        return theme.format_number(value)
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(dt.timezone.utc)
    return stamp.strftime("%Y-%m-%d %H:%M")


def _is_scalar_column(column: pd.Series) -> bool:
    return not column.map(lambda v: isinstance(v, (list, dict, tuple, set))).any()


def _default_metric(df: pd.DataFrame) -> str | None:
    if "primary_metric" in df.columns:
        named = [m for m in df["primary_metric"].dropna().astype(str) if m in df.columns]
        if named:
            return max(set(named), key=named.count)
    return next((m for m in _DEFAULT_METRICS if m in df.columns), None)


def experiments_table(df: pd.DataFrame, metric: str | None = None, mode: str = "max", title: str | None = None) -> go.Figure:
    """Finished experiments side by side: name, model, when, how long, and their metrics.

    Rows are sorted by ``metric`` (default: the experiments' primary metric, else mAP), best
    first for ``mode``, and the best row is highlighted. Takes the DataFrame of
    :func:`experiments_frame` or any one-row-per-experiment frame.

    Example:
        >>> fig = experiments_table(pd.DataFrame({"experiment_name": ["a", "b"], "mAP": [0.4, 0.3]}))
        >>> list(fig.data[0].header.values)
        ['experiment', 'mAP ▼']
    """
    if mode not in ("max", "min"):
        raise InputError("mode", "'max' or 'min'", got=mode)
    if not isinstance(df, pd.DataFrame):
        raise InputError("df", "a pandas DataFrame (experiments_frame(...))", got=type(df).__name__)
    title = title or "Experiments"
    if len(df.index) == 0:
        return theme.empty_figure(title=title)
    if metric is not None:
        metric = resolve_metric(metric, df.columns)  # ultralytics' own names too
    if metric is not None and metric not in df.columns:
        raise InputError("metric", f"a column of the experiments DataFrame {list(df.columns)}", got=metric)
    metric = metric or _default_metric(df)
    rows = df
    if metric is not None:
        values = pd.to_numeric(df[metric], errors="coerce")
        # By position, so repeated index labels cannot repeat rows.
        rows = df.iloc[values.reset_index(drop=True).sort_values(ascending=mode == "min", na_position="last", kind="stable").index]
    # A column nobody filled in (no device recorded) is noise in a comparison.
    filled = [c for c in rows.columns if c == "experiment_name" or rows[c].notna().any()]
    leading = [c for c in _LEADING if c in filled]
    rest = [c for c in filled if c not in _LEADING and c not in _HIDDEN and _is_scalar_column(rows[c])]
    numeric_rest = [c for c in rest if pd.api.types.is_numeric_dtype(rows[c]) and not pd.api.types.is_bool_dtype(rows[c])]
    if metric in numeric_rest:  # the sort metric comes first among the numbers
        numeric_rest.remove(metric)
        numeric_rest.insert(0, metric)
    shown = leading + numeric_rest + [c for c in rest if c not in numeric_rest]
    best_row = 0 if metric is not None and pd.notna(pd.to_numeric(rows[metric], errors="coerce").iloc[0]) else None

    header, columns, header_fill, align = [], [], [], []
    for name in shown:
        values = rows[name].tolist()
        if name == "training_duration":
            cells = [format_duration(v) for v in values]
        elif name == "datetime":
            cells = [_format_time(v) for v in values]
        else:
            cells = theme.format_column(values)
        if name == "experiment_name" and best_row is not None:
            cells[best_row] = f"{theme.BEST_MARK} {cells[best_row]}"
        arrow = (" ▲" if mode == "min" else " ▼") if name == metric else ""
        header.append(_LEADING.get(name, name) + arrow)
        header_fill.append(theme.METRIC_HEADER_COLOR if name in numeric_rest else theme.HEADER_COLOR)
        columns.append(cells)
        align.append("right" if name in numeric_rest or name in ("training_duration", "train_size", "val_size", "task_id") else "left")
    return theme.table_figure(
        header,
        columns,
        header_fill=header_fill,
        fill=[theme.row_fill(best_row)] * len(columns),
        align=align,
        column_width=theme.column_widths(header, columns),
        title=title,
    )


def metric_overlay(
    metrics_by_experiment: Mapping[str, pd.DataFrame],
    key: str,
    category: str | None = None,
    x: str = "epoch",
) -> go.Figure:
    """The metric ``key`` of several experiments on one plot, one colour per experiment.

    Each value is a metrics DataFrame (``task.metrics()``); ``category`` defaults to 'val'
    when ``key`` is logged under several. An experiment that never logged ``key`` is named in
    the title rather than silently missing.

    Example:
        >>> m = lambda v: pd.DataFrame({"category": "val", "key": "mAP50", "value": v, "epoch": [0, 1]})
        >>> fig = metric_overlay({"yolo11n": m([0.1, 0.4]), "yolov8n": m([0.2, 0.5])}, "mAP50")
        >>> [t.name for t in fig.data]
        ['yolo11n', 'yolov8n']
    """
    if not isinstance(metrics_by_experiment, Mapping):
        raise InputError("metrics_by_experiment", "a dict of experiment name -> metrics DataFrame", got=type(metrics_by_experiment).__name__)
    if not isinstance(key, str):
        raise InputError("key", "the name of a metric key", got=key)
    for name, frame in metrics_by_experiment.items():
        check_metrics_frame(frame, field=f"metrics_by_experiment[{name!r}]")
    colors = theme.palette()
    traces, missing, x_used = [], [], x
    for i, (name, frame) in enumerate(metrics_by_experiment.items()):
        resolved = resolve_category(frame, key, category)
        series, x_used_here = collect_series(frame, keys=key, category=resolved, x=x) if resolved else ([], x)
        if not series:
            missing.append(str(name))
            continue
        x_used = x_used_here
        for s in series:
            label = str(name) if len(series) == 1 else f"{name} [{s.trial_id}]"
            traces.append(
                {
                    "type": "scatter",
                    "x": s.x,
                    "y": np.asarray(s.y),
                    "name": label,
                    "meta": {"series": s.name, "experiment": str(name)},
                    "mode": "lines+markers" if len(s.x) <= 30 else "lines",
                    "line": {"color": colors[i % len(colors)]},
                    "legendgroup": str(name),
                }
            )
    title = f"{key} across experiments"
    if missing:
        title += f" (no {key} in: {', '.join(missing)})"
    if not traces:
        return theme.empty_figure(f"no values yet for {key}" if metrics_by_experiment else "no data yet", title=title, height=theme.HEIGHT)
    fig = go.Figure(data=traces)
    fig.update_xaxes(title_text=x_used)
    fig.update_yaxes(title_text=key)
    return theme.apply_theme(fig, height=theme.HEIGHT, title=title)
