"""A backend with a short heartbeat timeout, a `ray start --head` cluster with token
authentication, and agents joining it by address — started once per test module.

The cluster's nodes (and so the Ray workers that run tasks) have their own
SYNAPSE_NB_HOME, as another machine would; the backend keeps its files in another folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from synapse_nb.schemas import Project
from tests.agent.e2e_helpers import HEARTBEAT_TIMEOUT, AgentProcess, Backend, RayHead, stop_groups, worker_env


@pytest.fixture(scope="module")
def e2e_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("agent-e2e")


@pytest.fixture(scope="module")
def backend(e2e_root: Path) -> Iterator[Backend]:
    server = Backend(e2e_root / "backend", heartbeat_timeout=HEARTBEAT_TIMEOUT)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def project(backend: Backend) -> Project:
    """16 sample images of 64 px in 3 classes (several datasets, tags and two collections)."""
    return backend.api.project.import_samples(num_images=16, image_size=64, name="agent-shapes", progress=False)


@pytest.fixture(scope="module")
def cluster_home(e2e_root: Path) -> Path:
    """SYNAPSE_NB_HOME of the cluster's node: where tasks' working folders are."""
    return e2e_root / "node-home"


@pytest.fixture(scope="module")
def ray_head(e2e_root: Path, cluster_home: Path) -> Iterator[RayHead]:
    head = RayHead(e2e_root, worker_env(cluster_home), num_cpus=2)
    yield head
    head.stop()


@pytest.fixture(scope="module")
def start_agent(backend: Backend, ray_head: RayHead, e2e_root: Path) -> Iterator[Callable[..., AgentProcess]]:
    """``start_agent("name")``: the running agent of that name, or a new one joined to the
    cluster; all stop at the end of the module."""
    started: dict[str, AgentProcess] = {}

    def start(name: str, *args: str) -> AgentProcess:
        running = started.get(name)
        if running is not None and running.alive:
            return running
        agent = AgentProcess(backend, name, e2e_root, ray_head.env, "--ray-address", ray_head.address, *args)
        started[name] = agent
        agent.wait_online()
        return agent

    yield start
    stop_groups([agent.proc for agent in started.values()])
