"""ExperimentsBrowser: compare finished experiments side by side — a table of their settings
and scores, and one chosen metric overlaid across them.

An experiment is what a finished training task leaves in its result; the browser lists the
backend's finished tasks that have one (newest first) and reads each one's metrics only
when it is compared.

Example:
    >>> from synapse_nb.widgets import ExperimentsBrowser   # doctest: +SKIP
    >>> ExperimentsBrowser(api)                             # doctest: +SKIP
"""

from __future__ import annotations

__all__ = ["DEFAULT_COMPARED", "ExperimentEntry", "ExperimentsBrowser", "experiment_entries", "overlay_keys"]

from typing import Any

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go
from pydantic import BaseModel, ConfigDict

from synapse_nb.schemas.experiment import ExperimentInfo
from synapse_nb.widgets import figures
from synapse_nb.widgets._common import message_html, plural, style_html, unwrapped_tables
from synapse_nb.widgets.figures.series import is_loss, is_quality

DEFAULT_COMPARED = 8
_PREFERRED_KEYS = ("mAP50-95", "mAP50", "map")


class ExperimentEntry(BaseModel):
    """One finished experiment: the task it came from, a unique label, its record."""

    model_config = ConfigDict(frozen=True)

    task_id: int
    label: str
    info: ExperimentInfo


def experiment_entries(records: list[Any]) -> list[ExperimentEntry]:
    """The experiments of finished task records, newest first, with unique labels.

    Example:
        >>> from types import SimpleNamespace
        >>> exp = {"experiment_name": "shapes", "framework_name": "YOLO", "model_name": "m"}
        >>> [e.label for e in experiment_entries([SimpleNamespace(id=2, result={"experiment": exp}),
        ...                                       SimpleNamespace(id=1, result={"experiment": exp})])]
        ['shapes (task 2)', 'shapes (task 1)']
    """
    found = []
    for record in records:
        data = (record.result or {}).get("experiment")
        if data:
            found.append((record.id, ExperimentInfo.model_validate(data)))
    names = [info.experiment_name for _id, info in found]
    return [ExperimentEntry(task_id=task_id, info=info,
                            label=info.experiment_name if names.count(info.experiment_name) == 1
                            else f"{info.experiment_name} (task {task_id})")
            for task_id, info in found]


def overlay_keys(frames: list[pd.DataFrame]) -> list[str]:
    """Metric keys worth overlaying, scores first (mAP50-95 leading), then losses.

    Example:
        >>> overlay_keys([pd.DataFrame({"category": ["val", "train"], "key": ["mAP50", "box_loss"], "value": [0.1, 1.0]})])
        ['mAP50', 'box_loss']
    """
    keys: set[str] = set()
    for frame in frames:
        if len(frame.index):
            keys |= set(frame.loc[frame["category"] != "benchmark", "key"].astype(str))
    preferred = [k for k in _PREFERRED_KEYS if k in keys]
    quality = sorted(k for k in keys if is_quality(k) and k not in preferred)
    losses = sorted(k for k in keys if is_loss(k))
    rest = sorted(keys - set(preferred) - set(quality) - set(losses))
    return preferred + quality + losses + rest


def _replace(widget: go.FigureWidget, built: go.Figure) -> None:
    built = unwrapped_tables(built)
    widget.data = ()
    widget.add_traces(built.data)
    widget.layout = built.layout


class ExperimentsBrowser:
    """A table of finished experiments and a metric overlay of the ones picked."""

    def __init__(self, api: Any, limit: int = 200) -> None:
        self.api = api
        self.limit = limit
        self.entries: list[ExperimentEntry] = []
        self._metrics: dict[int, pd.DataFrame] = {}
        self.experiments = w.SelectMultiple(options=[], description="Compare", rows=6, layout=w.Layout(width="520px"))
        self.sort_by = w.Dropdown(options=[("primary metric", None)], value=None, description="Sort by",
                                  layout=w.Layout(width="300px"))
        self.metric = w.Dropdown(options=[], value=None, description="Metric", layout=w.Layout(width="300px"))
        self.refresh_button = w.Button(description="Refresh", icon="refresh", layout=w.Layout(width="auto"))
        self.compare_button = w.Button(description="Compare benchmarks", icon="columns", layout=w.Layout(width="auto"),
                                       tooltip="the benchmark sections of the picked experiments' models side by side")
        self.comparison = w.VBox()
        self.message = w.HTML()
        self.table = go.FigureWidget(figures.empty_figure("no finished experiments yet", title="Experiments"))
        self.overlay = go.FigureWidget(figures.empty_figure("pick experiments to compare", title="Metric"))
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.compare_button.on_click(lambda _b: self.compare_benchmarks())
        self.experiments.observe(lambda _c: self._compare_changed(), names="value")
        self.sort_by.observe(lambda _c: self.render_table(), names="value")
        self.metric.observe(lambda _c: self.render_overlay(), names="value")
        self.widget = w.VBox([
            w.HTML(style_html()),
            w.HTML('<div class="snb-title" style="font-size:16px">Experiments</div>'),
            w.HBox([self.experiments, w.VBox([self.sort_by, self.metric, w.HBox([self.refresh_button, self.compare_button])])]),
            self.message, self.table, self.overlay, self.comparison,
        ])
        self.widget.add_class("snb-root")
        self.refresh()

    def refresh(self) -> None:
        """List the finished experiments again (the newest ones are compared by default)."""
        page = self.api.task.list(status="finished", limit=min(self.limit, 1000))
        self.entries = experiment_entries(page.items)
        picked = [t for t in self.experiments.value if any(e.task_id == t for e in self.entries)]
        self.experiments.options = [(e.label, e.task_id) for e in self.entries]
        self.message.value = "" if self.entries else message_html(
            "notice", "No finished experiments yet: they appear here when a training task finishes.")
        self.experiments.value = tuple(picked or [e.task_id for e in self.entries[:DEFAULT_COMPARED]])
        self._compare_changed()

    def compared(self) -> list[ExperimentEntry]:
        """The experiments picked for comparison, in list order."""
        wanted = set(self.experiments.value)
        return [e for e in self.entries if e.task_id in wanted]

    def metrics_of(self, entry: ExperimentEntry) -> pd.DataFrame:
        """The metrics an experiment's task logged (fetched once)."""
        if entry.task_id not in self._metrics:
            from synapse_nb.api.task import Task

            self._metrics[entry.task_id] = Task(self.api, entry.task_id).metrics()
        return self._metrics[entry.task_id]

    def frame(self) -> pd.DataFrame:
        """One row per compared experiment (see :func:`~synapse_nb.widgets.figures.experiments_frame`)."""
        entries = self.compared()
        frame = figures.experiments_frame([e.info for e in entries])
        if len(frame.index):
            frame["experiment_name"] = [e.label for e in entries]
        return frame

    def _compare_changed(self) -> None:
        frame = self.frame()
        numeric = [c for c in frame.columns if c not in ("task_id", "project_id", "model_id", "train_size", "val_size",
                                                           "training_duration")
                   and pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
        options = [("primary metric", None), *[(c, c) for c in numeric]]
        if list(self.sort_by.options) != options:
            current = self.sort_by.value
            self.sort_by.options = options
            self.sort_by.value = current if current in numeric else None
        keys = overlay_keys([self.metrics_of(e) for e in self.compared()])
        if list(self.metric.options) != keys:
            current = self.metric.value
            self.metric.options = keys
            self.metric.value = current if current in keys else (keys[0] if keys else None)
        self.render_table()
        self.render_overlay()

    def render_table(self) -> None:
        """Show the compared experiments' table, sorted by the chosen metric."""
        frame = self.frame()
        if not len(frame.index):
            _replace(self.table, figures.empty_figure("no experiments picked", title="Experiments"))
            return
        title = f"{plural(len(frame.index), 'experiment')}"
        _replace(self.table, figures.experiments_table(frame, metric=self.sort_by.value, title=title))

    def render_overlay(self) -> None:
        """Overlay the chosen metric of the compared experiments."""
        entries = self.compared()
        if not entries or self.metric.value is None:
            _replace(self.overlay, figures.empty_figure("pick experiments and a metric", title="Metric"))
            return
        frames = {e.label: self.metrics_of(e) for e in entries}
        _replace(self.overlay, figures.metric_overlay(frames, self.metric.value))

    def compare_benchmarks(self) -> None:
        """Show the benchmark comparison (:func:`synapse_nb.widgets.compare`) of the picked
        experiments' models; those without a benchmark are named, not compared."""
        from synapse_nb.widgets.benchmark_compare import REPORT_FILE, compare

        ids, skipped = [], []
        for entry in self.compared():
            model_id = entry.info.model_id
            files = [f.path for f in self.api.model.get(model_id).files] if model_id is not None else []
            (ids if REPORT_FILE in files else skipped).append(model_id if REPORT_FILE in files else entry.label)
        parts: list[Any] = []
        if skipped:
            parts.append(w.HTML(message_html("notice", "No benchmark to compare for: " + ", ".join(map(str, skipped)))))
        if len(ids) >= 1:
            parts.append(compare(self.api, ids))
        self.comparison.children = tuple(parts)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"ExperimentsBrowser({plural(len(self.entries), 'experiment')})"
