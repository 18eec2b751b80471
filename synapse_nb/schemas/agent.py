"""Agents: the processes that claim tasks and run them on Ray."""

from __future__ import annotations

__all__ = [
    "Agent", "AgentCreate", "AgentHeartbeat", "AgentStatus", "NodeCapabilities", "node_label", "node_shortfalls",
]

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
    # Tasks this agent process still runs: registering again under the same name fails the
    # name's other running tasks ("agent restarted"), since no process runs them any more.
    running_task_ids: list[int] = Field(default_factory=list)


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


class NodeCapabilities(BaseModel):
    """What one node of an agent's Ray cluster has, measured on that node (an agent reports
    a list of these under ``resources["nodes"]``).

    Example:
        >>> node = NodeCapabilities(node_id="ab" * 28, address="10.0.0.5", cpus=8, gpus=1)
        >>> node.label
        '10.0.0.5/abababab'
    """

    model_config = ConfigDict(extra="ignore")

    node_id: str
    address: str
    cpus: float = 0.0
    gpus: float = 0.0
    # Custom Ray resources of the node (e.g. {"trainer": 1}).
    resources: dict[str, float] = Field(default_factory=dict)
    tensorrt: bool = False
    tensorrt_reason: str = ""

    @property
    def label(self) -> str:
        """How the node is named in trial tables and messages: its address and short id (one
        machine may hold several nodes)."""
        return node_label(self.address, self.node_id)


def node_label(address: str, node_id: str) -> str:
    """``address/first 8 characters of the Ray node id``.

    Example:
        >>> node_label("127.0.0.1", "0123456789abcdef")
        '127.0.0.1/01234567'
    """
    return f"{address}/{node_id[:8]}"


def node_shortfalls(nodes: list[NodeCapabilities], cpus: float = 0.0, gpus: float = 0.0,
                    tensorrt: bool = False) -> list[str]:
    """Why each node cannot hold one task (or one trial) of ``cpus`` CPUs and ``gpus`` GPUs,
    with TensorRT when asked; an empty list when at least one node can.

    Each node is judged on its own: four nodes of one GPU do not hold a task of two GPUs.

    Example:
        >>> nodes = [NodeCapabilities(node_id="a" * 16, address="10.0.0.1", cpus=4, gpus=1)]
        >>> node_shortfalls(nodes, cpus=1, gpus=1)
        []
        >>> node_shortfalls(nodes, cpus=1, gpus=2)
        ['node 10.0.0.1/aaaaaaaa has 1 GPUs, not 2']
    """
    reasons: list[str] = []
    for node in nodes:
        lacks = []
        if cpus and node.cpus < cpus:
            lacks.append(f"{node.cpus:g} CPUs, not {cpus:g}")
        if gpus and node.gpus < gpus:
            lacks.append(f"{node.gpus:g} GPUs, not {gpus:g}")
        if tensorrt and not node.tensorrt:
            lacks.append(f"no TensorRT ({node.tensorrt_reason or 'not available'})")
        if not lacks:
            return []
        reasons.append(f"node {node.label} has " + "; ".join(lacks))
    return reasons
