"""``api.agent``: agents that run tasks, their heartbeats, and the local agent."""

from __future__ import annotations

__all__ = ["AgentResource", "LOCAL_AGENT_WAIT"]

import time
from collections.abc import Callable, Iterable
from typing import Any

from synapse_nb.api.resources._base import Resource, ids_param
from synapse_nb.errors import BackendError
from synapse_nb.schemas import Agent, AgentCreate, AgentHeartbeat
from synapse_nb.schemas.backend import HeartbeatReply

LOCAL_AGENT_WAIT = 60.0


class AgentResource(Resource):
    """Register agents, send heartbeats, find the local agent.

    Example:
        >>> agent = api.agent.register("gpu-box", {"CPU": 16, "GPU": 1})  # doctest: +SKIP
        >>> api.agent.heartbeat(agent.id)  # ids of its tasks to stop  # doctest: +SKIP
        []
    """

    def __init__(self, http: Any, local_agent_starting: Callable[[], bool] | None = None) -> None:
        super().__init__(http)
        self._local_agent_starting = local_agent_starting

    def register(
        self,
        name: str,
        resources: dict[str, Any] | None = None,
        ray_address: str | None = None,
        is_local: bool = False,
        pid: int | None = None,
        host: str | None = None,
        running_task_ids: Iterable[int] = (),
    ) -> Agent:
        """Register an agent (again: same name, same id) as online.

        Registering again under a name fails that name's running tasks that are not in
        ``running_task_ids`` with "agent restarted" (the process that ran them is gone).
        """
        body = AgentCreate(name=name, resources=resources or {}, ray_address=ray_address, is_local=is_local, pid=pid,
                           host=host, running_task_ids=ids_param(running_task_ids))
        # Registration is keyed by name on the backend, so sending it twice is harmless.
        return Agent.model_validate(self._http.json("POST", "/agents", json=body.model_dump(), idempotent=True))

    def heartbeat(self, agent_id: int, resources: dict[str, Any] | None = None, running_task_ids: Iterable[int] = ()) -> list[int]:
        """Keep the agent online; returns the ids of its tasks it must stop."""
        body = AgentHeartbeat(resources=resources, running_task_ids=ids_param(running_task_ids))
        data = self._http.json("POST", f"/agents/{int(agent_id)}/heartbeat", json=body.model_dump(), idempotent=True)
        return HeartbeatReply.model_validate(data).stop_task_ids

    def offline(self, agent_id: int) -> Agent:
        """Say the agent is shutting down (its unfinished tasks fail with that reason)."""
        return Agent.model_validate(self._http.json("POST", f"/agents/{int(agent_id)}/offline", idempotent=True))

    def list(self, status: str | None = None, is_local: bool | None = None) -> list[Agent]:
        """Every agent, optionally only ``online``/``offline`` or local ones."""
        params: dict[str, Any] = {"status": status, "is_local": None if is_local is None else str(is_local).lower()}
        return list(self._iter_all("/agents", Agent, params))

    def get(self, id: int) -> Agent:
        """One agent."""
        return Agent.model_validate(self._http.json("GET", f"/agents/{int(id)}"))

    def local(self, wait: float | None = None) -> int:
        """The id of the online local agent of the embedded backend.

        Waits up to ``wait`` seconds for it to come online (it starts Ray first; by default
        60 s while this machine's local agent process is starting, else not at all).
        Without one, a BackendError says how to start an agent.
        """
        if wait is None:
            starting = self._local_agent_starting is not None and self._local_agent_starting()
            wait = LOCAL_AGENT_WAIT if starting else 0.0
        deadline = time.monotonic() + wait
        while True:
            online = self.list(status="online", is_local=True)
            if online:
                return max(online, key=lambda a: a.last_heartbeat or a.created_at).id
            if time.monotonic() >= deadline:
                break
            time.sleep(0.25)
        known = [f"{a.id} ({a.name}, {a.status}{', local' if a.is_local else ''})" for a in self.list()]
        raise BackendError(
            404,
            "agent_id: no local agent is online"
            + (f"; agents: {known}" if known else "")
            + ". Api.from_env() starts one with the embedded backend, or run `synapse-nb agent`.",
        )
