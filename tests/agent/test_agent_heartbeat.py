"""What an agent learns from a heartbeat: which of its tasks to stop.

Besides tasks asked to stop, a heartbeat names the tasks the agent still runs that already
ended as failed or stopped, e.g. failed by the reaper while the agent was cut off: the
agent then stops that worker, so a retry never trains beside a stale one (the end-to-end
case: tests/agent/test_agent_e2e.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from synapse_nb.schemas import TaskCreate, TaskError
from tests.agent.e2e_helpers import Backend


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Backend]:
    server = Backend(tmp_path / "backend", heartbeat_timeout=60)
    yield server
    server.stop()


def test_heartbeat_names_running_tasks_that_already_ended(backend: Backend) -> None:
    api = backend.api
    agent = api.agent.register("beating", {"CPU": 1})
    state = {"data_path": "/data"}
    ids = [api.task.create(TaskCreate(state=state, agent_id=agent.id)).id for _ in range(4)]
    for _ in ids:
        api.task.claim(agent.id)
    failed, stopping, finished, running = ids
    api.task.set_status(failed, "failed", error=TaskError(message="agent beating stopped sending heartbeats"))
    api.task.stop(stopping)
    api.task.set_status(finished, "finished", result={})

    assert api.agent.heartbeat(agent.id, running_task_ids=ids) == [failed, stopping]
    # Tasks it no longer runs are not named again, except those still asked to stop.
    assert api.agent.heartbeat(agent.id, running_task_ids=[running]) == [stopping]
    assert api.agent.heartbeat(agent.id, running_task_ids=list(range(1, 1200))) == [failed, stopping]
