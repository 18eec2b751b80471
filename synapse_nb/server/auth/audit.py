"""The audit trail: who did what to which record, when and from where, kept in SQLite.

Entries are written by the token gate after a request succeeded, for the actions listed in
:data:`AUDITED` (task create, stop, retry; model delete; token create and revoke), so no
route has to remember to do it.

Example:
    >>> AUDITED[("DELETE", "/models/{model_id}")]
    'model.delete'
"""

from __future__ import annotations

__all__ = ["AUDITED", "entries", "record", "target_of", "trust_uploaded_files"]

import json
import sqlite3
from typing import Any

from synapse_nb.schemas.auth import AuditEntry
from synapse_nb.server.auth.principals import Principal, _now
from synapse_nb.server.db import Database

AUDITED: dict[tuple[str, str], str] = {
    ("POST", "/tasks"): "task.create",
    ("POST", "/tasks/{task_id}/retry"): "task.retry",
    ("POST", "/tasks/{task_id}/stop"): "task.stop",
    ("POST", "/tasks/{task_id}/start"): "task.start",
    ("DELETE", "/models/{model_id}"): "model.delete",
    ("DELETE", "/projects/{project_id}"): "project.delete",
    ("POST", "/tokens"): "token.create",
    ("DELETE", "/tokens/{name}"): "token.revoke",
}


def target_of(action: str, path_params: dict[str, Any], body: dict[str, Any]) -> str:
    """The record an action touched, as ``kind:id`` (``task:7``, ``token:alice``).

    Example:
        >>> target_of("task.create", {}, {"id": 7})
        'task:7'
    """
    kind = action.split(".")[0]
    if action in ("task.create", "task.retry"):
        return f"task:{body.get('id')}"
    if action == "token.create":
        return f"token:{body.get('name')}"
    value = next(iter(path_params.values()), None)
    return f"{kind}:{value}"


def record(db: Database, principal: Principal, action: str, target: str, client: str | None,
           detail: dict[str, Any] | None = None) -> None:
    """Append one entry."""
    with db.write() as conn:
        conn.execute(
            "INSERT INTO audit_log (time, principal, role, action, target, client, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (_now(), principal.name, principal.role, action, target, client, json.dumps(detail or {})),
        )


def trust_uploaded_files(db: Database, model: dict[str, Any]) -> None:
    """Record the files of a model a task uploaded: agents may load them without a pickle check."""
    with db.write() as conn:
        for entry in model.get("files") or []:
            conn.execute(
                "INSERT OR IGNORE INTO trusted_files (sha256, model_id, task_id, created_at) VALUES (?, ?, ?, ?)",
                (entry["sha256"], model.get("id"), model.get("task_id"), _now()),
            )


def _entry(row: sqlite3.Row) -> AuditEntry:
    data = dict(row)
    data["detail"] = json.loads(data["detail"] or "{}")
    return AuditEntry.model_validate(data)


def entries(conn: sqlite3.Connection, conditions: dict[str, Any], offset: int, limit: int) -> tuple[int, list[AuditEntry]]:
    """A page of entries, newest first, filtered by the non-None ``conditions``."""
    used = {k: v for k, v in conditions.items() if v is not None}
    clause = (" WHERE " + " AND ".join(f"{k} = ?" for k in used)) if used else ""
    params = list(used.values())
    total = conn.execute(f"SELECT COUNT(*) FROM audit_log{clause}", params).fetchone()[0]
    rows = conn.execute(f"SELECT * FROM audit_log{clause} ORDER BY id DESC LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
    return int(total), [_entry(r) for r in rows]
