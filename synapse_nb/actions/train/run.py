"""TrainRun: what a running action logs through, without ever waiting on the backend.

Calls (``log_metric``, ``log``, ``set_progress``, ``log_trials``, ``log_visualization``,
``upload_file``) only append to an in-memory buffer; one background thread sends batches.
When the backend is briefly unreachable the buffer keeps everything and the thread retries
with backoff, so nothing is lost; ``flush()`` waits until the buffer is empty. In tuning,
each trial's run carries its ``trial_id``, which is stamped on every metric,
visualization and log line.

Example:
    >>> run = TrainRun(api=None, task_id=None)   # no backend: records are only echoed to logging
    >>> run.log_metric("train", "box_loss", 1.5, epoch=0)
    >>> run.flush()
    True
"""

from __future__ import annotations

__all__ = ["BACKPRESSURE_WAIT_S", "MAX_QUEUED", "TrainRun"]

import logging
import math
import threading
import time
import uuid
from collections import deque
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenacity import RetryCallState

from synapse_nb._retry import backend_retrying
from synapse_nb.errors import BackendError
from synapse_nb.schemas.task import LogLine, MetricPoint, TrialTable, Visualization

if TYPE_CHECKING:
    from synapse_nb.api import Api

log = logging.getLogger("synapse_nb.run")

_MAX_BATCH = 1000
# Records one queue holds before writers wait for the sender (back-pressure), so a backend
# down for hours costs bounded memory; past the wait the oldest records make room.
MAX_QUEUED = 50_000
# Unexpected (non-backend) failures in a row before the front records are dropped.
_MAX_FAILURES = 5
BACKPRESSURE_WAIT_S = 30.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, BackendError) and exc.transient


class TrainRun:
    """Buffered, batched, retried logging of one task (or one trial of a task)."""

    def __init__(
        self,
        api: Api | None,
        task_id: int | None,
        trial_id: str | None = None,
        flush_interval: float = 0.5,
        echo: bool = False,
    ) -> None:
        self.api = api
        self.task_id = task_id
        self.trial_id = trial_id
        self.flush_interval = flush_interval
        self.echo = echo
        # Synapse compatibility: a tune() plugin sets where its trial's weights are written.
        self.checkpoint_output: str | None = None
        self._metrics: deque[MetricPoint] = deque()
        self._logs: deque[LogLine] = deque()
        self._visualizations: deque[Visualization] = deque()
        self._files: dict[str, Path] = {}
        self._progress: dict[str, tuple[float, float, float | None]] = {}
        self._trials: TrialTable | None = None
        # The front batch of each queue keeps its idempotency key until the backend confirms
        # it: a batch re-sent after a lost reply is then stored once, not twice.
        self._held: dict[str, tuple[Any, int, str]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._thread: threading.Thread | None = None
        self.sent_metrics = 0
        # Records the backend refused for good (see _send_or_drop).
        self.refused = 0
        # Records dropped to bound memory while the backend could not keep up.
        self.dropped = 0
        self.last_error: str | None = None

    # -- what actions call -----------------------------------------------------------------

    def log_metric(self, category: str, key: str, value: float, *, epoch: int | None = None,
                   step: int | None = None) -> None:
        """Record one metric value (non-finite values become a warning log line)."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.log(f"metric {category}/{key} is not a number: {value!r}", level="WARNING")
            return
        if not math.isfinite(number):
            self.log(f"metric {category}/{key} = {number} at epoch {epoch} (not sent: not finite)", level="WARNING")
            return
        point = MetricPoint(category=category, key=key, value=number, epoch=epoch, step=step,
                            trial_id=self.trial_id, time=_now())
        self._push(self._metrics, point)

    def log_metrics(self, category: str, values: dict[str, float], *, epoch: int | None = None,
                    step: int | None = None) -> None:
        """Record several metrics of one category at once."""
        for key, value in values.items():
            self.log_metric(category, key, value, epoch=epoch, step=step)

    def log(self, message: str, level: str = "INFO") -> None:
        """Record a log line (also sent to Python logging)."""
        log.log(getattr(logging, level, logging.INFO), message)
        line = LogLine(message=message[:20_000], level=level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO",
                       trial_id=self.trial_id, time=_now())
        self._push(self._logs, line)

    def log_visualization(self, category: str, key: str, data: Any, image: Any = None, *, epoch: int | None = None,
                          kind: str | None = None) -> None:
        """Record a figure or an image.

        Two forms: ``log_visualization(category, key, figure, epoch=e)`` with a Plotly
        figure (or its dict), and the Synapse SDK's ``log_visualization(category, key, epoch,
        image_data)`` with image bytes, a PIL image or a numpy array (stored as a PNG).
        """
        if image is not None:
            if epoch is not None:
                raise TypeError("log_visualization: give the epoch once (positionally before the image, or epoch=)")
            epoch, data = data, image
        from synapse_nb.actions.train.images import visualization_data

        kind, data = visualization_data(data, kind)
        viz = Visualization(category=category, key=key, kind=kind, data=data, epoch=epoch,
                            trial_id=self.trial_id, time=_now())
        self._push(self._visualizations, viz)

    def log_trials(self, data: dict[str, Any] | None = None, *, trials: dict[str, dict[str, Any]] | None = None,
                   base: list[str] | None = None, hyperparameters: list[str] | None = None,
                   metrics: list[str] | None = None, best_trial: str = "", best_rule: str = "") -> None:
        """Record a trials-table snapshot (newest wins: snapshots are coalesced)."""
        if data is not None:
            table = TrialTable.model_validate(data)
        else:
            table = TrialTable(trials=trials or {}, base=base or ["status"], hyperparameters=hyperparameters or [],
                               metrics=(metrics or [])[:4], best_trial=best_trial or "", best_rule=best_rule or "")
        with self._lock:
            self._trials = table
        self._kick()

    def set_progress(self, current: float, total: float, category: str, overall: float | None = None) -> None:
        """Set a category's progress (coalesced: only the newest value is sent)."""
        if total <= 0:
            return
        with self._lock:
            self._progress[category] = (float(max(0.0, current)), float(total), overall)
        self._kick()

    def upload_file(self, rel_path: str, local_path: Path | str) -> None:
        """Upload a task file in the background (e.g. the last checkpoint, for resume).

        Later uploads of the same ``rel_path`` replace earlier ones still waiting.
        """
        with self._lock:
            self._files[rel_path] = Path(local_path)
        self._kick()

    # -- lifecycle ---------------------------------------------------------------------------

    def flush(self, timeout: float | None = 60.0) -> bool:
        """Wait until everything buffered is sent; False if ``timeout`` passed first, with a
        warning naming what is still unsent (see :meth:`unsent`) and the last error."""
        if self.api is None or self.task_id is None:
            self._drain_offline()
            return True
        self._kick()
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._has_pending():
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                left = {k: v for k, v in self.unsent().items() if v}
                log.warning("task %s: not sent after %g s: %s (last error: %s)", self.task_id, timeout, left,
                            self.last_error)
                return False
            self._idle.wait(timeout=min(0.2, remaining) if remaining is not None else 0.2)
        return True

    def close(self, timeout: float | None = 60.0) -> bool:
        """Flush and stop the background thread."""
        ok = self.flush(timeout)
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        return ok

    def unsent(self) -> dict[str, int]:
        """What is still waiting to be sent, by kind, and what was dropped or refused.

        Example:
            >>> TrainRun(api=None, task_id=None).unsent()["metrics"]
            0
        """
        with self._lock:
            return {"metrics": len(self._metrics), "logs": len(self._logs),
                    "visualizations": len(self._visualizations), "files": len(self._files),
                    "progress": len(self._progress), "trials": 1 if self._trials is not None else 0,
                    "dropped": self.dropped, "refused": self.refused}

    def pending(self) -> int:
        """Records waiting to be sent."""
        with self._lock:
            return (len(self._metrics) + len(self._logs) + len(self._visualizations) + len(self._files)
                    + len(self._progress) + (1 if self._trials is not None else 0))

    # -- internals ---------------------------------------------------------------------------

    def _has_pending(self) -> bool:
        return self.pending() > 0 or not self._idle.is_set()

    def _push(self, queue: deque[Any], record: Any) -> None:
        full = len(queue) >= MAX_QUEUED
        if full and self._thread is not None and threading.current_thread() is not self._thread:
            # Back-pressure: the writer waits (bounded) for the sender to make room.
            self._kick()
            deadline = time.monotonic() + BACKPRESSURE_WAIT_S
            while len(queue) >= MAX_QUEUED and time.monotonic() < deadline and self._thread.is_alive():
                time.sleep(0.05)
        with self._lock:
            if len(queue) >= MAX_QUEUED:
                queue.popleft()
                self.dropped += 1
            queue.append(record)
        self._kick()

    def _kick(self) -> None:
        if self.api is None or self.task_id is None:
            if self.echo:
                self._drain_offline()
            return
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name=f"train-run-{self.task_id}", daemon=True)
                    self._thread.start()
        self._wake.set()

    def _drain_offline(self) -> None:
        with self._lock:
            metrics, self._metrics = list(self._metrics), deque()
            self._logs.clear()
            self._visualizations.clear()
            self._files.clear()
            self._progress.clear()
            self._trials = None
        for m in metrics:
            log.debug("metric %s/%s=%s epoch=%s trial=%s", m.category, m.key, m.value, m.epoch, m.trial_id)

    def _loop(self) -> None:
        backoff = 0.25
        failures = 0
        while True:
            self._wake.wait(timeout=self.flush_interval)
            self._wake.clear()
            if self.pending() == 0:
                self._idle.set()
                if self._closed:
                    return
                continue
            self._idle.clear()
            try:
                # While the backend is away, the buffer keeps everything: tried again until sent.
                backend_retrying(retry=_is_transient, before_sleep=self._note_failure)(self._send_once)
                backoff = 0.25
                failures = 0
                self.last_error = None
            except BackendError as exc:
                self.last_error = str(exc)
                log.error("the backend refused a batch of task %s: %s", self.task_id, exc)
            except Exception as exc:  # noqa: BLE001 - the sender must outlive any one bad record or call
                # Anything else (a serialisation bug, a full disk while reading a file): said,
                # and retried with backoff; the writers never wait on a dead thread.
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("sending the records of task %s failed (retrying)", self.task_id)
                failures += 1
                if failures >= _MAX_FAILURES:
                    self._drop_front()
                    failures = 0
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            if self.pending() == 0:
                self._idle.set()

    def _note_failure(self, state: RetryCallState) -> None:
        assert state.outcome is not None
        self.last_error = str(state.outcome.exception())
    def _drop_front(self) -> None:
        """After repeated unexpected failures: drop the record at the front of each queue (one
        of them keeps failing), so what is queued behind it still goes out."""
        with self._lock:
            for queue in (self._metrics, self._logs, self._visualizations):
                if queue:
                    queue.popleft()
                    self.dropped += 1
            self._held.clear()
            for coalesced in (self._files, self._progress):
                if coalesced:
                    coalesced.pop(next(iter(coalesced)))
                    self.dropped += 1
        log.error("task %s: dropped records that could not be sent (%d dropped so far)", self.task_id, self.dropped)

    def _send_once(self) -> None:
        """Send one batch of each kind. A batch is removed from the buffer only once sent."""
        assert self.api is not None and self.task_id is not None
        tasks = self.api.task
        metrics, metrics_key = self._front("metrics", self._metrics)
        if metrics:
            self._send_or_drop(lambda: tasks.log_metrics(self.task_id, metrics, idempotency_key=metrics_key),
                               f"{len(metrics)} metric points")
            self._sent("metrics", self._metrics, metrics)
            self.sent_metrics += len(metrics)
        lines, lines_key = self._front("logs", self._logs)
        if lines:
            self._send_or_drop(lambda: tasks.log(self.task_id, lines, idempotency_key=lines_key),
                               f"{len(lines)} log lines", tell_task=False)
            self._sent("logs", self._logs, lines)
        while True:
            with self._lock:
                viz = self._visualizations[0] if self._visualizations else None
            if viz is None:
                break
            self._send_or_drop(lambda: tasks.log_visualization(self.task_id, viz),
                               f"visualization {viz.category}/{viz.key}")
            with self._lock:
                self._visualizations.popleft()
        with self._lock:
            progress = dict(self._progress)
        for category, (current, total, overall) in progress.items():
            self._send_or_drop(lambda: tasks.set_progress(self.task_id, category, current, total, overall=overall),
                               f"progress of {category}")
            with self._lock:
                if self._progress.get(category) == (current, total, overall):
                    del self._progress[category]
        with self._lock:
            table = self._trials
        if table is not None:
            self._send_or_drop(lambda: tasks.log_trials(self.task_id, table), "trials table")
            with self._lock:
                if self._trials is table:
                    self._trials = None
        with self._lock:
            files = dict(self._files)
        for rel_path, local in files.items():
            if local.is_file():
                # e.g. a checkpoint larger than the backend accepts: said, not sent forever.
                self._send_or_drop(lambda: tasks.upload_file(self.task_id, rel_path, local), f"file {rel_path}")
            with self._lock:
                if self._files.get(rel_path) == local:
                    del self._files[rel_path]

    def _front(self, kind: str, queue: deque[Any]) -> tuple[list[Any], str]:
        """The batch to send from the front of ``queue`` and its key: the same batch and key
        as the last attempt while that one is unconfirmed (new records queue behind it)."""
        with self._lock:
            held = self._held.get(kind)
            if held is not None and queue and queue[0] is held[0]:  # records only leave in _sent
                count, key = held[1], held[2]
            else:
                count, key = min(_MAX_BATCH, len(queue)), uuid.uuid4().hex
                if count:
                    self._held[kind] = (queue[0], count, key)
            return [queue[i] for i in range(count)], key

    def _sent(self, kind: str, queue: deque[Any], batch: list[Any]) -> None:
        """Drop a confirmed (or refused) batch from the front of ``queue``."""
        with self._lock:
            for _ in batch:
                queue.popleft()
            self._held.pop(kind, None)

    def _send_or_drop(self, call: Any, what: str, tell_task: bool = True) -> None:
        """Send; a record the backend refuses for good (a 4xx: e.g. a figure over its size
        limit) is dropped, said so, and counted in ``refused``, instead of being sent again
        forever and holding up everything queued behind it. Transient failures raise (retry)."""
        try:
            self._guard(call)
        except BackendError as exc:
            if _is_transient(exc):
                raise
            self.refused += 1
            self.last_error = str(exc)
            log.error("the backend refused %s of task %s: %s", what, self.task_id, exc)
            if tell_task:  # not for refused log lines: the warning would be refused the same way
                self.log(f"the backend refused {what}: {exc}", level="WARNING")

    @staticmethod
    def _guard(call: Any) -> None:
        """Run a client call, turning connection failures into BackendError(0) for retry."""
        import httpx

        try:
            call()
        except httpx.TransportError as exc:
            raise BackendError(0, f"backend unreachable: {exc}") from exc
