"""A function plugin, ``train(run, dataset, hyperparameter, checkpoint, **kwargs)``."""

from __future__ import annotations

from pathlib import Path

import pytest

import synapse_nb as snb
from synapse_nb.actions import run_local
from synapse_nb.actions.resolve import as_action_class
from synapse_nb.api import Api
from synapse_nb.errors import InputError
from synapse_nb.schemas import Project
from tests.actions.conftest import WAIT
from tests.actions.engine_checks import check_progress_complete, epochs_by_key, newest_task
from tests.actions.plugins import train


def test_a_train_function_runs_as_an_action(api: Api, project: Project) -> None:
    result = run_local(train, {"dataset": project.id, "hyperparameter": {"epochs": 3}, "note": "hi"}, api=api)

    assert Path(result["data_path"]).name == "dataset.yaml", "train.target_format = 'yolo' was honoured"
    assert result["hyperparameter"] == {"epochs": 3}, "hyperparameter is the payload's, nothing added"
    assert "note" in result["kwargs"], "the plugin's own params arrive as keyword arguments"
    assert result["checkpoint"]["category"] == "base"
    task = newest_task(api, project.id)
    assert task.status == "finished"
    assert task.payload["params"]["plugin"] == "tests.actions.plugins:train", "a retry can import it again"
    assert epochs_by_key(api, task.id)["train/loss"] == [0, 1, 2]
    assert [p.value for p in api.task.metrics(task.id, key="loss")] == [1.0, 0.5, 1 / 3]
    assert any("function plugin trained 3 epochs" in line.message for line in api.task.logs(task.id))
    assert task.result["experiment"]["checkpoints"] == ["checkpoints/best.pt"]
    check_progress_complete(task)


def test_a_function_with_the_wrong_signature_is_refused_before_anything_runs() -> None:
    def train(dataset, run, hyperparameter, checkpoint):  # noqa: ANN001, ANN202 - arguments in the wrong order
        return {}

    with pytest.raises(InputError) as error:
        as_action_class(train)
    assert error.value.field == "plugin"
    assert "train(run, dataset, hyperparameter, checkpoint" in str(error.value)


@pytest.mark.slow
def test_a_train_function_runs_on_the_agent(api: Api, agent_id: int, project: Project) -> None:
    task = snb.TrainApi(api).run(agent_id, project.id, hyperparameters="epochs: 2\n", plugin="tests.actions.plugins:train",
                                 enable_benchmark=False)
    result = task.wait(timeout=WAIT, progress=False)
    assert result["result"]["hyperparameter"] == {"epochs": 2}
    assert epochs_by_key(api, task.id)["train/loss"] == [0, 1]
    assert result["model_id"] is not None
    check_progress_complete(task.record)
