"""The train action engine against the real backend of the test session.

Plugins live in ``tests/actions/plugins.py`` and are always imported as
``tests.actions.plugins``: the agent's Ray workers find that module through the repository
root on their ``sys.path`` (Ray adds the agent's working folder; PYTHONPATH is set here too
in case the agent starts from another folder).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from synapse_nb.api import Api
from synapse_nb.schemas import Project
from synapse_nb.schemas.task import TaskRecord

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
# The local agent is started by the first test that needs it, after this runs: it inherits it.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)

# Training waits: generous, the machine is shared (never an assertion on time).
WAIT = 600


@pytest.fixture(scope="session")
def api() -> Api:
    """A client of the session's embedded backend (no local agent started for in-process runs)."""
    return Api.from_env(start_agent=False)


@pytest.fixture(scope="session")
def agent_id(api: Api) -> int:
    """The session's local agent (started on first use; it runs tasks on Ray)."""
    started = Api.from_env()
    return started.agent.local(wait=180)


@pytest.fixture(scope="session")
def project(api: Api) -> Project:
    """24 sample images of 64 px, 3 classes (squares as boxes, triangles and circles as polygons)."""
    return api.project.import_samples(num_images=24, image_size=64, name="engine-shapes", seed=0, progress=False)


def ultralytics_callbacks() -> dict[str, list[Any]]:
    """A copy of ultralytics' default callback registry (what every new YOLO starts with)."""
    from ultralytics.utils.callbacks import base

    return {event: list(fns) for event, fns in base.default_callbacks.items()}


@dataclass
class QuickStartRun:
    """The quick-start plugin's in-process run and the callback registry around it."""

    result: dict[str, Any]
    task: TaskRecord
    callbacks_before: dict[str, list[Any]]
    callbacks_after: dict[str, list[Any]]
    epochs: int


@pytest.fixture(scope="session")
def quickstart_run(api: Api, project: Project) -> QuickStartRun:
    """run_local of the Synapse quick start: 2 epochs of yolov8n from its base checkpoint."""
    from synapse_nb.actions import run_local
    from tests.actions.engine_checks import newest_task
    from tests.actions.plugins import TrainAction

    before = ultralytics_callbacks()
    result = run_local(TrainAction, {"dataset": project.id, "epochs": 2, "checkpoint": "YOLO/yolov8n-det"}, api=api)
    return QuickStartRun(result, newest_task(api, project.id), before, ultralytics_callbacks(), epochs=2)
