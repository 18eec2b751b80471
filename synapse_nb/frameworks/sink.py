"""Where a framework's training reports metrics and progress: the :class:`MetricSink` protocol.

The train action's logger implements it; tests use a list-backed one. Frameworks only
call these two methods, so they never depend on the backend or the UI.

Example:
    >>> class PrintSink:
    ...     def log_metric(self, category, key, value, *, epoch=None, step=None):
    ...         print(category, key, value, epoch)
    ...     def set_progress(self, current, total, category):
    ...         print(f"{category}: {current}/{total}")
    >>> isinstance(PrintSink(), MetricSink)
    True
"""

from __future__ import annotations

__all__ = ["MetricSink"]

from typing import Protocol, runtime_checkable


@runtime_checkable
class MetricSink(Protocol):
    """Receives per-epoch metrics and progress from a training run."""

    def log_metric(
        self, category: str, key: str, value: float, *, epoch: int | None = None, step: int | None = None
    ) -> None:
        """Record one value, e.g. ``("val", "mAP50", 0.61, epoch=4)``."""

    def set_progress(self, current: float, total: float, category: str) -> None:
        """Report progress of ``category`` (e.g. ``"train"``) as ``current`` out of ``total``."""
