"""Progress of a task while ``task.wait()`` blocks: ipywidgets bars in a notebook, one
terminal bar elsewhere.

Example:
    >>> in_notebook()
    False
"""

from __future__ import annotations

import sys
from typing import Any

from synapse_nb.schemas.task import TaskRecord


def in_notebook() -> bool:
    """Whether we run in a Jupyter kernel that can show widgets."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = shell.get_ipython()
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


class TaskProgressDisplay:
    """Shows a task's status, overall progress and per-category progress."""

    def __init__(self, task: Any) -> None:
        self._task_id = task.id
        self._widgets: dict[str, Any] = {}
        self._box: Any = None
        self._bar: Any = None
        if in_notebook():
            import ipywidgets as widgets
            from IPython.display import display

            self._status = widgets.HTML()
            self._box = widgets.VBox([self._status])
            display(self._box)
        else:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=100, desc=f"task {task.id}", unit="%", file=sys.stderr,
                             bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}")

    def update(self, record: TaskRecord) -> None:
        """Show ``record``."""
        overall = round(record.overall_progress * 100, 1)
        if self._box is not None:
            self._update_widgets(record, overall)
        elif self._bar is not None:
            running = [name for name, p in record.progress.items() if 0 < p.fraction < 1]
            self._bar.n = overall
            self._bar.set_postfix_str(f"{record.status}{' · ' + running[-1] if running else ''}", refresh=False)
            self._bar.refresh()

    def _update_widgets(self, record: TaskRecord, overall: float) -> None:
        import ipywidgets as widgets

        self._status.value = (f"<b>task {record.id}</b> · {record.status} · {overall:.0f}%"
                              + (f" · {record.experiment_name}" if record.experiment_name else ""))
        for name in ["overall", *record.progress]:
            if name not in self._widgets:
                bar = widgets.FloatProgress(min=0, max=100, description=name.replace("_", " "),
                                            layout=widgets.Layout(width="60%"))
                self._widgets[name] = bar
                self._box.children = (*self._box.children, bar)
            value = overall if name == "overall" else record.progress[name].fraction * 100
            self._widgets[name].value = value
            self._widgets[name].bar_style = {"failed": "danger", "finished": "success"}.get(record.status, "info")

    def close(self) -> None:
        """Stop updating (a terminal bar is closed; widgets stay visible)."""
        if self._bar is not None:
            self._bar.close()
