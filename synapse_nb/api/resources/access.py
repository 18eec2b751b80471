"""``api.tokens`` and ``api.audit``: principals with their own tokens, and the audit trail
(both for admins), plus the task token an agent hands to a task's worker."""

from __future__ import annotations

__all__ = ["AuditResource", "TokenResource"]

from typing import Any

from synapse_nb.api.resources._base import Resource
from synapse_nb.schemas import Page
from synapse_nb.schemas.auth import AuditEntry, CheckpointTrust, Role, TaskToken, TokenCreate, TokenCreated, TokenInfo


class TokenResource(Resource):
    """Create, list and revoke tokens (admin only).

    Example:
        >>> created = api.tokens.create("alice", "user")   # doctest: +SKIP
        >>> created.token                                  # shown this once  # doctest: +SKIP
        'snb_...'
        >>> api.tokens.revoke("alice").revoked_at           # doctest: +SKIP
    """

    def create(self, name: str, role: Role, agent_name: str | None = None) -> TokenCreated:
        """A new principal with its own token (the reply is the only place it appears)."""
        body = TokenCreate(name=name, role=role, agent_name=agent_name)
        return TokenCreated.model_validate(self._http.json("POST", "/tokens", json=body.model_dump(exclude_none=True)))

    def list(self, include_task_tokens: bool = False) -> list[TokenInfo]:
        """Every principal, oldest first (never their tokens)."""
        data = self._http.json("GET", "/tokens", params={"include_task_tokens": include_task_tokens})
        return [TokenInfo.model_validate(d) for d in data]

    def revoke(self, name: str) -> TokenInfo:
        """Revoke the token named ``name``; requests with it are refused from now on."""
        return TokenInfo.model_validate(self._http.json("DELETE", f"/tokens/{name}"))

    def for_task(self, task_id: int) -> str:
        """A token acting for running task ``task_id`` only (agents give it to the worker)."""
        return TaskToken.model_validate(self._http.json("POST", f"/tasks/{task_id}/token")).token

    def checkpoint_trust(self, sha256: str) -> CheckpointTrust:
        """Whether the backend recorded a file of this hash as uploaded by one of its tasks."""
        return CheckpointTrust.model_validate(self._http.json("GET", f"/checkpoints/{sha256}"))


class AuditResource(Resource):
    """The audit trail: task create/start/stop/retry, model and project delete, token create/revoke.

    Example:
        >>> [e.action for e in api.audit.list(principal="alice")]   # doctest: +SKIP
        ['task.stop', 'task.create']
    """

    def list(self, principal: str | None = None, action: str | None = None, offset: int = 0,
             limit: int = 100) -> Page[AuditEntry]:
        """A page of entries, newest first."""
        params: dict[str, Any] = {"principal": principal, "action": action, "offset": offset, "limit": limit}
        return self._page("/audit", AuditEntry, params)
