"""Charts of a tuning run's trials: parallel coordinates across the searched values, and one
metric curve per trial.

Input is what ``task.trials()`` and ``task.metrics()`` return (see :mod:`.trials` for the
table).

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"lr0": [1e-3, 1e-2], "mAP50": [0.4, 0.6]})
    >>> parallel_coordinates(df, ["lr0"], "mAP50").data[0].type
    'parcoords'
"""

from __future__ import annotations

__all__ = ["parallel_coordinates", "pareto_front", "trial_curves"]

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from synapse_nb.errors import InputError
from synapse_nb.widgets.figures import theme
from synapse_nb.widgets.figures.series import collect_series, resolve_category
from synapse_nb.widgets.figures.trials import _best_first, _check_mode, _check_top_k, _metric_values, _names, _numeric, _require

# Above this many trials a per-trial legend is longer than the plot; hover still names them.
_LEGEND_UP_TO = 20


def _dimension(name: str, column: pd.Series) -> dict[str, Any]:
    """One parallel-coordinates axis: numbers as they are (log10 across >= 2 decades), other
    values as integer codes with their labels as ticks."""
    numeric = _numeric(column)
    if numeric is None:
        labels = column.map(lambda v: theme.MISSING if theme.is_missing(v) else theme.format_number(v))
        categories = sorted(labels.unique())
        codes = labels.map({label: i for i, label in enumerate(categories)}).astype(float)
        top = max(len(categories) - 1, 1)
        return {"label": name, "values": codes.to_numpy(), "tickvals": list(range(len(categories))), "ticktext": categories, "range": [0, top]}
    low, high = float(numeric.min()), float(numeric.max())
    if low > 0 and high / low >= 100:
        logs = np.log10(numeric.to_numpy())
        exponents = list(range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1))
        return {
            "label": f"{name} (log)",
            "values": logs,
            "range": [float(logs.min()), float(logs.max())],
            "tickvals": exponents,
            "ticktext": [f"1e{e}" for e in exponents],
        }
    pad = 0.0 if high > low else max(abs(low) * 0.1, 1.0)
    return {"label": name, "values": numeric.to_numpy(), "range": [low - pad, high + pad]}


def parallel_coordinates(
    df: pd.DataFrame,
    hyperparameters: Iterable[str],
    metric: str,
    mode: str = "max",
    top_k: int | None = 50,
    title: str | None = None,
) -> go.Figure:
    """One line per trial across its hyperparameters and ``metric``, coloured by the metric.

    Only trials that reported ``metric`` are drawn, the best ``top_k`` of them by default
    (``top_k=None`` draws all: past a few tens of lines the plot stops being readable).
    Categorical hyperparameters become integer codes with their values as tick labels;
    positive numbers spanning two or more decades (learning rates) are drawn on a log10 axis.
    The best trials get the bright end of the colour scale in either ``mode``.

    Example:
        >>> df = pd.DataFrame({"lr0": [1e-4, 1e-3, 1e-2], "optimizer": ["SGD", "Adam", "SGD"],
        ...                    "mAP50": [0.2, 0.5, 0.4]})
        >>> fig = parallel_coordinates(df, ["lr0", "optimizer"], "mAP50")
        >>> [d.label for d in fig.data[0].dimensions], list(fig.data[0].dimensions[1].ticktext)
        (['lr0 (log)', 'optimizer', 'mAP50'], ['Adam', 'SGD'])
    """
    _check_mode(mode)
    _check_top_k(top_k)
    hp_names = _names(hyperparameters, "hyperparameters") or []
    if not isinstance(metric, str):
        raise InputError("metric", "the name of a metric column", got=metric)
    if not isinstance(df, pd.DataFrame):
        raise InputError("df", "a pandas DataFrame (task.trials())", got=type(df).__name__)
    if len(df.index) == 0:
        return theme.empty_figure(title=title or "Trials")
    _require(df, hp_names, "hyperparameters")
    values = _metric_values(df, metric)
    keep = np.isfinite(values.to_numpy())
    for name in hp_names:
        numeric = _numeric(df[name])
        if numeric is not None:
            # A trial without this hyperparameter (conditional search space) has no place on its axis.
            keep &= np.isfinite(numeric.to_numpy())
    rows = df[keep]
    total = len(df.index)
    if len(rows.index) == 0:
        return theme.empty_figure(f"no trial has reported {metric} yet", title=title or "Trials")
    rows = _best_first(rows, metric, mode)
    if top_k is not None:
        rows = rows.head(top_k)
    # plotly draws later lines over earlier ones: the best go last so they stay visible.
    rows = rows.iloc[::-1]
    y = _metric_values(rows, metric).to_numpy()
    dimensions = [_dimension(name, rows[name]) for name in hp_names]
    dimensions.append({"label": metric, "values": y})
    line = {
        "color": y,
        "colorscale": theme.sequential_colorscale(),
        "reversescale": mode == "min",
        "showscale": True,
        "cmin": float(y.min()),
        "cmax": float(y.max()),
        "colorbar": {"title": {"text": metric}, "thickness": 12},
    }
    if title is None:
        shown = len(rows.index)
        title = f"Top {shown} of {total} trials by {metric} ({mode})" if shown < total else f"{total} trials by {metric} ({mode})"
    fig = go.Figure(data=[{"type": "parcoords", "dimensions": dimensions, "line": line}])
    fig.update_layout(margin={"l": 64, "r": 40, "t": 84, "b": 28})
    return theme.apply_theme(fig, height=theme.HEIGHT + 60, title=title)


def trial_curves(
    metrics_df: pd.DataFrame,
    key: str,
    trial_ids: Iterable[str] | None = None,
    best_trial: str | None = None,
    category: str | None = None,
    x: str = "epoch",
) -> go.Figure:
    """One line per trial for the metric ``key``; the best trial drawn thick, on top.

    ``category`` defaults to 'val' when ``key`` is logged under several. Each trace carries
    ``meta={"series": ..., "trial_id": ...}`` for in-place updates.

    Example:
        >>> m = pd.DataFrame({"category": "val", "key": "mAP50", "value": [0.1, 0.3, 0.2, 0.5],
        ...                   "epoch": [0, 1, 0, 1], "trial_id": ["a", "a", "b", "b"]})
        >>> fig = trial_curves(m, "mAP50", best_trial="b")
        >>> [(t.name, t.line.width) for t in fig.data]
        [('a', 1.5), ('b ★ best', 4.0)]
    """
    if not isinstance(key, str):
        raise InputError("key", "the name of a metric key", got=key)
    wanted = _names(trial_ids, "trial_ids")
    if best_trial is not None and not isinstance(best_trial, str):
        raise InputError("best_trial", "a trial id (string) or None", got=best_trial)
    resolved = resolve_category(metrics_df, key, category)
    title = f"{resolved or category or ''}/{key} per trial".lstrip("/")
    if resolved is None:
        return theme.empty_figure(f"no values yet for {key}", title=title, height=theme.HEIGHT)
    series, x_used = collect_series(metrics_df, keys=key, category=resolved, x=x)
    if wanted is not None:
        series = [s for s in series if s.trial_id in set(wanted)]
    if not series:
        return theme.empty_figure(f"no values yet for {key}", title=title, height=theme.HEIGHT)
    colors = theme.palette()
    show_legend = len(series) <= _LEGEND_UP_TO
    traces = []
    best_trace = None
    for i, s in enumerate(series):
        label = s.trial_id or "run"
        trace = {"type": "scatter", "x": s.x, "y": np.asarray(s.y), "mode": "lines", "meta": {"series": s.name, "trial_id": s.trial_id}}
        if best_trial and s.trial_id == best_trial:
            best_trace = {**trace, "name": f"{label} {theme.BEST_MARK} best", "line": {"width": 4.0, "color": colors[0]}}
            continue
        color = colors[1 + i % (len(colors) - 1)]
        traces.append({**trace, "name": label, "line": {"width": 1.5, "color": color}, "opacity": 0.55, "showlegend": show_legend})
    if best_trace is not None:
        traces.append(best_trace)
    fig = go.Figure(data=traces)
    fig.update_xaxes(title_text=x_used)
    fig.update_yaxes(title_text=key)
    fig.update_layout(hovermode="closest")
    return theme.apply_theme(fig, height=theme.HEIGHT, title=title)


def pareto_front(
    df: pd.DataFrame,
    metrics: Iterable[str],
    modes: Iterable[str],
    best_trial: str | None = None,
) -> go.Figure:
    """The trials of a two-objective search, the first metric across, the second up, with the
    Pareto front (the trials no other trial beats on both) drawn as a line and its trials
    marked; the best trial is starred.

    Which trials are on the front comes from the table's ``pareto`` column when the search
    wrote one (the search's own word), else from the values shown.

    Example:
        >>> df = pd.DataFrame({"trial_id": ["a", "b", "c"], "status": ["TERMINATED"] * 3,
        ...                    "mAP50": [0.5, 0.4, 0.3], "ms": [10.0, 5.0, 8.0]})
        >>> fig = pareto_front(df, ["mAP50", "ms"], ["max", "min"], best_trial="a")
        >>> [t.name for t in fig.data], list(fig.data[1].customdata)
        (['other trials', 'Pareto front', '★ best'], ['b', 'a'])
    """
    from synapse_nb.actions.train.tune.best import pareto_front as front_of

    names = _names(list(metrics), "metrics") or []
    directions = list(modes)
    if len(names) < 2 or len(directions) != len(names):
        raise InputError("metrics", "two or more metrics, with one mode each", got={"metrics": names, "modes": directions})
    for mode in directions:
        _check_mode(mode)
    if not isinstance(df, pd.DataFrame) or df.empty or not all(m in df.columns for m in names[:2]):
        return theme.empty_figure(f"no trial has reported {names[0]} and {names[1]} yet", title="Pareto front")
    x_name, y_name = names[:2]
    rows = df.assign(_x=_metric_values(df, x_name), _y=_metric_values(df, y_name)).dropna(subset=["_x", "_y"])
    if rows.empty:
        return theme.empty_figure(f"no trial has reported {x_name} and {y_name} yet", title="Pareto front")
    ids = rows["trial_id"].map(str)
    if "pareto" in rows.columns and rows["pareto"].notna().any():
        on_front = rows["pareto"].fillna(False).astype(bool).to_numpy()
    else:
        records = [{"trial_id": t, "metrics": {x_name: x, y_name: y}} for t, x, y in zip(ids, rows["_x"], rows["_y"])]
        front = set(front_of(records, [x_name, y_name], directions[:2]))
        on_front = ids.isin(front).to_numpy()
    colors = theme.palette()
    fig = go.Figure()
    others = rows[~on_front]
    fig.add_scatter(x=others["_x"], y=others["_y"], mode="markers", name="other trials",
                    customdata=others["trial_id"].map(str), marker={"color": theme.MUTED_COLOR, "size": 8},
                    hovertemplate="%{customdata}<br>" + f"{x_name} %{{x}}<br>{y_name} %{{y}}<extra></extra>")
    front_rows = rows[on_front].sort_values("_x")
    fig.add_scatter(x=front_rows["_x"], y=front_rows["_y"], mode="lines+markers", name="Pareto front",
                    customdata=front_rows["trial_id"].map(str), line={"color": colors[0], "shape": "hv" if
                    directions[0] != directions[1] else "linear"}, marker={"color": colors[0], "size": 10},
                    hovertemplate="%{customdata}<br>" + f"{x_name} %{{x}}<br>{y_name} %{{y}}<extra></extra>")
    if best_trial is not None and best_trial in set(ids):
        best = rows[ids == best_trial]
        fig.add_scatter(x=best["_x"], y=best["_y"], mode="markers", name=f"{theme.BEST_MARK} best",
                        customdata=[best_trial], marker={"symbol": "star", "size": 18, "color": colors[1]},
                        hovertemplate=f"{best_trial} (best)<extra></extra>")
    arrows = {"max": "higher is better", "min": "lower is better"}
    fig.update_xaxes(title_text=f"{x_name} ({arrows[directions[0]]})")
    fig.update_yaxes(title_text=f"{y_name} ({arrows[directions[1]]})")
    title = f"Pareto front · {int(on_front.sum())} of {len(rows)} trials"
    return theme.apply_theme(fig, height=theme.HEIGHT, title=title)
