"""Plotly figures of a benchmark report; they live in :mod:`synapse_nb.benchmark.figures`
(the agent's benchmark page uses them too) and are re-exported here for the notebook UI.

Example:
    >>> from synapse_nb.widgets.figures.benchmark import metrics_summary
    >>> metrics_summary(report).show()  # doctest: +SKIP
"""

from __future__ import annotations

from synapse_nb.benchmark.figures import metrics_summary, per_class_ap, pr_curve, speed_table

__all__ = ["metrics_summary", "per_class_ap", "pr_curve", "speed_table"]
