"""Agents: the processes that claim tasks and run them on Ray."""

from __future__ import annotations

__all__ = ["Agent", "AgentCreate", "AgentHeartbeat", "AgentStatus"]

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from synapse_nb.schemas.common import NAME_PATTERN

AgentStatus = Literal["online", "offline"]


class AgentCreate(BaseModel):
    """What an agent sends when it registers."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    resources: dict[str, Any] = Field(default_factory=dict, description="e.g. {'CPU': 2, 'GPU': 0}")
    ray_address: str | None = None
    host: str | None = None
    pid: int | None = None
    # The agent started with the embedded backend (Api.from_env without a URL).
    is_local: bool = False


class AgentHeartbeat(BaseModel):
    """A heartbeat: resources may change (a cluster grew) and the agent says what it runs."""

    model_config = ConfigDict(extra="forbid")

    resources: dict[str, Any] | None = None
    running_task_ids: list[int] = Field(default_factory=list)


class Agent(AgentCreate):
    """An agent as stored by the backend."""

    model_config = ConfigDict(extra="ignore")

    id: int
    status: AgentStatus
    last_heartbeat: datetime | None = None
    created_at: datetime
