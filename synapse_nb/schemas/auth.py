"""Principals, their tokens and the audit trail: what the backend's admin routes take and return.

Example:
    >>> TokenCreate(name="alice", role="user").role
    'user'
    >>> TokenCreate(name="gpu-1", role="agent").agent_name is None
    True
"""

from __future__ import annotations

__all__ = [
    "AuditEntry", "CheckpointTrust", "PRINCIPAL_NAME", "PrincipalRole", "Role", "TaskToken", "TokenCreate",
    "TokenCreated", "TokenInfo",
]

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Role = Literal["admin", "user", "agent"]
# "task" tokens are made by the backend for one running task and are never created by hand.
PrincipalRole = Literal["admin", "user", "agent", "task"]
PRINCIPAL_NAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$"


class TokenCreate(BaseModel):
    """A new principal: a person (admin, user) or an agent, with its own token."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=PRINCIPAL_NAME, description="unique name of the person or agent")
    role: Role
    agent_name: str | None = Field(default=None, min_length=1, max_length=200,
                                   description="agents only: the agent name this token may register as (default: name)")

    @model_validator(mode="after")
    def _agent_name_for_agents(self) -> TokenCreate:
        if self.agent_name is not None and self.role != "agent":
            raise ValueError("agent_name: only a token of role 'agent' is bound to an agent name")
        return self


class TokenInfo(BaseModel):
    """A principal as listed (never its token, which only the creator saw once)."""

    model_config = ConfigDict(extra="forbid")

    id: int
    name: str
    role: PrincipalRole
    agent_name: str | None = None
    task_id: int | None = None
    created_at: datetime
    revoked_at: datetime | None = None


class TokenCreated(TokenInfo):
    """A principal just created, with its token: shown this once, stored only as a hash."""

    token: str = Field(repr=False)


class TaskToken(BaseModel):
    """A token that acts for one task only, and stops working once the task has ended."""

    model_config = ConfigDict(extra="forbid")

    task_id: int
    token: str = Field(repr=False)


class CheckpointTrust(BaseModel):
    """Whether a file of this sha256 was uploaded by a task of this backend."""

    model_config = ConfigDict(extra="forbid")

    sha256: str
    trusted: bool
    model_id: int | None = None


class AuditEntry(BaseModel):
    """One recorded action: who did what to which record, when and from where."""

    model_config = ConfigDict(extra="forbid")

    id: int
    time: datetime
    principal: str
    role: str
    action: str
    target: str
    client: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
