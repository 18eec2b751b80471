"""Live metric charts: Plotly FigureWidgets updated in place as new points arrive.

Three charts split the logged keys the way people read them: losses; mAP, precision and
recall; everything else (learning rates, ...); a fourth shows the per-class AP curves
(category ``val_per_class``) once a run logs them. A trace is added only for a new series;
an existing one gets its new x/y in one ``batch_update``; the figure is never rebuilt.

Example:
    >>> chart_of("box_loss"), chart_of("mAP50-95"), chart_of("lr/pg0")
    ('losses', 'quality', 'other')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import ipywidgets as w
import plotly.graph_objects as go

from synapse_nb.widgets import figures
from synapse_nb.widgets.dashboard._store import MetricStore
from synapse_nb.widgets.figures.series import is_loss, is_quality
from synapse_nb.widgets.figures.theme import HEIGHT

CHARTS = {"losses": "Losses", "quality": "mAP, precision, recall", "other": "Other metrics",
          "per_class": "Per-class AP (val)"}
# The category of per-class metrics (the YOLO autolog's val_per_class/AP50/<class>).
PER_CLASS = "val_per_class"
# Benchmark numbers are single values of the finished model: the report shows them.
NOT_CURVES = frozenset({"benchmark"})
# Past this many points markers clutter a line (the figure builders use the same rule).
_MARKERS_UP_TO = 30


def chart_of(key: str) -> str:
    """Which chart a metric key is drawn in: 'losses', 'quality' or 'other'."""
    if is_loss(key):
        return "losses"
    if is_quality(key):
        return "quality"
    return "other"


def redrawn(figure: go.FigureWidget) -> go.FigureWidget:
    """A new figure widget with ``figure``'s traces and layout, to be shown in its place.

    A FigureWidget reaches the page as a stream of edits, and an edit that arrives while the
    browser is still creating the figure's view (seconds, on a machine that is training) is
    lost to that view, which then lacks a trace for good; a new widget is drawn whole. A
    width a view reported back is not carried over (the new view sizes itself).

    Example:
        >>> old = go.FigureWidget(go.Figure(go.Scatter(y=[1, 2]), layout={"width": 900}))
        >>> new = redrawn(old)
        >>> new is old, list(new.data[0].y), new.layout.width
        (False, [1, 2], None)
    """
    fresh = go.FigureWidget(figure)
    fresh.layout.width = None
    return fresh


class LiveChart:
    """One FigureWidget showing the store's series that :attr:`accepts`."""

    def __init__(self, name: str, accepts: Callable[[str], bool]) -> None:
        self.name = name
        self.title = CHARTS[name]
        self.accepts = accepts
        self.figure = go.FigureWidget(figures.empty_figure("no data yet", title=self.title, height=HEIGHT))
        self.figure.layout.autosize = True
        self._index: dict[str, int] = {}

    @property
    def series(self) -> list[str]:
        """The series drawn, in trace order."""
        return list(self._index)

    def redraw(self) -> None:
        """Replace the figure widget by one built from its current state (see
        ``TrialsPanel.redraw``: a view that lost an edit is not what stays on screen)."""
        self.figure = redrawn(self.figure)

    def reset(self) -> None:
        """Remove every trace (e.g. another trial was selected); the widget stays the same."""
        self.figure.data = ()
        self._index = {}
        self.figure.update_layout(annotations=[{"text": "no data yet", "x": 0.5, "y": 0.5, "xref": "paper",
                                                "yref": "paper", "showarrow": False, "font": {"size": 14}}])

    def sync(self, store: MetricStore, changed: Iterable[str]) -> bool:
        """Bring the figure up to date with ``store``; True when it changed.

        New series are added as traces styled by the figure builder; series in ``changed``
        get their full x/y (plotly sends arrays whole).
        """
        mine = [n for n in store.names() if self.accepts(n)]
        new = [n for n in mine if n not in self._index]
        updated = [n for n in changed if n in self._index]
        if not new and not updated:
            return False
        if new:
            self._add(store, mine, new)
        with self.figure.batch_update():
            for name in updated:
                trace = self.figure.data[self._index[name]]
                xs, ys = store.xy(name)
                trace.x = xs
                trace.y = ys
                trace.mode = "lines+markers" if len(xs) <= _MARKERS_UP_TO else "lines"
        return True

    def _add(self, store: MetricStore, mine: list[str], new: list[str]) -> None:
        built = figures.metric_curves(store.frame(mine), title=self.title)
        styled = {trace.meta["series"]: trace for trace in built.data if trace.meta}
        traces = [styled[name] for name in new if name in styled]
        if not traces:
            return
        first = not self._index
        self.figure.add_traces(traces)
        for offset, trace in enumerate(traces):
            self._index[trace.meta["series"]] = len(self.figure.data) - len(traces) + offset
        with self.figure.batch_update():
            # Colours follow the keys present, so a new key can shift them: restyle all.
            for name, index in self._index.items():
                if name in styled:
                    self.figure.data[index].line = styled[name].line
            if first:
                self.figure.layout.annotations = ()
                self.figure.update_xaxes(visible=True, title_text=built.layout.xaxis.title.text)
                self.figure.update_yaxes(visible=True, title_text=built.layout.yaxis.title.text)
                if self.name == "quality":
                    # Scores are never negative: all-zero early epochs would get a -1..1 axis.
                    self.figure.update_yaxes(rangemode="nonnegative")


class MetricCharts:
    """The three charts of one run (or of one trial in tuning), in a two-column grid."""

    def __init__(self, trial_id: str | None = None) -> None:
        self.trial_id = trial_id
        self.charts = {name: LiveChart(name, self._accepts(name)) for name in CHARTS}
        self._store: MetricStore | None = None
        self.widget = w.GridBox([], layout=w.Layout(grid_template_columns="repeat(2, minmax(0, 1fr))", width="100%"))
        self._hide_other()

    def _accepts(self, chart: str) -> Callable[[str], bool]:
        def accepts(name: str) -> bool:
            store = self._store
            if store is None:
                return False
            category, key, trial = store.info(name)
            if category in NOT_CURVES or trial != self.trial_id:
                return False
            if category == PER_CLASS:
                return chart == "per_class"
            return chart != "per_class" and chart_of(key) == chart

        return accepts

    def _hide_other(self) -> None:
        # The third chart appears only once a run logs something that is neither a loss nor a
        # score, the fourth once it logs per-class AP.
        self.widget.children = [self.charts[name].figure for name in self._shown_charts()]

    def _shown_charts(self) -> list[str]:
        shown = ["losses", "quality"]
        if self.charts["other"].series:
            shown.append("other")
        if self.charts["per_class"].series:
            shown.append("per_class")
        return shown

    def sync(self, store: MetricStore, changed: Iterable[str]) -> bool:
        """Update every chart from ``store``; True when any changed."""
        self._store = store
        changed = list(changed)
        touched = [chart.sync(store, changed) for chart in self.charts.values()]
        shown = [self.charts[name].figure for name in self._shown_charts()]
        if list(self.widget.children) != shown:
            self.widget.children = shown
        return any(touched)

    def redraw(self) -> None:
        """New figure widgets from the charts' current state, in the same places (called
        once the task has ended, so its final picture does not depend on the edit stream).

        Example:
            >>> charts = MetricCharts()
            >>> before = charts.figure("losses")
            >>> charts.redraw()
            >>> charts.figure("losses") is not before, charts.figure("losses") in charts.widget.children
            (True, True)
        """
        for chart in self.charts.values():
            chart.redraw()
        self.widget.children = [self.charts[name].figure for name in self._shown_charts()]

    def show_trial(self, store: MetricStore, trial_id: str | None) -> None:
        """Show another trial's curves in the same figures."""
        if trial_id == self.trial_id:
            return
        self.trial_id = trial_id
        for chart in self.charts.values():
            chart.reset()
        self.sync(store, [])

    def figure(self, name: str) -> go.FigureWidget:
        """One of the figures: 'losses', 'quality' or 'other'."""
        return self.charts[name].figure
