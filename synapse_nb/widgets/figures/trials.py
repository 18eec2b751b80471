"""The trials table of a tuning run (its charts are in :mod:`.trial_charts`).

Input is the DataFrame ``task.trials()`` returns: one row per trial with ``trial_id``,
``status`` (PENDING, RUNNING, PAUSED, TERMINATED, ERROR), one column per hyperparameter and
per metric, and optionally ``iterations`` (epochs done), ``node`` (the Ray node that ran the
trial) and ``error``. Which columns are
hyperparameters and which are metrics is given by the caller, as the trial table reports it.

Built to stay readable at hundreds of trials: the table's height is bounded (it scrolls),
and ``top_k`` keeps the best trials only.

Example:
    >>> import pandas as pd
    >>> df = pd.DataFrame({"trial_id": ["a", "b"], "status": ["TERMINATED", "RUNNING"],
    ...                    "lr0": [0.01, 0.001], "mAP50": [0.61, 0.42]})
    >>> fig = trials_table(df, hyperparameters=["lr0"], metrics=["mAP50"], best_trial="a")
    >>> list(fig.data[0].cells.values[0])
    ['★ a', 'b']
    >>> trial_status_counts(df)["RUNNING"]
    1
"""

from __future__ import annotations

__all__ = ["MODES", "TrialsTableData", "trial_status_counts", "trials_table", "trials_table_data"]

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from pydantic import BaseModel, ConfigDict

from synapse_nb.errors import InputError
from synapse_nb.metric_names import resolve_metric
from synapse_nb.widgets.figures import theme

MODES = ("max", "min")


class TrialsTableData(BaseModel):
    """The trials table as plain column lists, ready for ``go.Table`` or an in-place update.

    ``fill`` holds one entry per column: a colour, or a list of per-row colours. As in
    plotly.js, a list shorter than the column repeats its last colour, which keeps a
    500-row table cheap to send when only the best trial's row differs.
    """

    model_config = ConfigDict(frozen=True)

    header: list[str]
    header_fill: list[str]
    columns: list[list[str]]
    fill: list[str | list[str]]
    font_color: list[str]
    align: list[str]
    column_width: list[float]
    trial_ids: list[str]
    best_row: int | None
    shown: int
    total: int
    title: str
    height: int

    def fill_at(self, row: int, column: int) -> str:
        """The fill colour plotly.js draws for a cell.

        Example:
            >>> data = trials_table_data(pd.DataFrame({"trial_id": ["a", "b"], "status": ["ERROR", "RUNNING"]}),
            ...                          best_trial="b")
            >>> data.fill_at(1, 0) == theme.BEST_ROW_COLOR, data.fill_at(0, 1) == theme.STATUS_COLORS["ERROR"]
            (True, True)
        """
        spec = self.fill[min(column, len(self.fill) - 1)]
        if isinstance(spec, list):
            return spec[min(row, len(spec) - 1)]
        return spec


def _names(value: str | Iterable[str] | None, field: str) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, Iterable) else None
    if items is None or not all(isinstance(v, str) for v in items):
        raise InputError(field, "a list of column names", got=value)
    return items


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise InputError("mode", "'max' or 'min'", got=mode)


def _check_top_k(top_k: int | None) -> None:
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise InputError("top_k", "a whole number of at least 1, or None for all trials", got=top_k)


def _status_filter(status: str | Iterable[str] | None) -> list[str] | None:
    wanted = _names(status, "status")
    if wanted is None:
        return None
    upper = [s.upper() for s in wanted]
    unknown = [s for s in upper if s not in theme.STATUSES]
    if unknown:
        raise InputError("status", f"statuses among {list(theme.STATUSES)}", got=unknown)
    return upper


def _check_frame(df: Any) -> bool:
    """True when ``df`` has trials; raises for something that is not a trials DataFrame."""
    if not isinstance(df, pd.DataFrame):
        raise InputError("df", "a pandas DataFrame (task.trials())", got=type(df).__name__)
    if len(df.index) == 0:
        return False
    if "trial_id" not in df.columns:
        raise InputError("df", "a trials DataFrame with a 'trial_id' column", got=list(df.columns))
    return True


def _require(df: pd.DataFrame, columns: list[str], field: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(field, f"columns of the trials DataFrame {list(df.columns)}", got=missing)


def _numeric(column: pd.Series) -> pd.Series | None:
    """The column as floats when it holds numbers (booleans count as categories), else None."""
    if pd.api.types.is_bool_dtype(column):
        return None
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float)
    present = column.dropna()
    if len(present) and all(isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_)) for v in present):
        return pd.to_numeric(column, errors="coerce").astype(float)
    return None


def _metric_values(df: pd.DataFrame, metric: str) -> pd.Series:
    if metric not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype=float)
    return pd.to_numeric(df[metric], errors="coerce").astype(float)


def _ordered(df: pd.DataFrame, key: pd.Series, ascending: bool) -> pd.DataFrame:
    # By position, so a frame with repeated index labels keeps one row per trial.
    order = key.reset_index(drop=True).sort_values(ascending=ascending, na_position="last", kind="stable").index
    return df.iloc[order]


def _best_first(df: pd.DataFrame, metric: str, mode: str) -> pd.DataFrame:
    # Missing results (a trial still running) rank last whatever the mode.
    return _ordered(df, _metric_values(df, metric), ascending=mode == "min")


def _sort(df: pd.DataFrame, column: str, ascending: bool) -> pd.DataFrame:
    numeric = _numeric(df[column])
    key = numeric if numeric is not None else df[column].map(lambda v: "" if theme.is_missing(v) else str(v))
    return _ordered(df, key, ascending)


def trial_status_counts(df: pd.DataFrame) -> dict[str, int]:
    """How many trials are in each status: every known status (zeros too), then any other.

    Example:
        >>> trial_status_counts(pd.DataFrame({"trial_id": ["a", "b"], "status": ["ERROR", "error"]}))
        {'PENDING': 0, 'RUNNING': 0, 'PAUSED': 0, 'TERMINATED': 0, 'ERROR': 2}
    """
    counts = dict.fromkeys(theme.STATUSES, 0)
    if not _check_frame(df) or "status" not in df.columns:
        return counts
    for status, count in df["status"].map(lambda s: "UNKNOWN" if theme.is_missing(s) else str(s).upper()).value_counts().items():
        counts[str(status)] = counts.get(str(status), 0) + int(count)
    return counts


def _title(total: int, shown: int, counts: dict[str, int], rank_metric: str | None, top_k: int | None, best: str | None) -> str:
    if top_k is not None and rank_metric:
        head = f"Top {shown} of {total} trials by {rank_metric}"
    elif shown != total:
        head = f"{shown} of {total} trials"
    else:
        head = f"{total} trial" + ("" if total == 1 else "s")
    parts = [head] + [f"{n} {s.lower()}" for s, n in counts.items() if n]
    if best:
        parts.append(f"best {best}")
    return " · ".join(parts)


def trials_table_data(
    df: pd.DataFrame,
    hyperparameters: Iterable[str] | None = None,
    metrics: Iterable[str] | None = None,
    best_trial: str | None = None,
    sort_by: str | None = None,
    ascending: bool | None = None,
    mode: str = "max",
    status: str | Iterable[str] | None = None,
    top_k: int | None = None,
) -> TrialsTableData:
    """The trials table as :class:`TrialsTableData` (see :func:`trials_table` for the arguments).

    Example:
        >>> df = pd.DataFrame({"trial_id": ["a", "b"], "status": ["TERMINATED"] * 2, "mAP50": [0.2, 0.7]})
        >>> data = trials_table_data(df, metrics=["mAP50"])
        >>> data.trial_ids, data.header
        (['b', 'a'], ['trial', 'status', 'mAP50 ▼'])
    """
    _check_mode(mode)
    _check_top_k(top_k)
    wanted_status = _status_filter(status)
    hp_names = _names(hyperparameters, "hyperparameters")
    metric_names = _names(metrics, "metrics") or []
    if best_trial is not None and not isinstance(best_trial, str):
        raise InputError("best_trial", "a trial id (string) or None", got=best_trial)
    has_rows = _check_frame(df)
    if not has_rows:
        df = pd.DataFrame({"trial_id": pd.Series([], dtype=object)})
    # ultralytics' own names (metrics/mAP50-95(B), fitness...) find our columns.
    metric_names = [resolve_metric(m, df.columns) for m in metric_names]
    if sort_by is not None:
        sort_by = resolve_metric(sort_by, df.columns)
    fixed = [c for c in ("trial_id", "status", "iterations", "node") if c in df.columns]
    if hp_names is None:
        hp_names = [c for c in df.columns if c not in {*fixed, "error", *metric_names}]
    elif has_rows:
        _require(df, hp_names, "hyperparameters")
    shown_columns = [*fixed, *hp_names, *metric_names]
    if sort_by is not None and sort_by not in shown_columns:
        raise InputError("sort_by", f"one of the table's columns {shown_columns}", got=sort_by)
    rank_metric = sort_by if sort_by in metric_names else (metric_names[0] if metric_names else None)
    if top_k is not None and rank_metric is None:
        raise InputError("top_k", "a metric to rank trials by: pass metrics=[...]", got=top_k)
    trial_ids_all = df["trial_id"].map(str)
    best = best_trial or None
    if best is not None and has_rows and best not in set(trial_ids_all):
        raise InputError("best_trial", "the trial_id of one of the trials", got=best)

    counts = trial_status_counts(df) if has_rows else {}
    rows = df
    if wanted_status is not None and "status" in df.columns:
        rows = rows[rows["status"].map(lambda s: str(s).upper()).isin(wanted_status)]
    if top_k is not None and rank_metric is not None:
        rows = _best_first(rows, rank_metric, mode).head(top_k)
    sort_column = sort_by or rank_metric
    if sort_column is not None:
        if ascending is None:
            ascending = (mode == "min") if sort_column in metric_names else True
        if sort_column in rows.columns:
            rows = _sort(rows, sort_column, ascending)

    ids = rows["trial_id"].map(str).tolist()
    best_row = ids.index(best) if best in ids else None
    n, plain = len(ids), theme.row_fill(best_row)
    # (column, header, cells, fill, align): the table's columns in order.
    spec: list[tuple[str, str, list[str], str | list[str], str]] = [
        ("trial_id", "trial", [f"{theme.BEST_MARK} {t}" if i == best_row else t for i, t in enumerate(ids)], plain, "left")
    ]
    if "status" in rows.columns:
        statuses = [theme.MISSING if theme.is_missing(s) else str(s).upper() for s in rows["status"].tolist()]
        spec.append(("status", "status", statuses, [theme.status_color(s) for s in statuses], "left"))
    if "iterations" in rows.columns:
        spec.append(("iterations", "iter", theme.format_column(rows["iterations"].tolist()), plain, "right"))
    if "node" in rows.columns:
        nodes = ["" if theme.is_missing(v) else str(v) for v in rows["node"].tolist()]
        spec.append(("node", "node", nodes, plain, "left"))
    for name in [*hp_names, *metric_names]:
        values = rows[name].tolist() if name in rows.columns else [None] * n
        text_column = name in hp_names and n > 0 and _numeric(rows[name]) is None
        spec.append((name, name, theme.format_column(values), plain, "left" if text_column else "right"))
    if "error" in rows.columns:
        errors = ["" if theme.is_missing(v) else theme.format_number(v) for v in rows["error"].tolist()]
        spec.append(("error", "error", errors, plain, "left"))

    arrow = " ▲" if ascending else " ▼"
    total = len(df.index) if has_rows else 0
    header = [label + (arrow if name == sort_column else "") for name, label, *_ in spec]
    return TrialsTableData(
        header=header,
        header_fill=[theme.METRIC_HEADER_COLOR if c[0] in metric_names else theme.HEADER_COLOR for c in spec],
        columns=[c[2] for c in spec],
        fill=[c[3] for c in spec],
        font_color=["#ffffff" if c[0] == "status" else theme.TEXT_COLOR for c in spec],
        align=[c[4] for c in spec],
        column_width=theme.column_widths(header, [c[2] for c in spec]),
        trial_ids=ids,
        best_row=best_row,
        shown=n,
        total=total,
        title=_title(total, n, counts, rank_metric, top_k, best),
        height=theme.table_height(n),
    )


def trials_table(
    df: pd.DataFrame,
    hyperparameters: Iterable[str] | None = None,
    metrics: Iterable[str] | None = None,
    best_trial: str | None = None,
    sort_by: str | None = None,
    ascending: bool | None = None,
    mode: str = "max",
    status: str | Iterable[str] | None = None,
    top_k: int | None = None,
) -> go.Figure:
    """The trials as a table: status cells coloured, the best trial's row highlighted.

    Columns: trial, status, iterations (when reported), the ``hyperparameters``, the
    ``metrics`` (a metric no trial has reported yet shows as dashes), error (when any).
    Without ``hyperparameters`` every other column is shown. Rows are sorted by ``sort_by``
    (default: the first metric, best first for ``mode``); ``status`` keeps only trials in
    those statuses; ``top_k`` keeps the best k trials by the sorted metric (or the first
    metric). Trials without a result sort last. At most ~420 px high; more rows scroll.

    Example:
        >>> df = pd.DataFrame({"trial_id": ["a", "b", "c"], "status": ["TERMINATED", "ERROR", "TERMINATED"],
        ...                    "lr0": [0.01, 0.1, 0.001], "mAP50": [0.61, None, 0.65]})
        >>> fig = trials_table(df, hyperparameters=["lr0"], metrics=["mAP50"], best_trial="c", top_k=2)
        >>> list(fig.data[0].cells.values[0]), fig.layout.title.text
        (['★ c', 'a'], 'Top 2 of 3 trials by mAP50 · 2 terminated · 1 error · best c')
    """
    data = trials_table_data(
        df, hyperparameters, metrics, best_trial, sort_by=sort_by, ascending=ascending, mode=mode, status=status, top_k=top_k
    )
    if data.shown == 0:
        message = "no data yet" if data.total == 0 else f"no trials with status {', '.join(_status_filter(status) or [])}"
        return theme.empty_figure(message, title=data.title if data.total else "Trials")
    return theme.table_figure(
        data.header,
        data.columns,
        header_fill=data.header_fill,
        fill=data.fill,
        align=data.align,
        column_width=data.column_width,
        font_color=data.font_color,
        title=data.title,
    )
