"""The tuning part of the dashboard: the live trials table, parallel coordinates, per-trial
curves of the tune metric, and the trial picker.

Built for hundreds of trials: the table shows the best ``top_k`` by the tune metric by
default ("all" on demand), parallel coordinates the best 50, and the per-trial curves only
the trials the table shows (plus the picked one). Every figure is a FigureWidget updated in
place.

Example:
    >>> trials_frame(None).columns.tolist()
    ['trial_id', 'status']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go

from synapse_nb.schemas import TrialTable
from synapse_nb.widgets import figures
from synapse_nb.widgets._common import unwrapped
from synapse_nb.widgets.dashboard._charts import redrawn
from synapse_nb.widgets.dashboard._store import MetricStore
from synapse_nb.widgets.figures import theme
from synapse_nb.widgets.figures.series import series_name

DEFAULT_TOP_K = 20
PARCOORDS_TOP_K = 50
_CATEGORY_PREFERENCE = ("val", "metrics", "train")


def trials_frame(table: TrialTable | None) -> pd.DataFrame:
    """One row per trial (as ``task.trials()`` gives it); ``attrs`` carry the column roles.

    Example:
        >>> df = trials_frame(TrialTable(trials={"a": {"status": "RUNNING", "lr0": 0.1}}, hyperparameters=["lr0"]))
        >>> df.to_dict("records"), df.attrs["hyperparameters"]
        ([{'trial_id': 'a', 'status': 'RUNNING', 'lr0': 0.1}], ['lr0'])
    """
    if table is None:
        frame = pd.DataFrame(columns=["trial_id", "status"])
        frame.attrs.update(hyperparameters=[], metrics=[], best_trial="", best_rule="")
        return frame
    rows = [{"trial_id": trial_id, **values} for trial_id, values in table.trials.items()]
    columns = ["trial_id", *table.base, *table.hyperparameters, *table.metrics]
    extra = sorted({k for row in rows for k in row} - set(columns))
    frame = pd.DataFrame(rows, columns=list(dict.fromkeys(columns + extra)))
    frame.attrs.update(hyperparameters=list(table.hyperparameters), metrics=list(table.metrics),
                       best_trial=table.best_trial, best_rule=table.best_rule)
    return frame


def clear_placeholder(figure: go.BaseFigure, keep: bool = False) -> None:
    """Take the "no data yet" message off a figure that now has data.

    The message is hidden before it is removed: removing annotations alone
    (``annotations=[]``) has left the old message drawn over a table that had rows in a
    live front end, so each is first made invisible, which every front end applies.

    Example:
        >>> fig = go.Figure(theme.empty_figure("no trials yet"))
        >>> clear_placeholder(fig)
        >>> fig.layout.annotations
        ()
    """
    if keep:
        return
    for annotation in figure.layout.annotations:
        annotation.visible = False
    figure.layout.annotations = ()


def metric_series_key(store: MetricStore, metric: str) -> tuple[str, str] | None:
    """``(category, key)`` of the tune metric among the logged series (None before it is logged).

    ``"val/box_loss"`` names its category; a plain name (``"mAP50"``) is looked up, 'val' first.
    """
    category, sep, key = metric.partition("/")
    if sep and category in ("train", "val"):
        return category, key
    infos = (store.info(n) for n in store.names())
    found = {cat for cat, key, trial in infos if key == metric and trial}
    for preferred in _CATEGORY_PREFERENCE:
        if preferred in found:
            return preferred, metric
    return (min(found), metric) if found else None


class TrialsPanel:
    """Controls and figures of a tuning run; ``on_pick(trial_id)`` is called when another trial is picked."""

    def __init__(self, metric: str, mode: str, on_pick: Callable[[str | None], None],
                 objectives: list[tuple[str, str]] | None = None) -> None:
        self.metric = metric
        self.mode = mode
        # (metric, mode) of every objective: two or more draw the Pareto front.
        self.objectives = list(objectives or [(metric, mode)])
        self._on_pick = on_pick
        self._frame = trials_frame(None)
        self._shown: list[str] = []
        self._user_pick: str | None = None
        self._notified: str | None = None
        self._updating = False
        self._curves: dict[str, int] = {}
        self._curve_best: str | None = None
        self.sort_by = w.Dropdown(options=[(f"{metric} (tune metric)", None)], value=None, description="Sort by",
                                  layout=w.Layout(width="260px"))
        self.order = w.Dropdown(options=[("best first", None), ("ascending ▲", True), ("descending ▼", False)],
                                value=None, description="Order", layout=w.Layout(width="220px"))
        self.status = w.Dropdown(options=[("all statuses", None), *[(s.lower(), s) for s in theme.STATUSES]], value=None,
                                 description="Status", layout=w.Layout(width="220px"))
        self.show = w.ToggleButtons(options=[(f"top {DEFAULT_TOP_K}", DEFAULT_TOP_K), ("all", None)],
                                    value=DEFAULT_TOP_K, tooltips=[f"the best {DEFAULT_TOP_K} by {metric}", "every trial"])
        self.trial = w.Dropdown(options=[], value=None, description="Trial", layout=w.Layout(width="480px"))
        self.table = go.FigureWidget(theme.empty_figure("no trials yet", title="Trials"))
        self.parcoords = go.FigureWidget(theme.empty_figure(f"no trial has reported {metric} yet", title="Hyperparameters"))
        self.curves = go.FigureWidget(theme.empty_figure(f"no values yet for {metric}", title=f"{metric} per trial",
                                                         height=theme.HEIGHT))
        self.pareto: go.FigureWidget | None = None
        if len(self.objectives) > 1:
            names = [m for m, _ in self.objectives]
            self.pareto = go.FigureWidget(figures.pareto_front(self._frame, names, [o for _, o in self.objectives]))
        for control in (self.sort_by, self.order, self.status, self.show):
            control.observe(lambda _c: self.render_table(), names="value")
        self.trial.observe(self._trial_changed, names="value")
        self._controls = w.HBox([self.sort_by, self.order, self.status, self.show], layout=w.Layout(flex_flow="row wrap"))
        self.widget = w.VBox()
        self._lay_out()

    def _lay_out(self) -> None:
        self.widget.children = [
            self._controls, self.table,
            w.GridBox([self.parcoords, self.curves, *([self.pareto] if self.pareto is not None else [])],
                      layout=w.Layout(grid_template_columns="repeat(2, minmax(0, 1fr))", width="100%")),
            self.trial,
        ]

    def redraw(self) -> None:
        """Show new figure widgets built from the figures' current state (same traces, same order).

        See ``redrawn``: seen as an empty trials table under a finished search on a loaded
        machine. The dashboard calls this once a search has ended, so its final picture is
        drawn from complete state, not from the stream of edits.

        Example:
            >>> panel = TrialsPanel("mAP50", "max", on_pick=lambda trial_id: None)
            >>> before = panel.table
            >>> panel.redraw()
            >>> panel.table is not before, panel.table in panel.widget.children
            (True, True)
        """
        self.table = redrawn(self.table)
        self.parcoords = redrawn(self.parcoords)
        self.curves = redrawn(self.curves)
        if self.pareto is not None:
            self.pareto = redrawn(self.pareto)
        self._lay_out()

    # -- data ------------------------------------------------------------------------------

    @property
    def frame(self) -> pd.DataFrame:
        """The latest trials DataFrame."""
        return self._frame

    @property
    def best_trial(self) -> str | None:
        """The best trial once the search has named it."""
        return self._frame.attrs.get("best_trial") or None

    def set_table(self, table: TrialTable | None) -> None:
        """A new trials snapshot arrived: re-render the table and parallel coordinates."""
        self._frame = trials_frame(table)
        columns = [c for c in self._frame.columns if c != "error"]
        options = [(f"{self.metric} (tune metric)", None), *[(c, c) for c in columns]]
        if list(self.sort_by.options) != options:
            current = self.sort_by.value
            self.sort_by.options = options
            self.sort_by.value = current if current in columns else None
        self.render_table()
        self._render_parcoords()
        self._render_pareto()

    def _render_pareto(self) -> None:
        if self.pareto is None:
            return
        built = figures.pareto_front(self._frame, [m for m, _ in self.objectives], [o for _, o in self.objectives],
                                     best_trial=self.best_trial)
        with self.pareto.batch_update():
            # Rebuilt whole: a front has few points, and its traces change with every trial.
            self.pareto.data = ()
            self.pareto.add_traces(built.data)
            self.pareto.layout = built.layout
        clear_placeholder(self.pareto, keep=bool(built.layout.annotations))

    def _metrics(self) -> list[str]:
        metrics = list(self._frame.attrs.get("metrics") or [])
        # The tune metric ranks the trials: first among the metric columns when it is one.
        return [self.metric, *[m for m in metrics if m != self.metric]] if self.metric in metrics else metrics

    def table_data(self) -> figures.TrialsTableData:
        """The table as the controls ask for it."""
        metrics = self._metrics()
        top_k = self.show.value if metrics else None
        return figures.trials_table_data(
            self._frame, hyperparameters=self._frame.attrs.get("hyperparameters") or [], metrics=metrics,
            best_trial=self.best_trial, sort_by=self.sort_by.value, ascending=self.order.value, mode=self.mode,
            status=self.status.value, top_k=top_k,
        )

    # -- figures -----------------------------------------------------------------------------

    def render_table(self) -> None:
        """Update the table figure in place from the trials and the controls."""
        if len(self._frame.index) == 0:
            return
        data = self.table_data()
        if not self.table.data:
            built = theme.table_figure(data.header, data.columns, header_fill=data.header_fill, fill=data.fill,
                                       align=data.align, column_width=data.column_width, font_color=data.font_color)
            self.table.add_traces(built.data)
            self.table.update_layout(margin=built.layout.margin)
            clear_placeholder(self.table)
        with self.table.batch_update():
            trace = self.table.data[0]
            trace.header.values = unwrapped(data.header)
            trace.header.fill.color = data.header_fill
            trace.header.align = data.align
            trace.cells.values = unwrapped(data.columns) if data.shown else [[] for _ in data.header]
            trace.cells.fill.color = data.fill
            trace.cells.font.color = data.font_color
            trace.cells.align = data.align
            trace.columnwidth = data.column_width
            self.table.layout.title.text = data.title if data.shown else f"{data.title} · none match the filter"
            self.table.layout.height = data.height
        self._shown = data.trial_ids
        self._update_picker()

    def _render_parcoords(self) -> None:
        hyperparameters = self._frame.attrs.get("hyperparameters") or []
        if not hyperparameters or self.metric not in self._frame.columns:
            return
        built = figures.parallel_coordinates(self._frame, hyperparameters, self.metric, mode=self.mode,
                                             top_k=PARCOORDS_TOP_K)
        if not built.data:
            return
        if not self.parcoords.data:
            self.parcoords.add_traces(built.data)
            self.parcoords.update_layout(margin=built.layout.margin, height=built.layout.height)
            clear_placeholder(self.parcoords)
            self.parcoords.update_xaxes(visible=False)
            self.parcoords.update_yaxes(visible=False)
        with self.parcoords.batch_update():
            self.parcoords.data[0].dimensions = built.data[0].dimensions
            self.parcoords.data[0].line = built.data[0].line
            self.parcoords.layout.title.text = built.layout.title.text

    def _update_picker(self) -> None:
        """List the shown trials (and the user's pick) in the picker; keep the pick, else the best."""
        frame = self._frame.set_index("trial_id", drop=False)
        ids = list(self._shown)
        if self._user_pick is not None and self._user_pick not in ids and self._user_pick in frame.index:
            ids.append(self._user_pick)

        def label(trial_id: str) -> str:
            row = frame.loc[trial_id]
            value = row.get(self.metric) if self.metric in frame.columns else None
            score = f" · {self.metric} {theme.format_number(value)}" if not theme.is_missing(value) else ""
            best = f" {theme.BEST_MARK} best" if trial_id == self.best_trial else ""
            return f"{trial_id} · {str(row.get('status', '')).lower()}{score}{best}"

        options = [(label(t), t) for t in ids]
        if self._user_pick in ids:
            target = self._user_pick
        else:
            target = self.best_trial if self.best_trial in ids else (ids[0] if ids else None)
        # Changing options resets the value: those changes are ours, not the user's.
        self._updating = True
        try:
            if list(self.trial.options) != options:
                self.trial.options = options
            self.trial.value = target
        finally:
            self._updating = False
        if target != self._notified:
            self._notified = target
            self._on_pick(target)

    def _trial_changed(self, change: dict[str, Any]) -> None:
        if self._updating or change.get("new") == self._notified:
            return
        self._user_pick = change["new"]
        self._notified = change["new"]
        self._on_pick(change["new"])

    def pick(self, trial_id: str | None) -> None:
        """Pick a trial as the user does with the dropdown (it stays picked as new trials arrive)."""
        self._user_pick = trial_id
        self._update_picker()

    def _style(self, trial_id: str, position: int) -> dict[str, Any]:
        colors = theme.palette()
        if trial_id == self.best_trial:
            return {"name": f"{trial_id} {theme.BEST_MARK} best", "line": {"width": 4.0, "color": colors[0]},
                    "opacity": 1.0}
        return {"name": trial_id, "line": {"width": 1.5, "color": colors[1 + position % (len(colors) - 1)]},
                "opacity": 0.55}

    def update_curves(self, store: MetricStore, changed: Iterable[str]) -> None:
        """Per-trial curves of the tune metric for the trials the table shows (and the picked one)."""
        found = metric_series_key(store, self.metric)
        if found is None:
            return
        category, key = found
        wanted = [*self._shown, *([self.trial.value] if self.trial.value not in self._shown and self.trial.value else [])]
        names = {t: series_name(category, key, t) for t in wanted}
        known = set(store.names())
        new = [t for t in wanted if t not in self._curves and names[t] in known]
        if new:
            first = not self._curves
            traces = []
            for trial_id in new:
                xs, ys = store.xy(names[trial_id])
                traces.append({"type": "scatter", "x": xs, "y": ys, "mode": "lines",
                               "meta": {"series": names[trial_id], "trial_id": trial_id},
                               **self._style(trial_id, len(self._curves) + len(traces))})
            self.curves.add_traces(traces)
            for offset, trial_id in enumerate(new):
                self._curves[trial_id] = len(self.curves.data) - len(new) + offset
            if first:
                clear_placeholder(self.curves)
                self.curves.update_layout(title_text=f"{category}/{key} per trial", hovermode="closest")
                self.curves.update_xaxes(visible=True, title_text=store.axis(names[new[0]]))
                self.curves.update_yaxes(visible=True, title_text=key)
        changed = set(changed)
        restyle = self.best_trial != self._curve_best
        self._curve_best = self.best_trial
        wanted_set = set(wanted)
        with self.curves.batch_update():
            for position, (trial_id, index) in enumerate(self._curves.items()):
                trace = self.curves.data[index]
                name = series_name(category, key, trial_id)
                if name in changed and trial_id not in new:
                    trace.x, trace.y = store.xy(name)
                if restyle:
                    style = self._style(trial_id, position)
                    trace.name, trace.line, trace.opacity = style["name"], style["line"], style["opacity"]
                visible = trial_id in wanted_set
                if (trace.visible is not False) != visible:  # None means shown
                    trace.visible = visible
