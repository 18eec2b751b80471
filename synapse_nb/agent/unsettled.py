"""Tasks whose end the backend has not confirmed yet, kept in a file of the agent's home so
an agent restarted meanwhile still records how they ended; :class:`Settlements` records them,
retrying each round while the backend is away.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "unsettled-a.json"
    >>> save_unsettled(path, {7: {"message": "lost", "since": 1.0}})
    >>> load_unsettled(path)
    {7: {'message': 'lost', 'since': 1.0}}
"""

from __future__ import annotations

__all__ = ["Settlements", "load_unsettled", "save_unsettled"]

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from synapse_nb._atomic import atomic_write_text
from synapse_nb.errors import BackendError
from synapse_nb.schemas.task import TaskError

log = logging.getLogger("synapse_nb.agent")


def load_unsettled(path: Path) -> dict[int, dict[str, Any]]:
    """The unsettled tasks saved at ``path`` (task id -> outcome); none when the file is
    missing or unreadable (said in the log)."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring the unreadable list of unsettled tasks %s: %s", path, exc)
        return {}
    return {int(k): dict(v) for k, v in data.items()}


def save_unsettled(path: Path, unsettled: dict[int, dict[str, Any]]) -> None:
    """Write ``unsettled`` to ``path`` atomically."""
    atomic_write_text(path, json.dumps({str(k): v for k, v in unsettled.items()}))


class Settlements:
    """How the agent's tasks ended, recorded in the backend until it confirms each.

    A task whose worker ended without recording its own end (a crash, a kill, a stop) gets
    its outcome here; the outcome stays in ``path`` until the backend has it, across agent
    restarts, for at most ``retry_for`` seconds of transient errors.
    """

    def __init__(self, api: Any, path: Path, retry_for: float) -> None:
        self.api = api
        self.path = path
        self.retry_for = retry_for
        self._lock = threading.Lock()
        self._outcomes: dict[int, dict[str, Any]] = {}

    def load(self) -> None:
        """Take over what an earlier run of this agent left unsettled."""
        outcomes = load_unsettled(self.path)
        with self._lock:
            self._outcomes = outcomes

    def task_ids(self) -> list[int]:
        """The tasks still waiting for the backend to record their end."""
        with self._lock:
            return list(self._outcomes)

    def add(self, task_id: int, outcome: dict[str, Any]) -> None:
        """Keep ``outcome`` (``message``, ``step``, ``stop_requested``) until the backend confirms it."""
        with self._lock:
            self._outcomes[task_id] = {**outcome, "since": time.time()}
        self._save()

    def fail(self, task_id: int, message: str, step: str | None) -> None:
        """Fail a task now, or as soon as the backend answers."""
        try:
            self.api.task.set_status(task_id, "failed", error=TaskError(step=step, message=message))
        except BackendError as exc:
            log.warning("could not mark task %s failed yet (%s): retrying", task_id, exc)
            self.add(task_id, {"message": message, "step": step})

    def settle_pending(self) -> None:
        """Record the end of every unsettled task the backend has not confirmed; what fails
        stays for the next round (bounded by ``retry_for``)."""
        with self._lock:
            pending = list(self._outcomes.items())
        for task_id, outcome in pending:
            try:
                self._settle(task_id, outcome)
            except BackendError as exc:
                if not exc.transient:
                    # e.g. the task was deleted, or ended otherwise meanwhile: nothing to retry.
                    log.warning("task %s: the backend refused to record its end: %s", task_id, exc)
                elif time.time() - float(outcome.get("since", time.time())) < self.retry_for:
                    log.warning("task %s: the backend did not confirm its end yet (%s); retrying", task_id, exc)
                    continue
                else:
                    log.error("task %s: gave up recording its end after %g s: %s", task_id, self.retry_for, exc)
            with self._lock:
                self._outcomes.pop(task_id, None)
            self._save()

    def _settle(self, task_id: int, outcome: dict[str, Any]) -> None:
        """Record how a task ended when the task itself could not (raises BackendError until
        the backend confirms)."""
        record = self.api.task.record(task_id)
        if record.is_final:
            return
        if outcome.get("stop_requested") or record.status == "stopping":
            self.api.task.set_status(task_id, "stopped")
        else:
            self.api.task.set_status(task_id, "failed",
                                     error=TaskError(step=outcome.get("step"), message=outcome["message"]))

    def _save(self) -> None:
        with self._lock:
            data = dict(self._outcomes)
        save_unsettled(self.path, data)
