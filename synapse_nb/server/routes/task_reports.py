"""What a running task reports: log lines, metrics, visualizations and trial tables.

Logs and metrics arrive in batches; a batch sent with an ``Idempotency-Key`` header is
stored once even if the client sends it again after a lost reply, so a retry neither loses
nor doubles a line. Readers follow with a cursor (``after_seq`` / ``after``): only what is
newer than what they already have.
"""

from __future__ import annotations

__all__ = [
    "BigLimit", "Cursor", "MAX_KEY", "add_logs", "add_metrics", "add_trials", "add_visualization",
    "get_logs", "get_metrics", "get_visualizations", "latest_trials", "set_best_trial", "trials_history",
]

import datetime as dt
import sqlite3
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query

from synapse_nb.schemas import LogLine, MetricPoint, Page, TrialTable, Visualization
from synapse_nb.schemas.backend import BatchResult, BestTrial
from synapse_nb.server.context import Ctx, Offset, RecordId, ServerContext, dumps_field, iso, loads, now
from synapse_nb.server.errors import ApiError, not_found

router = APIRouter(tags=["task reports"])

MAX_KEY = 200
# Annotated (not shared defaults): FastAPI copies these per parameter.
Cursor = Annotated[int, Query(ge=0, le=2**63 - 1)]
BigLimit = Annotated[int, Query(ge=1, le=10_000)]


def _require_task(conn: sqlite3.Connection, task_id: int) -> None:
    if conn.execute("SELECT 1 FROM tasks WHERE id = ?", (task_id,)).fetchone() is None:
        raise not_found("task", task_id)


def _check_batch(ctx: ServerContext, size: int, field: str) -> None:
    if size > ctx.config.max_batch * 10:
        raise ApiError(413, f"{field}: at most {ctx.config.max_batch * 10} records per request, got {size}", field=field)


def _seen(conn: sqlite3.Connection, key: str | None, scope: str) -> int | None:
    """The count stored under an earlier request with this key, or None (first time)."""
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY:
        raise ApiError(422, f"Idempotency-Key: 1 to {MAX_KEY} characters", field="Idempotency-Key")
    row = conn.execute("SELECT count FROM request_keys WHERE key = ?", (f"{scope}:{key}",)).fetchone()
    return None if row is None else int(row[0])


def _remember(conn: sqlite3.Connection, key: str | None, scope: str, count: int) -> None:
    if key is not None:
        conn.execute("INSERT INTO request_keys (key, count, created_at) VALUES (?, ?, ?)", (f"{scope}:{key}", count, now()))


@router.post("/tasks/{task_id}/logs", response_model=BatchResult)
def add_logs(
    task_id: RecordId,
    ctx: Ctx,
    lines: list[LogLine] = Body(),
    idempotency_key: str | None = Header(default=None),
) -> BatchResult:
    """Append log lines; the backend numbers them (``seq``) in arrival order."""
    _check_batch(ctx, len(lines), "body")
    stamp = now()
    with ctx.db.write() as conn:
        _require_task(conn, task_id)
        previous = _seen(conn, idempotency_key, f"logs:{task_id}")
        if previous is not None:
            return BatchResult(count=previous, duplicate=True)
        start = conn.execute("SELECT log_seq FROM tasks WHERE id = ?", (task_id,)).fetchone()[0]
        conn.executemany(
            "INSERT INTO task_logs (task_id, seq, time, level, message, trial_id) VALUES (?, ?, ?, ?, ?, ?)",
            [(task_id, start + i + 1, iso(line.time) or stamp, line.level, line.message, line.trial_id) for i, line in enumerate(lines)],
        )
        conn.execute("UPDATE tasks SET log_seq = ? WHERE id = ?", (start + len(lines), task_id))
        _remember(conn, idempotency_key, f"logs:{task_id}", len(lines))
    return BatchResult(count=len(lines))


@router.get("/tasks/{task_id}/logs", response_model=Page[LogLine])
def get_logs(task_id: RecordId, ctx: Ctx, after_seq: Cursor = 0, offset: Offset = 0, limit: BigLimit = 1000) -> Page[LogLine]:
    """Log lines with ``seq > after_seq``, oldest first."""
    with ctx.db.read() as conn:
        _require_task(conn, task_id)
        total = conn.execute("SELECT COUNT(*) FROM task_logs WHERE task_id = ? AND seq > ?", (task_id, after_seq)).fetchone()[0]
        rows = conn.execute(
            "SELECT seq, time, level, message, trial_id FROM task_logs WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ? OFFSET ?",
            (task_id, after_seq, limit, offset),
        ).fetchall()
    return Page[LogLine](items=[LogLine.model_validate(dict(r)) for r in rows], total=total, offset=offset, limit=limit)


@router.post("/tasks/{task_id}/metrics", response_model=BatchResult)
def add_metrics(
    task_id: RecordId,
    ctx: Ctx,
    points: list[MetricPoint] = Body(),
    idempotency_key: str | None = Header(default=None),
) -> BatchResult:
    """Store a batch of metric points (in tuning each carries its ``trial_id``)."""
    _check_batch(ctx, len(points), "body")
    stamp = now()
    with ctx.db.write() as conn:
        _require_task(conn, task_id)
        previous = _seen(conn, idempotency_key, f"metrics:{task_id}")
        if previous is not None:
            return BatchResult(count=previous, duplicate=True)
        conn.executemany(
            "INSERT INTO metrics (task_id, category, key, value, step, epoch, trial_id, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(task_id, p.category, p.key, p.value, p.step, p.epoch, p.trial_id, iso(p.time) or stamp) for p in points],
        )
        _remember(conn, idempotency_key, f"metrics:{task_id}", len(points))
    return BatchResult(count=len(points))


@router.get("/tasks/{task_id}/metrics", response_model=Page[MetricPoint])
def get_metrics(
    task_id: RecordId,
    ctx: Ctx,
    after: Cursor = 0,
    trial_id: str | None = Query(default=None, max_length=200),
    key: str | None = Query(default=None, max_length=200),
    category: str | None = Query(default=None, max_length=100),
    offset: Offset = 0,
    limit: BigLimit = 1000,
) -> Page[MetricPoint]:
    """Metric points with ``seq > after`` (a live reader's cursor), oldest first."""
    clause = "FROM metrics WHERE task_id = ? AND id > ?"
    params: list[object] = [task_id, after]
    for column, value in (("trial_id", trial_id), ("key", key), ("category", category)):
        if value is not None:
            clause += f" AND {column} = ?"
            params.append(value)
    with ctx.db.read() as conn:
        _require_task(conn, task_id)
        total = conn.execute(f"SELECT COUNT(*) {clause}", params).fetchone()[0]
        rows = conn.execute(
            f"SELECT id AS seq, category, key, value, step, epoch, trial_id, time {clause} ORDER BY id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
    return Page[MetricPoint](items=[MetricPoint.model_validate(dict(r)) for r in rows], total=total, offset=offset, limit=limit)


@router.post("/tasks/{task_id}/visualizations", response_model=Visualization, status_code=201)
def add_visualization(task_id: RecordId, body: Visualization, ctx: Ctx) -> Visualization:
    """Store a figure, image reference or table a run logged."""
    stored = body.model_copy(update={"time": body.time or dt.datetime.now(dt.timezone.utc)})
    text = dumps_field(stored.model_dump(mode="json"), "data")
    with ctx.db.write() as conn:
        _require_task(conn, task_id)
        conn.execute("INSERT INTO visualizations (task_id, body) VALUES (?, ?)", (task_id, text))
    return stored


@router.get("/tasks/{task_id}/visualizations", response_model=Page[Visualization])
def get_visualizations(task_id: RecordId, ctx: Ctx, offset: Offset = 0, limit: int = Query(default=100, ge=1, le=1000)) -> Page[Visualization]:
    """Visualizations of a task, oldest first."""
    with ctx.db.read() as conn:
        _require_task(conn, task_id)
        total = conn.execute("SELECT COUNT(*) FROM visualizations WHERE task_id = ?", (task_id,)).fetchone()[0]
        rows = conn.execute(
            "SELECT body FROM visualizations WHERE task_id = ? ORDER BY id LIMIT ? OFFSET ?", (task_id, limit, offset)
        ).fetchall()
    return Page[Visualization](items=[Visualization.model_validate(loads(r[0])) for r in rows], total=total, offset=offset, limit=limit)


def _store_table(conn: sqlite3.Connection, task_id: int, table: TrialTable) -> TrialTable:
    seq = conn.execute("SELECT trial_seq FROM tasks WHERE id = ?", (task_id,)).fetchone()[0] + 1
    stored = table.model_copy(update={"seq": seq, "time": table.time or dt.datetime.now(dt.timezone.utc)})
    conn.execute(
        "INSERT INTO trial_tables (task_id, seq, body) VALUES (?, ?, ?)",
        (task_id, seq, dumps_field(stored.model_dump(mode="json"), "trials")),
    )
    conn.execute("UPDATE tasks SET trial_seq = ? WHERE id = ?", (seq, task_id))
    return stored


def _latest(conn: sqlite3.Connection, task_id: int) -> TrialTable | None:
    row = conn.execute("SELECT body FROM trial_tables WHERE task_id = ? ORDER BY seq DESC LIMIT 1", (task_id,)).fetchone()
    return None if row is None else TrialTable.model_validate(loads(row[0]))


@router.post("/tasks/{task_id}/trials", response_model=TrialTable, status_code=201)
def add_trials(task_id: RecordId, body: TrialTable, ctx: Ctx) -> TrialTable:
    """Store a snapshot of the trial table (every snapshot is kept; readers get the latest)."""
    if body.best_trial and body.best_trial not in body.trials:
        raise ApiError(422, f"best_trial: one of the table's trials, got {body.best_trial!r}", field="best_trial")
    with ctx.db.write() as conn:
        _require_task(conn, task_id)
        return _store_table(conn, task_id, body)


@router.get("/tasks/{task_id}/trials", response_model=TrialTable | None)
def latest_trials(task_id: RecordId, ctx: Ctx) -> TrialTable | None:
    """The latest trial table snapshot, or null before the first."""
    with ctx.db.read() as conn:
        _require_task(conn, task_id)
        return _latest(conn, task_id)


@router.get("/tasks/{task_id}/trials/history", response_model=Page[TrialTable])
def trials_history(task_id: RecordId, ctx: Ctx, offset: Offset = 0, limit: int = Query(default=100, ge=1, le=1000)) -> Page[TrialTable]:
    """Every trial table snapshot, oldest first."""
    with ctx.db.read() as conn:
        _require_task(conn, task_id)
        total = conn.execute("SELECT COUNT(*) FROM trial_tables WHERE task_id = ?", (task_id,)).fetchone()[0]
        rows = conn.execute(
            "SELECT body FROM trial_tables WHERE task_id = ? ORDER BY seq LIMIT ? OFFSET ?", (task_id, limit, offset)
        ).fetchall()
    return Page[TrialTable](items=[TrialTable.model_validate(loads(r[0])) for r in rows], total=total, offset=offset, limit=limit)


@router.put("/tasks/{task_id}/best-trial", response_model=TrialTable)
def set_best_trial(task_id: RecordId, body: BestTrial, ctx: Ctx) -> TrialTable:
    """Register the best trial: a new snapshot of the latest table with ``best_trial`` set."""
    with ctx.db.write() as conn:
        _require_task(conn, task_id)
        latest = _latest(conn, task_id)
        if latest is None:
            raise ApiError(409, f"trial_id: task {task_id} has no trial table yet", field="trial_id")
        if body.trial_id not in latest.trials:
            raise ApiError(422, f"trial_id: one of the task's trials ({sorted(latest.trials)[:10]}), got {body.trial_id!r}", field="trial_id")
        return _store_table(conn, task_id, latest.model_copy(update={"best_trial": body.trial_id, "time": None}))
