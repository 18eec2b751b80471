"""MetricStore: the metric points a dashboard has seen, kept as x/y arrays per series.

The dashboard asks the backend only for points after the last ``seq`` it has (the client's
``after=`` cursor) and merges them here; :meth:`MetricStore.add` says which series changed,
so only those traces are updated. A series is one (category, key, trial) and is named as
the figure builders name it (:func:`~synapse_nb.widgets.figures.series.series_name`). The
merged arrays equal what :func:`~synapse_nb.widgets.figures.metric_series` gives for all
the points at once (x = epoch, else step, else logging order; the latest value at an x wins).

Example:
    >>> from synapse_nb.schemas import MetricPoint
    >>> store = MetricStore()
    >>> store.add([MetricPoint(seq=1, category="val", key="mAP50", value=0.1, epoch=0)])
    {'val/mAP50'}
    >>> store.add([MetricPoint(seq=2, category="val", key="mAP50", value=0.3, epoch=1)]), store.cursor
    ({'val/mAP50'}, 2)
    >>> store.xy("val/mAP50")
    ([0, 1], [0.1, 0.3])
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from synapse_nb.schemas import MetricPoint
from synapse_nb.widgets.figures.series import series_name


@dataclass
class _Series:
    category: str
    key: str
    trial_id: str | None
    axis: str
    xs: list[Any] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)


def _axis(point: MetricPoint) -> str:
    if point.epoch is not None:
        return "epoch"
    if point.step is not None:
        return "step"
    return "index"


class MetricStore:
    """Per-series x/y arrays built incrementally from metric points."""

    def __init__(self) -> None:
        self.cursor = 0
        self._series: dict[str, _Series] = {}

    def add(self, points: Iterable[MetricPoint]) -> set[str]:
        """Merge new points (in the order the backend stored them, so ``seq`` increases); points
        at or below :attr:`cursor` were merged before and are skipped. Returns the changed series."""
        changed: set[str] = set()
        for point in points:
            if point.seq is not None:
                if point.seq <= self.cursor:
                    continue  # already merged (two polls may bring the same point)
                self.cursor = point.seq
            name = series_name(point.category, point.key, point.trial_id)
            series = self._series.get(name)
            if series is None:
                series = _Series(point.category, point.key, point.trial_id, _axis(point))
                self._series[name] = series
            x = len(series.xs) if series.axis == "index" else getattr(point, series.axis)
            if x is None:
                continue  # a series plotted per epoch leaves out points without one, as the figures do
            index = bisect.bisect_left(series.xs, x)
            if index < len(series.xs) and series.xs[index] == x:
                series.ys[index] = float(point.value)  # logged again at the same x: the latest wins
            else:
                series.xs.insert(index, x)
                series.ys.insert(index, float(point.value))
            changed.add(name)
        return changed

    def names(self) -> list[str]:
        """Every series name, in the order first seen."""
        return list(self._series)

    def info(self, name: str) -> tuple[str, str, str | None]:
        """``(category, key, trial_id)`` of a series."""
        series = self._series[name]
        return series.category, series.key, series.trial_id

    def axis(self, name: str) -> str:
        """What a series is plotted against: 'epoch', 'step' or 'index'."""
        return self._series[name].axis

    def xy(self, name: str) -> tuple[list[Any], list[float]]:
        """Copies of a series' x and y arrays."""
        series = self._series[name]
        return list(series.xs), list(series.ys)

    def last(self, name: str) -> float | None:
        """The value at the series' largest x (None for an empty series)."""
        ys = self._series[name].ys
        return ys[-1] if ys else None

    def trial_ids(self) -> list[str]:
        """Trials that logged metrics, in the order first seen."""
        return list(dict.fromkeys(s.trial_id for s in self._series.values() if s.trial_id))

    def __len__(self) -> int:
        return sum(len(s.xs) for s in self._series.values())

    def frame(self, names: Iterable[str]) -> pd.DataFrame:
        """The points of some series as a metrics DataFrame, for the figure builders.

        Example:
            >>> MetricStore().frame([]).columns.tolist()
            ['category', 'key', 'value', 'epoch', 'step', 'trial_id']
        """
        rows: dict[str, list[Any]] = {c: [] for c in ("category", "key", "value", "epoch", "step", "trial_id")}
        for name in names:
            series = self._series[name]
            count = len(series.xs)
            rows["category"] += [series.category] * count
            rows["key"] += [series.key] * count
            rows["value"] += series.ys
            rows["epoch"] += series.xs if series.axis == "epoch" else [None] * count
            rows["step"] += series.xs if series.axis == "step" else [None] * count
            rows["trial_id"] += [series.trial_id] * count
        frame = pd.DataFrame(rows)
        for column in ("epoch", "step"):
            frame[column] = frame[column].astype("Int64")
        return frame
