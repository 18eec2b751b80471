"""Progress of a task while ``task.wait()`` blocks: tqdm's notebook bars (ipywidgets) in a
notebook, one per category, and one terminal bar elsewhere.

``task.wait()`` polls twice a second, but the display only changes when something a
person can see changes: the status, the running category or the whole percent. In a
terminal the tqdm bar redraws in place; when the output is not a terminal (a log file, CI,
``make demo | tee``) each change is one plain line, so the log stays readable.

Example:
    >>> import io
    >>> from synapse_nb.schemas.task import TaskRecord
    >>> out = io.StringIO()
    >>> display = TaskProgressDisplay(7, file=out, notebook=False)
    >>> for status in ("queued", "queued", "running"):
    ...     display.update(TaskRecord(id=7, status=status, created_at="2026-01-01T00:00:00Z"))
    >>> display.close()
    >>> print(out.getvalue(), end="")
    task 7:   0% queued
    task 7:   0% running
"""

from __future__ import annotations

import sys
from typing import IO, Any, NamedTuple

from synapse_nb.schemas.task import TaskRecord


def in_notebook() -> bool:
    """Whether we run in a Jupyter kernel that can show widgets."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = shell.get_ipython()
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


class ShownState(NamedTuple):
    """What the display shows; it is redrawn only when this changes."""

    status: str
    category: str | None
    percent: int


def shown_state(record: TaskRecord) -> ShownState:
    """The visible state of ``record``: status, the category now running, whole percent.

    Example:
        >>> from synapse_nb.schemas.task import TaskRecord
        >>> shown_state(TaskRecord(id=1, status="running", overall_progress=0.426,
        ...                        progress={"train": {"current": 3, "total": 10}},
        ...                        created_at="2026-01-01T00:00:00Z"))
        ShownState(status='running', category='train', percent=42)
    """
    running = [name for name, p in record.progress.items() if 0 < p.fraction < 1]
    # Floor, not round: 100 % only once the task really is complete.
    percent = int(max(0.0, min(1.0, record.overall_progress)) * 100 + 1e-9)
    return ShownState(record.status, running[-1] if running else None, percent)


def describe(task_id: int, shown: ShownState) -> str:
    """One line for a terminal or a log, e.g. ``task 3:  42% running · train``."""
    return f"task {task_id}: {shown.percent:3d}% {shown.status}" + (f" · {shown.category}" if shown.category else "")


class TaskProgressDisplay:
    """Shows a task's status, overall progress and per-category progress.

    ``task`` is a Task (or its id). ``file`` (default stderr) and ``notebook`` (default:
    detected) choose where and how; in a notebook, tqdm draws ipywidgets bars.
    """

    def __init__(self, task: Any, file: IO[str] | None = None, notebook: bool | None = None) -> None:
        self._task_id = task if isinstance(task, int) else task.id
        self._file = file if file is not None else sys.stderr
        self._widgets: dict[str, Any] = {}
        self._notebook_bar: Any = None
        self._bar: Any = None
        self._shown: ShownState | None = None
        if in_notebook() if notebook is None else notebook:
            # tqdm draws the widgets (and loads ipywidgets); we keep no widget code of our own.
            from tqdm.notebook import tqdm as notebook_bar

            self._notebook_bar = notebook_bar
        elif _is_terminal(self._file):
            from tqdm.auto import tqdm

            self._bar = tqdm(total=100, desc=f"task {self._task_id}", unit="%", file=self._file,
                             bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}")

    def update(self, record: TaskRecord) -> None:
        """Show ``record`` (nothing is redrawn unless what is shown changed)."""
        if self._notebook_bar is not None:
            self._update_widgets(record, round(record.overall_progress * 100, 1))
            return
        shown = shown_state(record)
        if shown == self._shown:
            return
        self._shown = shown
        if self._bar is not None:
            self._bar.n = shown.percent
            self._bar.set_postfix_str(shown.status + (f" · {shown.category}" if shown.category else ""), refresh=False)
            self._bar.refresh()
        else:
            print(describe(self._task_id, shown), file=self._file, flush=True)

    def _update_widgets(self, record: TaskRecord, overall: float) -> None:
        for name in ["overall", *record.progress]:
            if name not in self._widgets:
                self._widgets[name] = self._notebook_bar(total=100, desc=name.replace("_", " "), bar_format="{l_bar}{bar}| {postfix}")
            value = overall if name == "overall" else record.progress[name].fraction * 100
            bar = self._widgets[name]
            bar.n = value
            if name == "overall":
                bar.set_postfix_str(f"task {record.id} · {record.status}"
                                    + (f" · {record.experiment_name}" if record.experiment_name else ""), refresh=False)
            bar.refresh()
        if record.status in ("finished", "failed", "stopped"):
            # tqdm colours a closed bar: green when full, red when the task ended short of it.
            for bar in self._widgets.values():
                bar.close()

    def close(self) -> None:
        """Stop updating (a terminal bar is closed; notebook bars stay visible)."""
        for bar in self._widgets.values():
            bar.close()
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _is_terminal(file: IO[str]) -> bool:
    isatty = getattr(file, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False
