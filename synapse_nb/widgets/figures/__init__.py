"""Plotly figure builders: plain functions of DataFrames (or reports) returning ``go.Figure``.

They need no widgets and no kernel, so the same figure shows in a notebook, updates a live
``FigureWidget`` in the dashboard, or is saved as a self-contained page with
``fig.write_html(path, include_plotlyjs=True)``. Empty input gives an empty figure that
says "no data yet", never an exception.

The benchmark figures (``per_class_ap``, ``pr_curve``, ``speed_table``, ``metrics_summary``)
load on first use, with the benchmark report types they read.

Example:
    >>> import pandas as pd
    >>> from synapse_nb.widgets import figures
    >>> df = pd.DataFrame({"trial_id": ["a", "b"], "status": ["TERMINATED", "ERROR"], "lr0": [0.01, 0.1],
    ...                    "mAP50": [0.5, None]})
    >>> fig = figures.trials_table(df, hyperparameters=["lr0"], metrics=["mAP50"], best_trial="a")
    >>> fig.data[0].type
    'table'
"""

from __future__ import annotations

import importlib
from typing import Any

from synapse_nb.widgets.figures.experiments import experiments_frame, experiments_table, metric_overlay
from synapse_nb.widgets.figures.metrics import metric_curves, training_overview
from synapse_nb.widgets.figures.series import latest_values, metric_series
from synapse_nb.widgets.figures.split import split_class_chart
from synapse_nb.widgets.figures.theme import STATUS_COLORS, apply_theme, css, empty_figure, palette
from synapse_nb.widgets.figures.trial_charts import parallel_coordinates, pareto_front, trial_curves
from synapse_nb.widgets.figures.trials import (
    TrialsTableData,
    trial_status_counts,
    trials_table,
    trials_table_data,
)

# Loaded on first access: they import the benchmark report models.
_LAZY = {name: "synapse_nb.widgets.figures.benchmark" for name in ("metrics_summary", "per_class_ap", "pr_curve", "speed_table")}

__all__ = [
    "STATUS_COLORS",
    "TrialsTableData",
    "apply_theme",
    "css",
    "empty_figure",
    "experiments_frame",
    "experiments_table",
    "latest_values",
    "metric_curves",
    "metric_overlay",
    "metric_series",
    "metrics_summary",
    "palette",
    "parallel_coordinates",
    "pareto_front",
    "per_class_ap",
    "pr_curve",
    "speed_table",
    "split_class_chart",
    "training_overview",
    "trial_curves",
    "trial_status_counts",
    "trials_table",
    "trials_table_data",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'synapse_nb.widgets.figures' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
