"""Agents: registration (by name, so a restarted agent keeps its id), heartbeats, going
offline, and what happens to their tasks when they stop answering."""

from __future__ import annotations

__all__ = [
    "agent_from_row", "fetch_agent", "get_agent", "go_offline", "heartbeat", "list_agents", "mark_offline",
    "register_agent", "touch_agent",
]

import datetime as dt
import sqlite3
import time

from fastapi import APIRouter, Query

from synapse_nb.schemas import Agent, AgentCreate, AgentHeartbeat, Page
from synapse_nb.schemas.backend import HeartbeatReply
from synapse_nb.server.context import Ctx, Offset, RecordId, dumps_field, loads, now
from synapse_nb.server.errors import not_found

router = APIRouter(tags=["agents"])


def agent_from_row(row: sqlite3.Row) -> Agent:
    """An Agent from an ``agents`` row."""
    data = dict(row)
    data["resources"] = loads(data["resources"])
    data["is_local"] = bool(data["is_local"])
    beat = data.pop("last_heartbeat")
    data["last_heartbeat"] = None if beat is None else dt.datetime.fromtimestamp(beat, dt.timezone.utc)
    return Agent.model_validate(data)


def fetch_agent(conn: sqlite3.Connection, agent_id: int, field: str | None = None) -> Agent:
    """Agent ``agent_id`` or a 404."""
    row = conn.execute("SELECT * FROM agents WHERE id = ?", (agent_id,)).fetchone()
    if row is None:
        raise not_found("agent", agent_id, field=field)
    return agent_from_row(row)


def mark_offline(conn: sqlite3.Connection, agent_id: int, name: str, reason: str) -> list[int]:
    """Set an agent offline and fail the tasks it was running; return their ids."""
    conn.execute("UPDATE agents SET status = 'offline' WHERE id = ?", (agent_id,))
    stamp = now()
    ids = [
        r[0] for r in conn.execute("SELECT id FROM tasks WHERE agent_id = ? AND status IN ('running', 'stopping')", (agent_id,))
    ]
    error = dumps_field({"step": None, "message": reason, "traceback": None}, "error")
    for task_id in ids:
        conn.execute(
            "UPDATE tasks SET status = 'failed', error = ?, finished_at = ?, updated_at = ? WHERE id = ?",
            (error, stamp, stamp, task_id),
        )
    return ids


def _fail_orphans(conn: sqlite3.Connection, agent_id: int, name: str, still_running: set[int]) -> list[int]:
    """Fail the running tasks of an agent that registers again, except those it says it still
    runs: a restarted agent process (even within the heartbeat timeout) runs none of them."""
    stamp = now()
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM tasks WHERE agent_id = ? AND status IN ('running', 'stopping')", (agent_id,))
        if r[0] not in still_running]
    error = dumps_field({"step": None, "message": f"agent {name} restarted while the task ran", "traceback": None},
                        "error")
    for task_id in ids:
        conn.execute("UPDATE tasks SET status = 'failed', error = ?, finished_at = ?, updated_at = ? WHERE id = ?",
                     (error, stamp, stamp, task_id))
    return ids


def touch_agent(conn: sqlite3.Connection, agent_id: int) -> None:
    """Record a sign of life from an agent (heartbeat or claim)."""
    conn.execute("UPDATE agents SET status = 'online', last_heartbeat = ? WHERE id = ?", (time.time(), agent_id))


@router.post("/agents", response_model=Agent, status_code=201)
def register_agent(body: AgentCreate, ctx: Ctx) -> Agent:
    """Register an agent, or re-register one of the same name (it keeps its id) as online."""
    resources = dumps_field(body.resources, "resources")
    with ctx.db.write() as conn:
        row = conn.execute("SELECT id FROM agents WHERE name = ?", (body.name,)).fetchone()
        if row is None:
            cur = conn.execute(
                "INSERT INTO agents (name, resources, ray_address, host, pid, is_local, status, last_heartbeat, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, 'online', ?, ?)",
                (body.name, resources, body.ray_address, body.host, body.pid, int(body.is_local), time.time(), now()),
            )
            agent_id = int(cur.lastrowid or 0)
        else:
            agent_id = row[0]
            _fail_orphans(conn, agent_id, body.name, set(body.running_task_ids))
            conn.execute(
                "UPDATE agents SET resources = ?, ray_address = ?, host = ?, pid = ?, is_local = ?, status = 'online', "
                "last_heartbeat = ? WHERE id = ?",
                (resources, body.ray_address, body.host, body.pid, int(body.is_local), time.time(), agent_id),
            )
        return fetch_agent(conn, agent_id)


@router.get("/agents", response_model=Page[Agent])
def list_agents(
    ctx: Ctx,
    status: str | None = Query(default=None, pattern="^(online|offline)$"),
    is_local: bool | None = None,
    offset: Offset = 0,
    limit: int = Query(default=100, ge=1, le=1000),
) -> Page[Agent]:
    """Agents, oldest first; filter by status or locality."""
    conditions = {"status": status, "is_local": None if is_local is None else int(is_local)}
    used = {k: v for k, v in conditions.items() if v is not None}
    clause = (" WHERE " + " AND ".join(f"{k} = ?" for k in used)) if used else ""
    params = list(used.values())
    with ctx.db.read() as conn:
        total = conn.execute(f"SELECT COUNT(*) FROM agents{clause}", params).fetchone()[0]
        rows = conn.execute(f"SELECT * FROM agents{clause} ORDER BY id LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
    return Page[Agent](items=[agent_from_row(r) for r in rows], total=total, offset=offset, limit=limit)


@router.get("/agents/{agent_id}", response_model=Agent)
def get_agent(agent_id: RecordId, ctx: Ctx) -> Agent:
    """One agent."""
    with ctx.db.read() as conn:
        return fetch_agent(conn, agent_id)


@router.post("/agents/{agent_id}/heartbeat", response_model=HeartbeatReply)
def heartbeat(agent_id: RecordId, body: AgentHeartbeat, ctx: Ctx) -> HeartbeatReply:
    """Keep an agent online; the reply lists the tasks it must stop: its tasks asked to stop,
    and tasks it still runs that already ended as failed or stopped (e.g. failed by the
    reaper while the agent was cut off), so a retry never runs beside a stale worker."""
    with ctx.db.write() as conn:
        fetch_agent(conn, agent_id)
        touch_agent(conn, agent_id)
        if body.resources is not None:
            conn.execute("UPDATE agents SET resources = ? WHERE id = ?", (dumps_field(body.resources, "resources"), agent_id))
        stop = {
            r[0] for r in conn.execute("SELECT id FROM tasks WHERE agent_id = ? AND status = 'stopping'", (agent_id,))
        }
        running = sorted(set(body.running_task_ids))
        for start in range(0, len(running), 500):  # SQLite caps the variables of one statement
            chunk = running[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            stop.update(r[0] for r in conn.execute(
                f"SELECT id FROM tasks WHERE id IN ({marks}) AND status IN ('failed', 'stopped')", chunk))
    return HeartbeatReply(stop_task_ids=sorted(stop))


@router.post("/agents/{agent_id}/offline", response_model=Agent)
def go_offline(agent_id: RecordId, ctx: Ctx) -> Agent:
    """An agent shutting down says so; tasks it still ran are failed with the reason."""
    with ctx.db.write() as conn:
        agent = fetch_agent(conn, agent_id)
        mark_offline(conn, agent_id, agent.name, f"agent {agent.name} went offline while the task ran")
        return fetch_agent(conn, agent_id)
