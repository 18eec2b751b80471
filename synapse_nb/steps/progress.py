"""Progress of a pipeline: per category and overall, normalised over the steps present.

The Synapse SDK weighted steps without normalising, so a pipeline missing a step stopped at
80 %. Here the weights of the steps actually registered always add up to 100 %, several
steps may share a category (export and convert both drive ``dataset``), and a finished
pipeline always reports 100 %.

Example:
    >>> seen = []
    >>> p = PipelineProgress([("export", "dataset", 20), ("train", "train", 75)],
    ...                      lambda cat, cur, tot, overall: seen.append((cat, round(overall, 3))))
    >>> p.start("export"); p.update(1, 2); p.finish("export"); p.start("train"); p.finish("train")
    >>> seen[-1]
    ('train', 1.0)
"""

from __future__ import annotations

__all__ = ["PipelineProgress", "ProgressCallback"]

import threading
from collections.abc import Callable, Sequence

# (category, current, total, overall in [0, 1])
ProgressCallback = Callable[[str, float, float, float], None]


class PipelineProgress:
    """Turns "step X is at fraction f" into category progress and overall progress."""

    def __init__(self, steps: Sequence[tuple[str, str, float]], report: ProgressCallback) -> None:
        total = sum(max(0.0, w) for _, _, w in steps)
        count = len(steps) or 1
        # All-zero weights: every step counts the same, so progress still moves.
        self._weight = {name: (max(0.0, w) / total if total > 0 else 1.0 / count) for name, _, w in steps}
        self._category = {name: cat for name, cat, _ in steps}
        self._fraction = {name: 0.0 for name, _, _ in steps}
        self._report = report
        self._current: str | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> str | None:
        """The step now running."""
        return self._current

    @property
    def current_category(self) -> str | None:
        """The category of the step now running."""
        return self._category.get(self._current) if self._current else None

    def overall(self) -> float:
        """Overall progress in [0, 1]; exactly 1.0 once every step is done (float sums of the
        normalised weights may land just below it)."""
        if all(f >= 1.0 for f in self._fraction.values()):
            return 1.0
        return min(1.0, sum(self._weight[n] * f for n, f in self._fraction.items()))

    def category_fraction(self, category: str) -> float:
        """Progress of one category in [0, 1] (weighted over its steps)."""
        names = [n for n, c in self._category.items() if c == category]
        weight = sum(self._weight[n] for n in names)
        if not names:
            return 0.0
        if weight == 0:
            return sum(self._fraction[n] for n in names) / len(names)
        return sum(self._weight[n] * self._fraction[n] for n in names) / weight

    def start(self, step: str) -> None:
        """Mark ``step`` as running."""
        with self._lock:
            self._current = step
        self._emit(step)

    def update(self, current: float, total: float, step: str | None = None) -> None:
        """Set the running step (or ``step``) to ``current / total``."""
        name = step or self._current
        if name is None or name not in self._fraction or total <= 0:
            return
        with self._lock:
            self._fraction[name] = max(0.0, min(1.0, current / total))
        self._emit(name)

    def finish(self, step: str) -> None:
        """Mark ``step`` done (also used for skipped steps)."""
        with self._lock:
            self._fraction[step] = 1.0
        self._emit(step)

    def _emit(self, step: str) -> None:
        category = self._category[step]
        self._report(category, round(self.category_fraction(category) * 100, 2), 100.0, self.overall())
