"""The live task dashboard: progress, metric charts, trials, logs and the final report.

Example:
    >>> from synapse_nb.widgets.dashboard import TaskDashboard   # doctest: +SKIP
    >>> TaskDashboard(task)                                      # doctest: +SKIP
"""

from __future__ import annotations

from synapse_nb.widgets.dashboard._poller import DEFAULT_INTERVAL, Poller
from synapse_nb.widgets.dashboard._store import MetricStore
from synapse_nb.widgets.dashboard.dashboard import Snapshot, TaskDashboard

__all__ = ["DEFAULT_INTERVAL", "MetricStore", "Poller", "Snapshot", "TaskDashboard"]
