"""Principals, task tokens, checkpoint trust and the audit trail (admin routes, mostly).

``POST /tokens`` answers with the new token once; only its hash is kept.
``POST /tasks/{task_id}/token`` gives an agent a token for one running task, which it
hands to the task's worker instead of its own; it stops working once the task has ended.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam

from synapse_nb.schemas import Page
from synapse_nb.schemas.auth import AuditEntry, CheckpointTrust, TaskToken, TokenCreate, TokenCreated, TokenInfo
from synapse_nb.server.auth import audit
from synapse_nb.server.auth.principals import PrincipalStore
from synapse_nb.server.context import Ctx, Limit, Offset, RecordId
from synapse_nb.server.errors import ApiError, not_found

router = APIRouter(tags=["access"])


def _store(request: Request) -> PrincipalStore:
    return request.app.state.principals  # type: ignore[no-any-return]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, request: Request) -> TokenCreated:
    """A new principal and its token (shown in this reply only)."""
    return _store(request).create(body.name, body.role, body.agent_name)


@router.get("/tokens", response_model=list[TokenInfo])
def list_tokens(request: Request, include_task_tokens: bool = False) -> list[TokenInfo]:
    """Every principal (never their tokens)."""
    return _store(request).list(include_task_tokens=include_task_tokens)


@router.delete("/tokens/{name}", response_model=TokenInfo)
def revoke_token(request: Request, name: str = PathParam(min_length=1, max_length=200)) -> TokenInfo:
    """Revoke a token: requests with it are refused from now on."""
    return _store(request).revoke(name)


@router.post("/tasks/{task_id}/token", response_model=TaskToken, status_code=201)
def task_token(task_id: RecordId, ctx: Ctx, request: Request) -> TaskToken:
    """A token for one running task, for its worker (the agent's own token never leaves it)."""
    with ctx.db.read() as conn:
        row = conn.execute("SELECT status FROM tasks WHERE id = ?", (task_id,)).fetchone()
    if row is None:
        raise not_found("task", task_id)
    if row[0] not in ("running", "stopping"):
        raise ApiError(409, f"task {task_id} is {row[0]}; a task token is only given to a running task", field="status")
    return TaskToken(task_id=task_id, token=_store(request).task_token(task_id))


@router.get("/checkpoints/{sha256}", response_model=CheckpointTrust)
def checkpoint_trust(ctx: Ctx, sha256: str = PathParam(min_length=64, max_length=64)) -> CheckpointTrust:
    """Whether a file of this hash was uploaded by a task of this backend (safe to unpickle)."""
    if re.fullmatch(r"[0-9a-f]{64}", sha256) is None:
        raise ApiError(422, f"sha256: 64 lowercase hex digits, got {sha256[:80]!r}", field="sha256")
    with ctx.db.read() as conn:
        row = conn.execute("SELECT model_id FROM trusted_files WHERE sha256 = ?", (sha256,)).fetchone()
    return CheckpointTrust(sha256=sha256, trusted=row is not None, model_id=None if row is None else row[0])


@router.get("/audit", response_model=Page[AuditEntry])
def list_audit(
    ctx: Ctx,
    principal: str | None = Query(default=None, max_length=200),
    action: str | None = Query(default=None, max_length=100),
    offset: Offset = 0,
    limit: Limit = 100,
) -> Page[AuditEntry]:
    """The audit trail, newest first; filter by principal or action."""
    with ctx.db.read() as conn:
        total, items = audit.entries(conn, {"principal": principal, "action": action}, offset, limit)
    return Page[AuditEntry](items=items, total=total, offset=offset, limit=limit)


__all__ = [
    "checkpoint_trust", "create_token", "list_audit", "list_tokens", "revoke_token", "router", "task_token",
]
