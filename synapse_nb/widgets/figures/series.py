"""The series of a metrics log: one (category, key, trial) each, as x/y arrays, checked and
filtered; which keys are losses and which measure quality.

Input is the DataFrame ``task.metrics()`` returns: columns ``category`` ('train', 'val'),
``key`` ('box_loss', 'mAP50-95', 'lr/pg0'), ``value``, and optionally ``step``, ``epoch``
(nullable integers), ``trial_id`` and ``time``. A series is named ``"category/key"``, with
``" [trial_id]"`` appended in tuning; the figures in :mod:`.metrics` draw each under its name.

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"category": ["train", "train", "val"], "key": ["box_loss"] * 2 + ["mAP50"],
    ...                    "value": [1.5, 1.2, 0.3], "epoch": [0, 1, 1]})
    >>> metric_series(df)["train/box_loss"]
    ([0, 1], [1.5, 1.2])
    >>> latest_values(df)
    {'train/box_loss': 1.2, 'val/mAP50': 0.3}
"""

from __future__ import annotations

__all__ = [
    "REQUIRED_COLUMNS", "Series", "X_AXES", "check_metrics_frame", "collect_series", "is_loss", "is_quality",
    "latest_values", "metric_series", "resolve_category", "series_name",
]

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from synapse_nb.errors import InputError
from synapse_nb.metric_names import resolve_metric

REQUIRED_COLUMNS = ("category", "key", "value")
X_AXES = ("epoch", "step", "time")
# When the asked-for x is never filled in (a run that logs per step only), fall back in order.
_X_FALLBACKS = {"epoch": ("step",), "step": ("epoch",), "time": ()}
# Preferred category when a key is logged under several (a loss under 'train' and 'val').
_CATEGORY_PREFERENCE = ("val", "metrics", "train")
_LOSS = re.compile(r"loss", re.IGNORECASE)
_QUALITY = re.compile(r"map|precision|recall|f1|fitness|accuracy|top1|top5|iou", re.IGNORECASE)


class Series(NamedTuple):
    """One metric series: its name, what it measures and its points in x order."""

    name: str
    category: str
    key: str
    trial_id: str | None
    x: list[Any]
    y: list[float]


def series_name(category: str, key: str, trial_id: str | None = None) -> str:
    """The name of a series in figures, :func:`metric_series` and :func:`latest_values`.

    Example:
        >>> series_name("val", "mAP50"), series_name("val", "mAP50", "t_0001")
        ('val/mAP50', 'val/mAP50 [t_0001]')
    """
    name = f"{category}/{key}"
    return f"{name} [{trial_id}]" if trial_id else name


def _as_list(value: str | Iterable[str] | None, field: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    try:
        items = list(value)
    except TypeError:
        raise InputError(field, "a string or a list of strings", got=value) from None
    if not all(isinstance(v, str) for v in items):
        raise InputError(field, "a string or a list of strings", got=items)
    return items


def _is_empty(df: Any) -> bool:
    """True when ``df`` has no rows; raises :class:`InputError` when it is not a metrics frame."""
    check_metrics_frame(df)
    return len(df.index) == 0


def check_metrics_frame(df: Any, field: str = "df") -> None:
    """Raise :class:`InputError` unless ``df`` is a DataFrame with the metric columns.

    An empty DataFrame (no rows, or no columns at all) passes: it means nothing logged yet.

    Example:
        >>> check_metrics_frame(pd.DataFrame())
        >>> check_metrics_frame(pd.DataFrame({"value": [1.0]}))
        Traceback (most recent call last):
        ...
        synapse_nb.errors.InputError: df: expected a metrics DataFrame with columns ['category', 'key', 'value'], got ['value']
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(field, "a pandas DataFrame (task.metrics())", got=type(df).__name__)
    if len(df.index) == 0:
        return
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(field, f"a metrics DataFrame with columns {list(REQUIRED_COLUMNS)}", got=list(df.columns))


def _trial_labels(df: pd.DataFrame) -> pd.Series:
    if "trial_id" not in df.columns:
        return pd.Series("", index=df.index, dtype=object)
    trials = df["trial_id"].astype(object)
    return trials.where(trials.notna(), "").map(str)


def _category_rank(categories: pd.Series) -> pd.Series:
    rank = {"train": 0, "val": 1}
    return categories.map(lambda c: rank.get(c, 2))


def _pick_x(frame: pd.DataFrame, x: str) -> str | None:
    for column in (x, *_X_FALLBACKS[x]):
        if column in frame.columns and frame[column].notna().any():
            return column
    return None


def _filtered(
    df: pd.DataFrame,
    keys: str | Iterable[str] | None,
    category: str | Iterable[str] | None,
    trial_id: str | None,
) -> pd.DataFrame:
    key_list = _as_list(keys, "keys")
    category_list = _as_list(category, "category")
    if trial_id is not None and not isinstance(trial_id, str):
        raise InputError("trial_id", "a trial id (string) or None", got=trial_id)
    check_metrics_frame(df)
    frame = df
    if key_list is not None:
        present = set(frame["key"].astype(str))
        key_list = [resolve_metric(key, present) for key in key_list]  # ultralytics' own names too
        frame = frame[frame["key"].isin(key_list)]
    if category_list is not None:
        frame = frame[frame["category"].isin(category_list)]
    if trial_id is not None:
        frame = frame[_trial_labels(frame) == trial_id]
    values = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    # A NaN or infinite value would break the figure's JSON and the y range; it is left out.
    return frame.assign(value=values)[np.isfinite(values.to_numpy())]


def collect_series(
    df: pd.DataFrame,
    keys: str | Iterable[str] | None = None,
    category: str | Iterable[str] | None = None,
    trial_id: str | None = None,
    x: str = "epoch",
) -> tuple[list[Series], str]:
    """Every series of ``df`` (filtered), in a stable order, and the x column actually used.

    Rows without an x value are left out; when no row has one, ``step`` (or ``epoch``) is
    used instead, and failing both the logging order ("index"). Where several values share an
    x (re-logged), the latest logged one is kept. Order: by trial, key, then train before val.

    Example:
        >>> df = pd.DataFrame({"category": ["train"] * 2, "key": ["loss"] * 2, "value": [2.0, 1.0], "step": [10, 20]})
        >>> series, x_used = collect_series(df)
        >>> x_used, series[0].x, series[0].y
        ('step', [10, 20], [2.0, 1.0])
    """
    if x not in X_AXES:
        raise InputError("x", f"one of {list(X_AXES)}", got=x)
    if _is_empty(df):
        return [], x
    frame = _filtered(df, keys, category, trial_id)
    if len(frame.index) == 0:
        return [], x
    x_used = _pick_x(frame, x)
    work = pd.DataFrame(
        {
            "_trial": _trial_labels(frame).to_numpy(),
            "_key": frame["key"].astype(str).to_numpy(),
            "_rank": _category_rank(frame["category"]).to_numpy(),
            "_cat": frame["category"].astype(str).to_numpy(),
            "_y": frame["value"].to_numpy(dtype=float),
            "_order": np.arange(len(frame.index)),
        }
    )
    group = ["_trial", "_key", "_rank", "_cat"]
    if x_used is None:
        x_used = "index"
        work["_x"] = work.groupby(group, sort=False).cumcount()
    else:
        work["_x"] = frame[x_used].to_numpy()
        work = work[work["_x"].notna()]
    # Stable sort keeps logging order among equal x, so keep="last" keeps the latest value.
    work = work.sort_values([*group, "_x", "_order"], kind="stable")
    work = work.drop_duplicates([*group, "_x"], keep="last")
    result = []
    for (trial, key, _rank, cat), part in work.groupby(group, sort=False):
        xs = part["_x"]
        if x_used in ("epoch", "step", "index"):
            x_values: list[Any] = xs.astype("int64").tolist()
        else:
            x_values = [pd.Timestamp(v).to_pydatetime() for v in xs]
        trial_id_out = trial or None
        result.append(Series(series_name(cat, key, trial_id_out), cat, key, trial_id_out, x_values, part["_y"].tolist()))
    return result, x_used


def metric_series(
    df: pd.DataFrame,
    keys: str | Iterable[str] | None = None,
    category: str | Iterable[str] | None = None,
    trial_id: str | None = None,
    x: str = "epoch",
) -> dict[str, tuple[list[Any], list[float]]]:
    """The x and y arrays of every series, by series name: what a live figure updates in place.

    Example:
        >>> df = pd.DataFrame({"category": ["val"] * 2, "key": ["mAP50"] * 2, "value": [0.1, 0.4], "epoch": [0, 1]})
        >>> metric_series(df)
        {'val/mAP50': ([0, 1], [0.1, 0.4])}
    """
    series, _ = collect_series(df, keys=keys, category=category, trial_id=trial_id, x=x)
    return {s.name: (s.x, s.y) for s in series}


def latest_values(
    df: pd.DataFrame,
    keys: str | Iterable[str] | None = None,
    category: str | Iterable[str] | None = None,
    trial_id: str | None = None,
) -> dict[str, float]:
    """The most recently logged value of every series, by series name.

    "Most recent" is by ``time`` when every row has one, else by row order (the order the
    backend stored them).

    Example:
        >>> df = pd.DataFrame({"category": ["train"] * 2, "key": ["box_loss"] * 2, "value": [1.5, 1.2]})
        >>> latest_values(df)
        {'train/box_loss': 1.2}
    """
    if _is_empty(df):
        return {}
    frame = _filtered(df, keys, category, trial_id)
    if "time" in frame.columns and len(frame.index) and frame["time"].notna().all():
        frame = frame.sort_values("time", kind="stable")
    names = [
        series_name(c, k, t or None)
        for c, k, t in zip(frame["category"].astype(str), frame["key"].astype(str), _trial_labels(frame), strict=True)
    ]
    latest: dict[str, float] = {}
    for name, value in zip(names, frame["value"].tolist(), strict=True):
        latest.pop(name, None)  # re-insert so the dict lists series in order of their last value
        latest[name] = float(value)
    return dict(sorted(latest.items()))


def resolve_category(df: pd.DataFrame, key: str, category: str | None = None) -> str | None:
    """The category to plot ``key`` from: ``category`` if given, else 'val', 'metrics', 'train',
    else the first in alphabetical order; None when ``key`` was never logged.

    Example:
        >>> df = pd.DataFrame({"category": ["train", "val"], "key": ["box_loss"] * 2, "value": [1.0, 1.1]})
        >>> resolve_category(df, "box_loss")
        'val'
    """
    if category is not None:
        return category
    if _is_empty(df):
        return None
    present = set(df.loc[df["key"] == key, "category"].astype(str))
    for preferred in _CATEGORY_PREFERENCE:
        if preferred in present:
            return preferred
    return min(present) if present else None


def is_loss(key: str) -> bool:
    """True for a loss key ('box_loss', 'val/cls_loss').

    Example:
        >>> is_loss("dfl_loss"), is_loss("mAP50")
        (True, False)
    """
    return bool(_LOSS.search(key))


def is_quality(key: str) -> bool:
    """True for a key that measures how good the model is (mAP, precision, recall, F1, ...).

    Example:
        >>> is_quality("mAP50-95"), is_quality("lr/pg0")
        (True, False)
    """
    return not is_loss(key) and bool(_QUALITY.search(key))
