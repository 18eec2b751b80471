"""Fixtures of the wizard, dashboard and experiments-browser tests: the real embedded backend
of the test session, a sample project, and agents the tests play themselves.

The agents are registered through the client and kept online with heartbeats; they never
claim work on their own, so a task submitted to them waits (the wizard tests) or is claimed
by the test, which then reports metrics as a run would (the dashboard tests). No training
runs here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import synapse_nb as snb
from synapse_nb.schemas import Agent, Project, TaskCreate


class HeartbeatAgent:
    """An agent registered by the test, kept online by a heartbeat thread."""

    def __init__(self, api: Any, name: str) -> None:
        self.api = api
        self.agent: Agent = api.agent.register(name, {"CPU": 2, "GPU": 0})
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{name}", daemon=True)
        self._thread.start()

    @property
    def id(self) -> int:
        return self.agent.id

    def _beat(self) -> None:
        while not self._stop.wait(2.0):
            self.api.agent.heartbeat(self.agent.id)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.api.agent.offline(self.agent.id)


@pytest.fixture(scope="session")
def api() -> Iterator[Any]:
    """The embedded backend of this test session's SYNAPSE_NB_HOME (no local agent: nothing trains)."""
    client = snb.Api.from_env(start_agent=False, keep_alive=True)
    yield client
    client.close()


@pytest.fixture(scope="session")
def shapes(api: Any) -> Project:
    """A small sample project: 24 images in 2 datasets, train/val tags, 2 collections, 3 classes
    (one rectangle class, two polygon classes)."""
    return api.project.import_samples(num_images=24, image_size=32, name="widgets-shapes", progress=False)


@pytest.fixture(scope="session")
def wizard_agent(api: Any) -> Iterator[HeartbeatAgent]:
    """The agent the wizard tests submit to; its tasks wait in the queue until stopped."""
    agent = HeartbeatAgent(api, "widgets-wizard-agent")
    yield agent
    agent.close()


@pytest.fixture(scope="session")
def run_agent(api: Any) -> Iterator[HeartbeatAgent]:
    """The agent whose tasks the dashboard tests claim and report for."""
    agent = HeartbeatAgent(api, "widgets-run-agent")
    yield agent
    agent.close()


@pytest.fixture
def running_task(api: Any, shapes: Project, run_agent: HeartbeatAgent) -> Callable[..., Any]:
    """Make a task and claim it as its agent would: it is then 'running', and the test reports for it."""

    def make(**state_fields: Any) -> Any:
        fields = {"project_id": shapes.id, "agent_id": run_agent.id, "hyperparameters": "epochs: 3\nimgsz: 64\n",
                  **state_fields}
        state = snb.TrainState(**fields)
        record = api.task.create(TaskCreate(agent_id=run_agent.id, state=state.model_dump(mode="json")))
        claimed = api.task.claim(run_agent.id)
        assert claimed is not None and claimed.id == record.id, "another task of the run agent was still queued"
        return snb.Task(api, claimed)

    return make


class WizardDriver:
    """Drives a TrainWizard the way a person does: set a control's value, click its button."""

    def __init__(self, wizard: Any, project: Project) -> None:
        self.wizard = wizard
        self.project = project

    def card(self, key: str) -> Any:
        return self.wizard.step(key)

    def select(self, key: str) -> None:
        card = self.card(key)
        card.select_button.click()
        assert card.status == "done", f"step {key} not confirmed: {card.message.value}"

    def project_step(self) -> None:
        self.card("project").project.value = self.project.id
        self.select("project")

    def model_step(self, ref: str = "YOLO/yolov8n-det") -> None:
        self.card("model").pretrained.value = ref
        self.select("model")

    def through(self, last: str, model: str = "YOLO/yolov8n-det") -> Any:
        """Confirm every step up to and including ``last`` with its defaults."""
        order = [c.key for c in self.wizard.steps]
        for key in order[: order.index(last) + 1]:
            if key == "project":
                self.project_step()
            elif key == "model":
                self.model_step(model)
            elif key != "start":
                self.select(key)
        return self.wizard


@pytest.fixture
def drive(api: Any, shapes: Project) -> Callable[..., WizardDriver]:
    """A new wizard on the session backend, with its driver."""
    from synapse_nb.widgets import TrainWizard

    def make(wizard: Any = None) -> WizardDriver:
        return WizardDriver(wizard if wizard is not None else TrainWizard(api), shapes)

    return make
