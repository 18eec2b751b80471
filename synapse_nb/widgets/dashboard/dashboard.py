"""TaskDashboard: a live view of one task — status, progress per step, metric charts, log
tail, trials in tuning, and the experiment and benchmark report once it ends.

It polls the backend (any backend: it only uses the client) on a background thread (see
:mod:`._poller` for why a thread), asks only for what is new (metrics after the last
``seq``, log lines after the last one, the trials table only when its ``seq`` changed),
updates every figure in place, and stops polling when the task ends. ``refresh()`` runs one
poll and update in the calling thread (tests and benchmarks use it); ``close()`` stops.

Example:
    >>> dashboard = task.dashboard()      # doctest: +SKIP
    >>> dashboard                         # doctest: +SKIP
"""

from __future__ import annotations

__all__ = ["LOG_LINES", "Snapshot", "TaskDashboard"]

import datetime as dt
import threading
from collections import deque
from typing import Any

import ipywidgets as w
from pydantic import BaseModel, ConfigDict

from synapse_nb.actions.train.progress import TrainProgressCategories
from synapse_nb.schemas import LogLine, MetricPoint, TaskRecord, TrialTable, Visualization
from synapse_nb.state import TrainState
from synapse_nb.widgets._common import esc, message_html, style_html
from synapse_nb.widgets.dashboard._charts import MetricCharts
from synapse_nb.widgets.dashboard._poller import DEFAULT_INTERVAL, Poller, UiLoop
from synapse_nb.widgets.dashboard._report import report_widget
from synapse_nb.widgets.dashboard._store import MetricStore
from synapse_nb.widgets.dashboard._trials import TrialsPanel
from synapse_nb.widgets.figures.experiments import format_duration

LOG_LINES = 200
_BAR_STYLES = {"failed": "danger", "stopped": "warning", "finished": "success"}
_BADGES = {"created": "PENDING", "queued": "PENDING", "running": "RUNNING", "stopping": "PAUSED",
           "finished": "TERMINATED", "failed": "ERROR", "stopped": "PAUSED"}


class Snapshot(BaseModel):
    """What one poll brought back: the record and everything new since the last poll."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    record: TaskRecord
    points: list[MetricPoint]
    logs: list[LogLine]
    trials: TrialTable | None = None
    trials_changed: bool = False
    # Fetched once, when the task has ended: the benchmark report is one of them.
    visualizations: list[Visualization] | None = None


def _state_of(record: TaskRecord) -> TrainState | None:
    try:
        if record.state is not None:
            return TrainState.model_validate(record.state)
        if record.payload is not None:
            return TrainState.from_action_payload(record.payload)
    except ValueError:
        return None  # a payload a custom plugin reads its own way: shown without tuning facts
    return None


class TaskDashboard:
    """The live dashboard of a :class:`~synapse_nb.api.task.Task` (also ``task.dashboard()``).

    ``interval`` is the poll period in seconds; ``start=False`` leaves polling to the caller
    (:meth:`refresh`, :meth:`start`).
    """

    def __init__(self, task: Any, interval: float = DEFAULT_INTERVAL, start: bool = True, log_lines: int = LOG_LINES) -> None:
        self.task = task
        self.api = task.api
        self.interval = interval
        self.store = MetricStore()
        self._lock = threading.RLock()
        self._log_cursor = 0
        self._logs: deque[str] = deque(maxlen=log_lines)
        self._trials_seq: int | None = None
        self._bars: dict[str, tuple[w.FloatProgress, w.HTML]] = {}
        self._reported = False
        self._problem = False
        self.record: TaskRecord = task._record if isinstance(getattr(task, "_record", None), TaskRecord) else task.refresh()
        self.state = _state_of(self.record)
        self.is_tune = bool(self.state and self.state.is_tune and self.state.tune_config)

        self.status_line = w.HTML()
        self.notice = w.HTML()
        self.stop_button = w.Button(description="Stop task", icon="stop", button_style="warning",
                                    layout=w.Layout(width="auto"))
        self.stop_button.on_click(lambda _b: self._stop_clicked())
        self.progress_box = w.VBox([])
        self.charts = MetricCharts()
        self.trials: TrialsPanel | None = None
        self.trial_charts: MetricCharts | None = None
        sections: list[w.Widget] = [self.charts.widget]
        if self.is_tune:
            assert self.state is not None and self.state.tune_config is not None
            config = self.state.tune_config
            self.trial_charts = MetricCharts(trial_id=None)
            self.trials = TrialsPanel(config.primary_metric, config.primary_mode, on_pick=self._trial_picked,
                                      objectives=list(zip(config.metrics, config.modes)))
            sections = [w.HTML('<div class="snb-title">Trials</div>'), self.trials.widget,
                        self.trial_charts.widget]
        self.log_html = w.HTML()
        self.log_box = w.Accordion(children=[self.log_html], titles=("Log",))
        self.report_box = w.VBox([])
        header = w.HBox([self.status_line, self.stop_button], layout=w.Layout(justify_content="space-between",
                                                                               align_items="center"))
        self.widget = w.VBox([w.HTML(style_html()), header, self.notice, self.progress_box, *sections,
                              self.report_box, self.log_box])
        self.widget.add_class("snb-root")
        self._render_status(self.record)
        # Created on the kernel's thread: the poll thread hands every widget update to it.
        self._ui = UiLoop()
        self.poller = Poller(self._poll_once, interval=interval, on_error=self._problem_from_poll)
        if start:
            self.start()

    # -- polling -----------------------------------------------------------------------------

    def start(self) -> None:
        """Poll in the background until the task ends (or :meth:`close`)."""
        self.poller.start()

    def close(self) -> None:
        """Stop polling (the widgets stay as they are)."""
        self.poller.stop()
        self.poller.join(timeout=10)

    @property
    def polling(self) -> bool:
        """Whether the background poll runs."""
        return self.poller.running

    def fetch(self) -> Snapshot:
        """Ask the backend for what is new (no widget is touched)."""
        task_id = self.record.id
        record = self.api.task.record(task_id)
        points = self.api.task.metrics(task_id, after=self.store.cursor)
        logs = self.api.task.logs(task_id, after_seq=self._log_cursor)
        trials = None
        changed = False
        if self.is_tune:
            trials = self.api.task.trials(task_id)
            seq = trials.seq if trials is not None else None
            changed = trials is not None and (seq is None or seq != self._trials_seq)
        visualizations = None
        if record.is_final and not self._reported:
            visualizations = self.api.task.visualizations(task_id)
        return Snapshot(record=record, points=points, logs=logs, trials=trials, trials_changed=changed,
                        visualizations=visualizations)

    def apply(self, snapshot: Snapshot) -> None:
        """Update every widget from one poll's result."""
        record = snapshot.record
        self.record = record
        changed = self.store.add(snapshot.points)
        # Two fetches may overlap (a refresh() call during polling): keep each line once.
        new_lines = [line for line in snapshot.logs if line.seq is None or line.seq > self._log_cursor]
        if new_lines:
            self._log_cursor = max([self._log_cursor, *(line.seq or 0 for line in new_lines)])
            self._logs.extend(self._log_text(line) for line in new_lines)
            self.log_html.value = f"<pre class='snb-log'>{esc(chr(10).join(self._logs))}</pre>"
            self.log_box.set_title(0, f"Log (last {len(self._logs)} lines)")
        self._render_progress(record)
        if self.trials is not None and self.trial_charts is not None:
            table = snapshot.trials
            if table is not None and (table.seq is None or table.seq != self._trials_seq):
                self._trials_seq = table.seq
                self.trials.set_table(table)
            self.trials.update_curves(self.store, changed)
            self.trial_charts.sync(self.store, changed)
        else:
            self.charts.sync(self.store, changed)
        self._render_status(record)
        if record.is_final and not self._reported:
            self._reported = True
            # The final picture is drawn from each figure's complete state: an edit that
            # reached the page while the browser was still creating a figure's view (seconds,
            # on a machine busy training) is lost to that view, which then lacks a trace for good.
            for charts in (self.charts, self.trial_charts, self.trials):
                if charts is not None:
                    charts.redraw()
            self.report_box.children = [report_widget(record, snapshot.visualizations)]
            self.stop_button.layout.display = "none"

    def refresh(self) -> bool:
        """One poll and update, in this thread; True while the task is still live."""
        snapshot = self.fetch()
        self._apply_locked(snapshot)
        return not snapshot.record.is_final

    def _poll_once(self) -> bool:
        snapshot = self.fetch()
        self._ui.call(lambda: self._apply_locked(snapshot), stop=self.poller.stopping)
        return not snapshot.record.is_final

    def _apply_locked(self, snapshot: Snapshot) -> None:
        with self._lock:
            self.apply(snapshot)
            if self._problem:
                self._problem = False
                self.notice.value = ""

    def _problem_from_poll(self, message: str) -> None:
        self._ui.call(lambda: self._show_problem(message), stop=self.poller.stopping)

    # -- rendering ---------------------------------------------------------------------------

    @staticmethod
    def _log_text(line: LogLine) -> str:
        stamp = line.time.strftime("%H:%M:%S") if line.time else ""
        trial = f" [{line.trial_id}]" if line.trial_id else ""
        level = "" if line.level == "INFO" else f" {line.level}"
        return f"{stamp}{level}{trial} {line.message}"

    def _render_status(self, record: TaskRecord) -> None:
        badge = _BADGES.get(record.status, "PENDING")
        parts = [f"<b>task {record.id}</b>"]
        experiment = ((record.result or {}).get("experiment") or {}).get("experiment_name")
        if record.experiment_name or experiment:
            parts.append(esc(record.experiment_name or experiment))
        if record.started_at:
            end = record.finished_at or dt.datetime.now(dt.timezone.utc)
            start = record.started_at if record.started_at.tzinfo else record.started_at.replace(tzinfo=dt.timezone.utc)
            end = end if end.tzinfo else end.replace(tzinfo=dt.timezone.utc)
            parts.append(format_duration(max(0.0, (end - start).total_seconds())))
        parts.append(f"{record.overall_progress * 100:.0f}%")
        if self.is_tune and self.trials is not None and len(self.trials.frame.index):
            parts.append(f"{len(self.trials.frame.index)} trials")
        self.status_line.value = (f'<span class="snb-badge snb-status-{badge}">{esc(record.status)}</span> '
                                  + " · ".join(parts))

    def _render_progress(self, record: TaskRecord) -> None:
        order = TrainProgressCategories.all()
        names = ["overall", *sorted(record.progress, key=lambda n: (order.index(n) if n in order else len(order), n))]
        style = _BAR_STYLES.get(record.status, "info")
        added = False
        for name in names:
            if name not in self._bars:
                bar = w.FloatProgress(min=0.0, max=1.0, description=name.replace("_", " "),
                                      style={"description_width": "110px"}, layout=w.Layout(width="480px"))
                label = w.HTML()
                self._bars[name] = (bar, label)
                added = True
            bar, label = self._bars[name]
            if name == "overall":
                value, detail = record.overall_progress, ""
            else:
                progress = record.progress[name]
                value = progress.fraction
                detail = f" ({progress.current:g} / {progress.total:g})"
            bar.value = value
            bar.bar_style = style
            label.value = f'<span class="snb-muted">{value * 100:.0f}%{esc(detail)}</span>'
        if added:
            self.progress_box.children = [w.HBox(list(self._bars[name])) for name in names if name in self._bars]

    def _show_problem(self, message: str) -> None:
        self._problem = True
        self.notice.value = message_html("error", message)

    def _trial_picked(self, trial_id: str | None) -> None:
        if self.trial_charts is not None:
            with self._lock:
                self.trial_charts.show_trial(self.store, trial_id)

    def _stop_clicked(self) -> None:
        self.stop_button.disabled = True
        self.api.task.stop(self.record.id)
        self.notice.value = message_html("notice", "Stopping the task…")

    # -- display -----------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"TaskDashboard(task={self.record.id}, status={self.record.status!r}, polling={self.polling})"
