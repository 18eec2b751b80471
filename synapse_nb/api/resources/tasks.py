"""``api.task``: tasks, their lifecycle, and everything a run reports.

Log and metric batches carry an idempotency key, so a batch re-sent after a lost reply is
stored once: nothing is lost and nothing doubled.
"""

from __future__ import annotations

__all__ = ["BATCH", "CHUNK", "TaskResource"]

import hashlib
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from synapse_nb._atomic import atomic_path
from synapse_nb.api.resources._base import Resource
from synapse_nb.errors import BackendError, InputError
from synapse_nb.schemas import LogLine, MetricPoint, Page, TaskCreate, TaskError, TaskRecord, TrialTable, Visualization
if TYPE_CHECKING:
    from synapse_nb.api.task import Task
from synapse_nb.schemas.backend import BatchResult, ProgressUpdate, TaskFile, TaskStatusUpdate

BATCH = 5000
CHUNK = 1024 * 1024
_LOG_LINES: TypeAdapter[list[LogLine]] = TypeAdapter(list[LogLine])
_METRIC_POINTS: TypeAdapter[list[MetricPoint]] = TypeAdapter(list[MetricPoint])


class _FileBody:
    """A file body that can be sent again (each iteration starts from the beginning)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[bytes]:
        with open(self.path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class TaskResource(Resource):
    """Create and steer tasks; report and read progress, logs, metrics, trials and files.

    Example:
        >>> record = api.task.create(TaskCreate(state=state.model_dump(mode="json")))  # doctest: +SKIP
        >>> api.task.log_metrics(record.id, [MetricPoint(category="train", key="loss", value=0.5, epoch=0)])  # doctest: +SKIP
        >>> [p.value for p in api.task.metrics(record.id, key="loss")]  # doctest: +SKIP
        [0.5]
    """

    def __init__(self, http: Any, api: Any = None) -> None:
        super().__init__(http)
        # The Api that owns this resource: the Task handles get() returns talk through it.
        self._api = api

    # -- records and lifecycle ---------------------------------------------------------

    def create(self, body: TaskCreate | dict[str, Any]) -> TaskRecord:
        """Create a task (queued at once unless ``autostart=False``)."""
        create = body if isinstance(body, TaskCreate) else TaskCreate.model_validate(body)
        return TaskRecord.model_validate(self._http.json("POST", "/tasks", json=create.model_dump(mode="json")))

    def get(self, id: int) -> Task:
        """The handle of one task (``wait()``, ``retry()``, ``dashboard()``, ``experiment``...),
        from any notebook, any time after it was submitted; its record's fields read through
        (``.status``, ``.payload``, ``.agent_id``...). :meth:`record` is the bare record."""
        from synapse_nb.api.task import Task

        if self._api is None:
            raise InputError("api", "a task resource created by an Api (TaskResource(http, api))", got=None)
        return Task(self._api, self.record(id))

    def record(self, id: int) -> TaskRecord:
        """One task's record, as the backend stores it."""
        return TaskRecord.model_validate(self._http.json("GET", f"/tasks/{int(id)}"))

    def list(
        self, status: str | None = None, agent_id: int | None = None, offset: int = 0, limit: int = 100, project_id: int | None = None
    ) -> Page[TaskRecord]:
        """One page of tasks, newest first."""
        params = {"status": status, "agent_id": agent_id, "project_id": project_id, "offset": offset, "limit": limit}
        return self._page("/tasks", TaskRecord, params)

    def start(self, id: int) -> TaskRecord:
        """Queue a task created with ``autostart=False``."""
        return TaskRecord.model_validate(self._http.json("POST", f"/tasks/{int(id)}/start", idempotent=True))

    def stop(self, id: int) -> TaskRecord:
        """Stop a task: at once if it waits, through its agent if it runs ('stopping')."""
        return TaskRecord.model_validate(self._http.json("POST", f"/tasks/{int(id)}/stop", idempotent=True))

    def retry(self, id: int) -> TaskRecord:
        """A new task re-running an ended one (same state or payload, ``attempt`` + 1)."""
        return TaskRecord.model_validate(self._http.json("POST", f"/tasks/{int(id)}/retry"))

    def claim(self, agent_id: int, wait: float = 0.0) -> TaskRecord | None:
        """The next queued task this agent may run, now running and assigned to it; None if none
        was queued within ``wait`` seconds (a backend without waiting claims answers at once)."""
        # Not retried: a claim whose reply was lost must not claim a second task.
        params = {"wait": float(wait)} if wait else None
        data = self._http.json("POST", "/tasks/claim", json={"agent_id": int(agent_id)}, params=params)
        return None if data is None else TaskRecord.model_validate(data)

    def set_status(
        self, id: int, status: str, result: dict[str, Any] | None = None, error: TaskError | dict[str, Any] | None = None
    ) -> TaskRecord:
        """Move a task along its lifecycle (a BackendError 409 names the refused transition)."""
        body = TaskStatusUpdate.model_validate({"status": status, "result": result, "error": error})
        return TaskRecord.model_validate(self._http.json("PUT", f"/tasks/{int(id)}/status", json=body.model_dump(mode="json")))

    def set_progress(self, id: int, category: str, current: float, total: float, overall: float | None = None) -> None:
        """Progress of one category (dataset, train, ...) and optionally the overall fraction."""
        body = ProgressUpdate(category=category, current=current, total=total, overall=overall)
        self._http.request("PUT", f"/tasks/{int(id)}/progress", json=body.model_dump())

    # -- logs and metrics --------------------------------------------------------------

    def _batches(self, path: str, records: Sequence[Any], adapter: TypeAdapter[Any], key: str | None = None) -> int:
        stored = 0
        key = key or uuid.uuid4().hex
        for start in range(0, len(records), BATCH):
            # One serializer call per batch (not per record): ingestion is bound by this.
            body = adapter.dump_json(list(records[start : start + BATCH]), exclude_none=True)
            headers = {"Idempotency-Key": f"{key}-{start // BATCH}", "Content-Type": "application/json"}
            data = self._http.json("POST", path, content=body, headers=headers, idempotent=True)
            stored += BatchResult.model_validate(data).count
        return stored

    def log(self, id: int, lines: Iterable[LogLine | dict[str, Any] | str], idempotency_key: str | None = None) -> int:
        """Append log lines (strings become INFO lines); returns how many were stored.

        Sending the same lines again with the same ``idempotency_key`` (after a reply was
        lost) stores them once.
        """
        parsed = [LogLine(message=line) if isinstance(line, str) else LogLine.model_validate(line) for line in lines]
        return self._batches(f"/tasks/{int(id)}/logs", parsed, _LOG_LINES, idempotency_key)

    def logs(self, id: int, after_seq: int = 0, limit: int | None = None) -> list[LogLine]:
        """Log lines with ``seq > after_seq`` (all of them, or the first ``limit``)."""
        lines: list[LogLine] = []
        cursor = after_seq
        while limit is None or len(lines) < limit:
            size = 10_000 if limit is None else min(10_000, limit - len(lines))
            page = self._page(f"/tasks/{int(id)}/logs", LogLine, {"after_seq": cursor, "limit": size})
            lines.extend(page.items)
            if len(page.items) < size or not page.items:
                break
            cursor = page.items[-1].seq or cursor
        return lines

    def log_metrics(self, id: int, points: Iterable[MetricPoint | dict[str, Any]], idempotency_key: str | None = None) -> int:
        """Store metric points in batches; returns how many were stored (the same points
        sent again with the same ``idempotency_key`` are stored once)."""
        parsed = [p if isinstance(p, MetricPoint) else MetricPoint.model_validate(p) for p in points]
        return self._batches(f"/tasks/{int(id)}/metrics", parsed, _METRIC_POINTS, idempotency_key)

    def metrics(
        self, id: int, after: int | None = None, trial_id: str | None = None, key: str | None = None, category: str | None = None
    ) -> list[MetricPoint]:
        """Metric points, oldest first; with ``after`` only those newer than that ``seq``.

        A live dashboard keeps ``points[-1].seq`` and asks for ``after=`` it next time.
        """
        points: list[MetricPoint] = []
        cursor = after or 0
        while True:
            params = {"after": cursor, "trial_id": trial_id, "key": key, "category": category, "limit": 10_000}
            page = self._page(f"/tasks/{int(id)}/metrics", MetricPoint, params)
            points.extend(page.items)
            if len(page.items) >= page.total or not page.items:
                return points
            cursor = page.items[-1].seq or cursor

    # -- visualizations and trials -----------------------------------------------------

    def log_visualization(self, id: int, visualization: Visualization | dict[str, Any]) -> Visualization:
        """Store a figure (Plotly dict), image reference or table."""
        body = visualization if isinstance(visualization, Visualization) else Visualization.model_validate(visualization)
        return Visualization.model_validate(self._http.json("POST", f"/tasks/{int(id)}/visualizations", json=body.model_dump(mode="json")))

    def visualizations(self, id: int) -> list[Visualization]:
        """Every visualization of a task, oldest first."""
        return list(self._iter_all(f"/tasks/{int(id)}/visualizations", Visualization))

    def log_trials(self, id: int, table: TrialTable | dict[str, Any]) -> TrialTable:
        """Store a snapshot of the trial table (the history is kept)."""
        body = table if isinstance(table, TrialTable) else TrialTable.model_validate(table)
        return TrialTable.model_validate(self._http.json("POST", f"/tasks/{int(id)}/trials", json=body.model_dump(mode="json")))

    def trials(self, id: int) -> TrialTable | None:
        """The latest trial table, or None before the first."""
        data = self._http.json("GET", f"/tasks/{int(id)}/trials")
        return None if data is None else TrialTable.model_validate(data)

    def trials_history(self, id: int) -> list[TrialTable]:
        """Every trial table snapshot, oldest first."""
        return list(self._iter_all(f"/tasks/{int(id)}/trials/history", TrialTable))

    def set_best_trial(self, id: int, trial_id: str) -> TrialTable:
        """Register the best trial of a tuning run."""
        return TrialTable.model_validate(self._http.json("PUT", f"/tasks/{int(id)}/best-trial", json={"trial_id": trial_id}))

    # -- files -------------------------------------------------------------------------

    def upload_file(self, id: int, rel_path: str, local_path: Path) -> TaskFile:
        """Keep a file of the task on the backend (e.g. ``checkpoints/last.pt``), verified by sha256."""
        local_path = Path(local_path)
        if not local_path.is_file():
            raise InputError("local_path", "an existing file", got=str(local_path))
        params = {"path": rel_path, "sha256": _sha256(local_path)}
        data = self._http.json("PUT", f"/tasks/{int(id)}/files/content", params=params, content=_FileBody(local_path))
        return TaskFile.model_validate(data)

    def list_files(self, id: int) -> list[TaskFile]:
        """The files a task keeps, by path."""
        return list(self._iter_all(f"/tasks/{int(id)}/files", TaskFile))

    def download_file(self, id: int, rel_path: str, dest: Path) -> Path:
        """Write a task's file to ``dest`` (a file path, or a folder), verified, atomically."""
        dest = Path(dest)
        if dest.is_dir():
            dest = dest / Path(rel_path).name
        with atomic_path(dest, suffix=".part") as tmp:
            with open(tmp, "wb") as out:
                headers = self._http.stream_to(f"/tasks/{int(id)}/files/content", out, params={"path": rel_path})
            expected = headers.get("X-Content-SHA256")
            if expected and _sha256(tmp) != expected:
                raise BackendError(0, f"{rel_path}: the downloaded file does not match its sha256 {expected}", "GET", rel_path)
        return dest
