"""Figures of the metrics a run logs: training curves and the losses/mAP overview.

The series come from :mod:`.series` (whose names this module also offers, for callers that
import them from here). Every trace a builder here draws carries ``meta={"series": name}``,
and :func:`~.series.metric_series` returns the x/y arrays under the same names, so a live
``FigureWidget`` can update its traces in place instead of being rebuilt.

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"category": ["train", "train", "val"], "key": ["box_loss"] * 2 + ["mAP50"],
    ...                    "value": [1.5, 1.2, 0.3], "epoch": [0, 1, 1]})
    >>> len(training_overview(df).data)
    2
"""

from __future__ import annotations

__all__ = [
    "REQUIRED_COLUMNS", "Series", "X_AXES", "check_metrics_frame", "collect_series", "is_loss", "is_quality",
    "latest_values", "metric_curves", "metric_series", "resolve_category", "series_name",
    "training_overview",
]

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from synapse_nb.widgets.figures.series import (
    REQUIRED_COLUMNS,
    X_AXES,
    Series,
    _as_list,
    check_metrics_frame,
    collect_series,
    is_loss,
    is_quality,
    latest_values,
    metric_series,
    resolve_category,
    series_name,
)
from synapse_nb.widgets.figures.theme import HEIGHT, WIDE_HEIGHT, apply_theme, empty_figure, palette

# Dash per category rank so train and val of the same key share a colour and differ in line.
_DASHES = ("solid", "dash", "dot", "dashdot", "longdash")
# Markers help read a short curve and clutter a long one.
_MARKERS_UP_TO = 30


def _key_colors(series: list[Series]) -> dict[str, str]:
    colors = palette()
    keys = list(dict.fromkeys(s.key for s in series))
    return {key: colors[i % len(colors)] for i, key in enumerate(keys)}


def _category_dashes(series: list[Series]) -> dict[str, str]:
    categories = list(dict.fromkeys(s.category for s in series))
    return {cat: _DASHES[i % len(_DASHES)] for i, cat in enumerate(categories)}


def _line(series: Series, color: str, dash: str) -> dict[str, Any]:
    # A plain dict: plotly validates it once when the figure is built, not twice (object + figure).
    return {
        "type": "scatter",
        # Arrays pass plotly's validation without a per-element walk (datetimes stay a list).
        "x": series.x if series.x and not isinstance(series.x[0], int) else np.asarray(series.x, dtype=np.int64),
        "y": np.asarray(series.y, dtype=float),
        "name": series.name,
        "meta": {"series": series.name},
        "mode": "lines+markers" if len(series.x) <= _MARKERS_UP_TO else "lines",
        "line": {"color": color, "dash": dash},
        "legendgroup": series.key,
    }


def _no_values_message(keys: Any) -> str:
    key_list = _as_list(keys, "keys")
    return f"no values yet for {', '.join(key_list)}" if key_list else "no data yet"


def metric_curves(
    df: pd.DataFrame,
    keys: str | Iterable[str] | None = None,
    category: str | Iterable[str] | None = None,
    trial_id: str | None = None,
    x: str = "epoch",
    title: str | None = None,
) -> go.Figure:
    """One line per series of ``df``: same colour for a key, a different dash per category.

    Example:
        >>> df = pd.DataFrame({"category": ["train", "val"], "key": ["box_loss"] * 2,
        ...                    "value": [1.5, 1.7], "epoch": [0, 0]})
        >>> [trace.name for trace in metric_curves(df, keys="box_loss").data]
        ['train/box_loss', 'val/box_loss']
    """
    series, x_used = collect_series(df, keys=keys, category=category, trial_id=trial_id, x=x)
    key_list = _as_list(keys, "keys")
    if title is None:
        title = key_list[0] if key_list and len(key_list) == 1 else "Metrics"
        if trial_id:
            title += f" — trial {trial_id}"
    if not series:
        return empty_figure(_no_values_message(keys), title=title, height=HEIGHT)
    colors, dashes = _key_colors(series), _category_dashes(series)
    fig = go.Figure(data=[_line(s, colors[s.key], dashes[s.category]) for s in series])
    only_key = len({s.key for s in series}) == 1
    fig.update_xaxes(title_text=x_used)
    fig.update_yaxes(title_text=series[0].key if only_key else "value")
    return apply_theme(fig, height=HEIGHT, title=title)


def training_overview(df: pd.DataFrame, trial_id: str | None = None, x: str = "epoch") -> go.Figure:
    """Losses (left) and mAP/precision/recall (right) side by side; other keys (lr) are left out.

    Example:
        >>> df = pd.DataFrame({"category": ["train", "val"], "key": ["box_loss", "mAP50"],
        ...                    "value": [1.5, 0.2], "epoch": [0, 0]})
        >>> fig = training_overview(df)
        >>> [(t.name, t.xaxis) for t in fig.data]
        [('train/box_loss', 'x'), ('val/mAP50', 'x2')]
    """
    title = "Training" + (f" — trial {trial_id}" if trial_id else "")
    series, x_used = collect_series(df, trial_id=trial_id, x=x)
    losses = [s for s in series if is_loss(s.key)]
    quality = [s for s in series if is_quality(s.key)]
    if not losses and not quality:
        return empty_figure(title=title, height=WIDE_HEIGHT)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Losses", "mAP, precision, recall"), horizontal_spacing=0.1)
    # One colour per key across both plots, so the shared legend stays unambiguous.
    colors, dashes = _key_colors(losses + quality), _category_dashes(series)
    for col, group in ((1, losses), (2, quality)):
        if not group:
            fig.add_annotation(
                text="no values yet", row=1, col=col, x=0.5, y=0.5, xref="x domain", yref="y domain", showarrow=False
            )
            continue
        fig.add_traces([_line(s, colors[s.key], dashes[s.category]) for s in group], rows=1, cols=col)
    fig.update_xaxes(title_text=x_used)
    fig.update_yaxes(title_text="loss", row=1, col=1)
    fig.update_yaxes(title_text="score", rangemode="nonnegative", row=1, col=2)
    return apply_theme(fig, height=WIDE_HEIGHT, title=title)
