"""What an agent refuses to run, before the task starts: a plugin outside its allowlist, and
a pickled checkpoint that no task of the backend uploaded. The real agent claims from a real
backend; the refusal happens before anything is sent to Ray."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from synapse_nb.agent.agent import Agent, AgentConfig
from synapse_nb.agent.trust import TaskRefused, check_task
from synapse_nb.api import Api
from synapse_nb.server import BackgroundServer, ServerConfig


class Gadget:
    """Anything but tensors: unpickling it means importing and calling code."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("a pickled checkpoint ran code",))


@pytest.fixture(scope="module")
def apis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Api]]:
    with BackgroundServer(ServerConfig(home=tmp_path_factory.mktemp("trust-home"), port=0)) as server:
        admin = Api(server.url, server.token)
        user = Api(server.url, admin.tokens.create("carol", "user").token)
        agent = Api(server.url, admin.tokens.create("trusty", "agent").token)
        yield {"admin": admin, "user": user, "agent": agent}
        for api in (admin, user, agent):
            api.close()


def _agent(api: Api, **config: object) -> Agent:
    agent = Agent(api, AgentConfig(name="trusty", **config))  # type: ignore[arg-type]
    agent.agent_id = api.agent.register("trusty", {"CPU": 1}).id
    return agent


def _upload(api: Api, tmp: Path, name: str, content: object) -> int:
    path = tmp / f"{name}.pt"
    torch.save(content, path)
    return api.model.create({"name": name, "framework": "YOLO", "weights": "best.pt"}, {"best.pt": path}).id


def _queue(api: Api, agent_id: int, **state: object) -> int:
    return api.task.create({"state": {"data_path": "/data", **state}, "agent_id": agent_id}).id


def test_a_plugin_outside_the_allowlist_is_refused_naming_the_setting(apis: dict[str, Api]) -> None:
    agent = _agent(apis["agent"], allowed_plugins=["acme"])
    task_id = _queue(apis["user"], agent.agent_id, plugin="os:system")
    agent._claim_one()
    record = apis["user"].task.record(task_id)
    assert record.status == "failed" and record.error is not None
    assert record.error.step == "start"
    assert "'os:system'" in record.error.message and "--allow-plugin os" in record.error.message
    assert "allowed packages: acme" in record.error.message


def test_an_untrusted_pickled_checkpoint_is_refused_with_the_risk_explained(apis: dict[str, Api], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_id = _upload(apis["user"], tmp_path, "pickled", {"model": Gadget()})
    agent = _agent(apis["agent"])
    task_id = _queue(apis["user"], agent.agent_id, model=model_id)
    agent._claim_one()
    record = apis["user"].task.record(task_id)
    assert record.status == "failed" and record.error is not None
    message = record.error.message
    assert f"model {model_id}" in message and "weights_only=True" in message
    assert "can run any code" in message and "--trust-uploaded-checkpoints" in message
    assert "ran code" not in capsys.readouterr().out  # the check never unpickled it


def test_what_is_allowed_passes(apis: dict[str, Api], tmp_path: Path) -> None:
    tensors = _upload(apis["user"], tmp_path, "tensors", {"w": torch.zeros(3)})
    # A model a task uploaded (here: with the agent's own token) is recorded as trusted.
    by_task = _upload(apis["agent"], tmp_path, "from-a-task", {"model": Gadget()})
    pickled = _upload(apis["user"], tmp_path, "pickled-again", {"model": Gadget()})
    user = apis["user"]
    for model_id, trust in ((tensors, False), (by_task, False), (pickled, True)):
        record = user.task.record(_queue(user, None, model=model_id))  # type: ignore[arg-type]
        check_task(apis["agent"], record, [], trust)
    plugin = user.task.record(_queue(user, None, plugin="tests.agent.e2e_plugins:LedgerAction"))  # type: ignore[arg-type]
    check_task(apis["agent"], plugin, ["tests"], False)
    with pytest.raises(TaskRefused, match="--allow-plugin tests"):
        check_task(apis["agent"], plugin, ["acme"], False)
