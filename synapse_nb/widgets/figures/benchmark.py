"""Plotly figures of a benchmark report, for the notebook UI. They live in
:mod:`synapse_nb.benchmark.figures` (the agent draws the benchmark's HTML page with them,
and the headless core imports no widget module); this module re-exports them.

Example:
    >>> from synapse_nb.widgets.figures.benchmark import metrics_summary
    >>> metrics_summary(report).show()  # doctest: +SKIP
"""

from __future__ import annotations

from synapse_nb.benchmark.figures import (
    export_checks,
    metrics_summary,
    per_class_ap,
    pr_curve,
    report_figures,
    speed_table,
)

__all__ = ["export_checks", "metrics_summary", "per_class_ap", "pr_curve", "report_figures", "speed_table"]
