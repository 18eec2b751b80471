"""The notebook face: the training wizard, live dashboards and Plotly figure builders.

ipywidgets is imported only when a widget is used, so ``synapse_nb.widgets.figures`` works
in any Python process (e.g. to save HTML reports).

Example:
    >>> from synapse_nb.widgets import figures
    >>> callable(figures.trials_table)
    True
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "figures": ("synapse_nb.widgets.figures", None),
    "TrainWizard": ("synapse_nb.widgets.wizard", "TrainWizard"),
    "TaskDashboard": ("synapse_nb.widgets.dashboard", "TaskDashboard"),
    "ExperimentsBrowser": ("synapse_nb.widgets.experiments", "ExperimentsBrowser"),
    "compare": ("synapse_nb.widgets.benchmark_compare", "compare"),
    "BenchmarkView": ("synapse_nb.widgets.benchmark_view", "BenchmarkView"),
}

__all__ = ["BenchmarkView", "ExperimentsBrowser", "TaskDashboard", "TrainWizard", "compare", "figures"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'synapse_nb.widgets' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value
