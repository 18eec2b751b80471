"""Tasks and their lifecycle: create (or retry), start, claim, status changes, stop, progress.

Lifecycle::

    created --start--> queued --claim--> running --> finished | failed | stopped
       |                 |                  \\--stop--> stopping --> stopped | finished | failed
       \\------stop------+--> stopped (at once)

Finished, failed and stopped are final. A claim is one ``UPDATE ... WHERE status =
'queued'`` inside a write transaction, so two agents can never get the same task.
"""

from __future__ import annotations

__all__ = [
    "ALLOWED", "MAX_CLAIM_WAIT_S", "claim_task", "create_task", "fetch_task", "get_task", "list_tasks", "retry_task",
    "set_progress", "set_status", "start_task", "stop_task", "task_from_row",
]

import os
import shutil
import sqlite3
import time
import warnings
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import ValidationError

from synapse_nb.schemas import Page, TaskCreate, TaskRecord
from synapse_nb.schemas.backend import ClaimRequest, ProgressUpdate, TaskStatusUpdate
from synapse_nb.schemas.task import FINAL_STATUSES
from synapse_nb.server.context import Ctx, Offset, RecordId, ServerContext, dumps_field, loads, now
from synapse_nb.server.errors import ApiError, not_found, validation_message
from synapse_nb.server.routes.agents import fetch_agent, touch_agent

router = APIRouter(tags=["tasks"])

# The longest a claim may wait for a task (an agent's poll interval is about a second).
MAX_CLAIM_WAIT_S = 30.0

ALLOWED: dict[str, set[str]] = {
    # created -> running: a task run in the notebook process itself (run_local), never queued.
    "created": {"queued", "running", "stopped", "failed"},
    "queued": {"running", "stopped", "failed"},
    "running": {"stopping", "finished", "failed", "stopped"},
    "stopping": {"stopped", "finished", "failed"},
}


def task_from_row(row: sqlite3.Row) -> TaskRecord:
    """A TaskRecord from a ``tasks`` row."""
    data = dict(row)
    for key in ("state", "payload", "progress", "result", "error"):
        data[key] = loads(data[key])
    return TaskRecord.model_validate(data)


def fetch_task(conn: sqlite3.Connection, task_id: int) -> TaskRecord:
    """Task ``task_id`` or a 404."""
    row = conn.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
    if row is None:
        raise not_found("task", task_id)
    return task_from_row(row)


def _run_description(state: dict[str, Any] | None, payload: dict[str, Any] | None) -> tuple[
        dict[str, Any] | None, int | None, str | None]:
    """Validate a task's state or payload; return the state it runs (a train payload sent
    alone is parsed into one, here, once), its project id and experiment name."""
    if state is not None:
        from synapse_nb.state import TrainState  # lazy: only task creation needs it

        try:
            parsed = TrainState.model_validate(state)
        except ValidationError as exc:
            message, field = validation_message(list(exc.errors()), prefix="state")
            raise ApiError(422, message, field=field) from exc
        except (ValueError, TypeError) as exc:
            raise ApiError(422, f"state: {exc}", field="state") from exc
        return parsed.model_dump(mode="json"), parsed.project_id, parsed.experiment_name
    assert payload is not None
    action = payload.get("action")
    if not isinstance(action, str) or not isinstance(payload.get("params"), dict):
        raise ApiError(422, "payload: {'action': <name>, 'params': {...}}", field="payload")
    if action in ("train", "tune"):
        from synapse_nb.payload import payload_to_state

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # "tune" is converted, and said so by the client
                parsed = payload_to_state(payload)
        except ValidationError as exc:
            message, field = validation_message(list(exc.errors()), prefix="payload")
            raise ApiError(422, message, field=field) from exc
        except (ValueError, TypeError) as exc:
            raise ApiError(422, f"payload: {exc}", field="payload") from exc
        return parsed.model_dump(mode="json"), parsed.project_id, parsed.experiment_name
    # Other actions (plugins' own) are passed to the agent as given.
    params = payload["params"]
    project = params.get("project_id", params.get("dataset"))
    name = params.get("name")
    return None, (project if isinstance(project, int) else None), (name if isinstance(name, str) else None)


def _link_files(ctx: ServerContext, conn: sqlite3.Connection, source: int, target: int) -> None:
    """Give a retry the files its original uploaded (hard links: no copy, no second truth)."""
    rows = conn.execute("SELECT * FROM task_files WHERE task_id = ?", (source,)).fetchall()
    for row in rows:
        src = ctx.storage.task_dir(source) / row["path"]
        dst = ctx.storage.task_dir(target) / row["path"]
        if not src.is_file():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
        conn.execute(
            "INSERT OR REPLACE INTO task_files (task_id, path, size, sha256, created_at) VALUES (?, ?, ?, ?, ?)",
            (target, row["path"], row["size"], row["sha256"], row["created_at"]),
        )


@router.post("/tasks", response_model=TaskRecord, status_code=201)
def create_task(body: TaskCreate, ctx: Ctx) -> TaskRecord:
    """Create a task from a TrainState or a Synapse payload, or as a retry of an ended task."""
    state, payload, agent_id, attempt = body.state, body.payload, body.agent_id, 1
    if body.retry_of is not None:
        with ctx.db.read() as conn:
            row = conn.execute("SELECT * FROM tasks WHERE id = ?", (body.retry_of,)).fetchone()
        if row is None:
            raise ApiError(422, f"retry_of: an existing task, got {body.retry_of}", field="retry_of")
        original = task_from_row(row)
        if not original.is_final:
            raise ApiError(409, f"retry_of: task {original.id} is {original.status}; only an ended task can be retried", field="retry_of")
        if state is None and payload is None:
            state, payload = original.state, original.payload
        agent_id = agent_id if agent_id is not None else original.agent_id
        attempt = original.attempt + 1
    sent_state = state is not None
    state, project_id, experiment_name = _run_description(state, payload)
    stamp = now()
    with ctx.db.write() as conn:
        if agent_id is not None and conn.execute("SELECT 1 FROM agents WHERE id = ?", (agent_id,)).fetchone() is None:
            raise ApiError(422, f"agent_id: a registered agent, got {agent_id}", field="agent_id")
        if project_id is not None and conn.execute("SELECT 1 FROM projects WHERE id = ?", (project_id,)).fetchone() is None:
            field = "state.project_id" if sent_state else "payload.params.dataset"
            raise ApiError(422, f"{field}: an existing project, got {project_id}", field=field)
        cur = conn.execute(
            "INSERT INTO tasks (agent_id, project_id, status, state, payload, experiment_name, retry_of, attempt, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                agent_id,
                project_id,
                "queued" if body.autostart else "created",
                None if state is None else dumps_field(state, "state"),
                None if payload is None else dumps_field(payload, "payload"),
                experiment_name,
                body.retry_of,
                attempt,
                stamp,
                stamp,
            ),
        )
        task_id = int(cur.lastrowid or 0)
        if body.retry_of is not None:
            _link_files(ctx, conn, body.retry_of, task_id)
        created = fetch_task(conn, task_id)
    if created.status == "queued":
        ctx.queued.notify()  # after the commit: a woken claim finds the task
    return created


@router.get("/tasks", response_model=Page[TaskRecord])
def list_tasks(
    ctx: Ctx,
    status: str | None = Query(default=None, pattern="^(created|queued|running|stopping|finished|failed|stopped)$"),
    agent_id: int | None = Query(default=None, ge=1, le=2**63 - 1),
    project_id: int | None = Query(default=None, ge=1, le=2**63 - 1),
    offset: Offset = 0,
    limit: int = Query(default=100, ge=1, le=1000),
) -> Page[TaskRecord]:
    """Tasks, newest first; filter by status, agent or project."""
    used = {k: v for k, v in {"status": status, "agent_id": agent_id, "project_id": project_id}.items() if v is not None}
    clause = (" WHERE " + " AND ".join(f"{k} = ?" for k in used)) if used else ""
    params = list(used.values())
    with ctx.db.read() as conn:
        total = conn.execute(f"SELECT COUNT(*) FROM tasks{clause}", params).fetchone()[0]
        rows = conn.execute(f"SELECT * FROM tasks{clause} ORDER BY id DESC LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
    return Page[TaskRecord](items=[task_from_row(r) for r in rows], total=total, offset=offset, limit=limit)


@router.get("/tasks/{task_id}", response_model=TaskRecord)
def get_task(task_id: RecordId, ctx: Ctx) -> TaskRecord:
    """One task."""
    with ctx.db.read() as conn:
        return fetch_task(conn, task_id)


@router.post("/tasks/{task_id}/retry", response_model=TaskRecord, status_code=201)
def retry_task(task_id: RecordId, ctx: Ctx) -> TaskRecord:
    """Run an ended task again: same state or payload, same agent, ``attempt`` + 1."""
    return create_task(TaskCreate(retry_of=task_id), ctx)


@router.post("/tasks/{task_id}/start", response_model=TaskRecord)
def start_task(task_id: RecordId, ctx: Ctx) -> TaskRecord:
    """Queue a created task (one made with ``autostart=False``)."""
    with ctx.db.write() as conn:
        task = fetch_task(conn, task_id)
        if task.status == "created":
            conn.execute("UPDATE tasks SET status = 'queued', updated_at = ? WHERE id = ?", (now(), task_id))
        elif task.status != "queued":
            raise ApiError(409, f"task {task_id} is {task.status}; only a created task can be started", field="status")
        started = fetch_task(conn, task_id)
    ctx.queued.notify()
    return started


@router.post("/tasks/{task_id}/stop", response_model=TaskRecord)
def stop_task(task_id: RecordId, ctx: Ctx) -> TaskRecord:
    """Stop a task: a waiting one at once, a running one through its agent (status 'stopping')."""
    stamp = now()
    with ctx.db.write() as conn:
        task = fetch_task(conn, task_id)
        if task.status in ("created", "queued"):
            conn.execute(
                "UPDATE tasks SET status = 'stopped', finished_at = ?, updated_at = ? WHERE id = ?", (stamp, stamp, task_id)
            )
        elif task.status == "running":
            conn.execute("UPDATE tasks SET status = 'stopping', updated_at = ? WHERE id = ?", (stamp, task_id))
        elif task.status in FINAL_STATUSES:
            raise ApiError(409, f"task {task_id} already ended ({task.status}); there is nothing to stop", field="status")
        return fetch_task(conn, task_id)


@router.post("/tasks/claim", response_model=TaskRecord | None)
def claim_task(body: ClaimRequest, ctx: Ctx,
               wait: float = Query(default=0.0, ge=0, le=MAX_CLAIM_WAIT_S,
                                   description="seconds to wait for a task to be queued when none is")) -> TaskRecord | None:
    """The oldest queued task this agent may run, now 'running' and assigned to it; null if none
    (after up to ``wait`` seconds: a task queued meanwhile is claimed at once).

    A task whose ``agent_id`` is set goes only to that agent; one without, to any.
    """
    deadline = time.monotonic() + wait
    while True:
        seen = ctx.queued.generation()
        claimed = _claim_once(body, ctx)
        remaining = deadline - time.monotonic()
        if claimed is not None or remaining <= 0:
            return claimed
        # Looked at again at least twice a second: a task can also be queued by another
        # process writing this database (the server CLI).
        ctx.queued.wait(seen, timeout=min(remaining, 0.5))


def _claim_once(body: ClaimRequest, ctx: ServerContext) -> TaskRecord | None:
    stamp = now()
    with ctx.db.write() as conn:
        fetch_agent(conn, body.agent_id, field="agent_id")
        touch_agent(conn, body.agent_id)
        row = conn.execute(
            "SELECT id FROM tasks WHERE status = 'queued' AND (agent_id IS NULL OR agent_id = ?) ORDER BY id LIMIT 1",
            (body.agent_id,),
        ).fetchone()
        if row is None:
            return None
        cur = conn.execute(
            "UPDATE tasks SET status = 'running', agent_id = ?, started_at = ?, updated_at = ? "
            "WHERE id = ? AND status = 'queued'",
            (body.agent_id, stamp, stamp, row[0]),
        )
        if cur.rowcount != 1:  # pragma: no cover - impossible under BEGIN IMMEDIATE; kept as a guard
            return None
        return fetch_task(conn, row[0])


@router.put("/tasks/{task_id}/status", response_model=TaskRecord)
def set_status(task_id: RecordId, body: TaskStatusUpdate, ctx: Ctx) -> TaskRecord:
    """Change a task's status along the lifecycle (409 otherwise); a failure needs an ``error``."""
    if body.status == "failed" and body.error is None:
        raise ApiError(422, "error: the step and message of the failure are required with status 'failed'", field="error")
    stamp = now()
    with ctx.db.write() as conn:
        task = fetch_task(conn, task_id)
        if task.status == body.status:
            if task.is_final:
                same = (body.result is None or body.result == task.result) and (body.error is None or body.error == task.error)
                if not same:
                    raise ApiError(409, f"task {task_id} already ended ({task.status}); its result can't change", field="status")
                return task
        elif body.status not in ALLOWED.get(task.status, set()):
            allowed = sorted(ALLOWED.get(task.status, set()))
            hint = f"allowed: {allowed}" if allowed else f"{task.status} is final"
            raise ApiError(409, f"status: task {task_id} can't go from {task.status} to {body.status} ({hint})", field="status")
        sets = ["status = ?", "updated_at = ?"]
        params: list[Any] = [body.status, stamp]
        if body.result is not None:
            sets.append("result = ?")
            params.append(dumps_field(body.result, "result"))
        if body.error is not None:
            sets.append("error = ?")
            params.append(dumps_field(body.error.model_dump(), "error"))
        if body.status == "running" and task.started_at is None:
            sets.append("started_at = ?")
            params.append(stamp)
        if body.status in FINAL_STATUSES:
            sets.append("finished_at = ?")
            params.append(stamp)
        conn.execute(f"UPDATE tasks SET {', '.join(sets)} WHERE id = ?", [*params, task_id])
        return fetch_task(conn, task_id)


@router.put("/tasks/{task_id}/progress", status_code=204)
def set_progress(task_id: RecordId, body: ProgressUpdate, ctx: Ctx) -> Response:
    """Progress of one category (and the overall fraction, when given)."""
    stamp = now()
    with ctx.db.write() as conn:
        row = conn.execute("SELECT progress FROM tasks WHERE id = ?", (task_id,)).fetchone()
        if row is None:
            raise not_found("task", task_id)
        progress = loads(row[0]) or {}
        progress[body.category] = {"current": body.current, "total": body.total, "updated_at": stamp}
        sets, params = ["progress = ?", "updated_at = ?"], [dumps_field(progress, "progress"), stamp]
        if body.overall is not None:
            sets.append("overall_progress = ?")
            params.append(body.overall)
        conn.execute(f"UPDATE tasks SET {', '.join(sets)} WHERE id = ?", [*params, task_id])
    return Response(status_code=204)
