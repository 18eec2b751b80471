"""AgentConfig: how an agent runs (its Ray, its tasks' resources, warm workers, trust,
storage, timings); the agent CLI's flags fill it.

Example:
    >>> AgentConfig(name="gpu-box").poll_interval
    1.0
"""

from __future__ import annotations

__all__ = ["AgentConfig"]

import os
import socket

from pydantic import BaseModel, Field

from synapse_nb.agent.pool import PoolConfig


class AgentConfig(BaseModel):
    """How an agent runs."""

    name: str = Field(default_factory=lambda: f"agent-{socket.gethostname()}")
    ray_address: str | None = None
    num_cpus: float | None = Field(default=None, gt=0, description="CPUs of a local Ray (default: all)")
    num_gpus: float | None = Field(default=None, ge=0)
    task_cpus: float | None = Field(default=None, gt=0, description="CPUs per training task (default: all of a local Ray, 1 on a cluster)")
    max_concurrent_tasks: int = Field(default=1, ge=1)
    poll_interval: float = Field(default=1.0, gt=0)
    heartbeat_interval: float = Field(default=2.0, gt=0)
    is_local: bool = False
    # Stop when the backend has been unreachable this long (an embedded agent follows its backend).
    exit_after_backend_lost: float | None = None
    # What payloads may make this agent execute (see synapse_nb.agent.trust).
    allowed_plugins: list[str] = Field(default_factory=lambda: _allowed_from_env())
    trust_uploaded_checkpoints: bool = False
    pool: PoolConfig = Field(default_factory=PoolConfig, description="warm workers (size 0: a fresh worker per task)")
    # A search is asked to stop first (Ray Tune then ends its trials and frees what they
    # reserved); it is killed only when it has not ended this many seconds later.
    search_stop_grace: float = Field(default=30.0, ge=0)
    # Experiment storage of searches (Ray Tune's storage_path): a path or an s3:// URI that every
    # node reaches (see synapse_nb.agent.cluster); None: the task's folder in this node's home.
    storage: str | None = Field(default_factory=lambda: os.environ.get("SYNAPSE_NB_STORAGE") or None)
    storage_shared: bool = False
    # The backend URL handed to the workers (default: the agent's own).
    worker_url: str | None = None
    # Custom Ray resources every task asks for, to keep tasks on some nodes (e.g. {"trainer": 1}).
    task_resources: dict[str, float] = Field(default_factory=dict)
    # How long a task's end is retried while the backend does not confirm it.
    settle_retry_for: float = Field(default=24 * 3600.0, gt=0)


def _allowed_from_env() -> list[str]:
    from synapse_nb.agent.trust import allowed_from_env

    return allowed_from_env()
