"""A backend per test module and, for the runs, a real agent with its own local Ray.

The agent is the default deployment: ``python -m synapse_nb.agent`` starting a local Ray
(2 CPUs), in a SYNAPSE_NB_HOME of its own next to the backend's.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from synapse_nb.agent.ray_runtime import ray_temp_dir
from synapse_nb.schemas import Project
from tests.agent.e2e_helpers import AgentProcess, Backend, worker_env


@pytest.fixture(scope="module")
def trainapi_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("trainapi")


@pytest.fixture(scope="module")
def backend(trainapi_root: Path) -> Iterator[Backend]:
    server = Backend(trainapi_root / "backend", heartbeat_timeout=30.0)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def project(backend: Backend) -> Project:
    """24 sample images of 64 px: classes square (rectangle), triangle and circle (polygons),
    datasets set-1 and set-2, train/val tags on most items, collections batch-a and batch-b."""
    return backend.api.project.import_samples(num_images=24, image_size=64, name="trainapi-shapes", progress=False)


@pytest.fixture(scope="module")
def agent_home(trainapi_root: Path) -> Path:
    return trainapi_root / "agent-home"


@pytest.fixture(scope="module")
def local_agent(backend: Backend, trainapi_root: Path, agent_home: Path) -> Iterator[AgentProcess]:
    """A real agent on a local Ray of 2 CPUs."""
    agent = AgentProcess(backend, "local-ray", trainapi_root, worker_env(agent_home), "--num-cpus", "2")
    agent.wait_online()
    yield agent
    agent.stop()
    shutil.rmtree(ray_temp_dir(agent_home.resolve()), ignore_errors=True)
