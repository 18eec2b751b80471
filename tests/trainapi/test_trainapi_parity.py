"""Both entry points refuse the same mistakes before a task exists: ``TrainApi.run`` (or the
TrainState it builds) and ``submit_action`` with a Synapse payload."""

from __future__ import annotations

from typing import Any

import pytest

import synapse_nb as snb
from synapse_nb.errors import InputError
from synapse_nb.schemas import Project
from tests.agent.e2e_helpers import Backend

LR_SEARCH = [{"name": "lr0", "type": "loguniform", "min": 1e-4, "max": 1e-1, "base": 10}]
TUNE = {"mode": "max", "metric": "val/mAP50", "num_samples": 2}

# (what is wrong, TrainApi.run keyword arguments, the payload's params, the field named)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("lr0 searched with the 'auto' optimizer",
     {"hyperparameters": "epochs: 1\n", "search_space": LR_SEARCH, "tune_config": TUNE},
     {"is_tune": True, "hyperparameter": {"epochs": 1}, "hyperparameters": LR_SEARCH, "tune_config": TUNE},
     "hyperparameters.optimizer"),
    ("a misspelled model", {"model": "YOLO/yolov8n-dett"}, {"model": "YOLO/yolov8n-dett", "hyperparameter": {}},
     "model"),
    ("an unknown hyperparameter", {"hyperparameters": "lr: 0.01\n"}, {"hyperparameter": {"lr": 0.01}},
     "hyperparameters.lr"),
    ("a tune metric the framework does not report",
     {"hyperparameters": "optimizer: SGD\n", "search_space": LR_SEARCH, "tune_config": {**TUNE, "metric": "accuracy"}},
     {"is_tune": True, "hyperparameter": {"optimizer": "SGD"}, "hyperparameters": LR_SEARCH,
      "tune_config": {**TUNE, "metric": "accuracy"}},
     "tune_config.metric"),
    ("no known class", {"classes": ["zebra"]}, {"classes": ["zebra"], "hyperparameter": {}}, "classes"),
    ("a function plugin in neither argument order", {"plugin": "tests.trainapi.parity_plugins:fit"},
     {"plugin": "tests.trainapi.parity_plugins:fit", "hyperparameter": {}}, "plugin"),
    ("ONNX export from a plugin that cannot export",
     {"plugin": "tests.trainapi.parity_plugins:NoExport", "export_onnx": True},
     {"plugin": "tests.trainapi.parity_plugins:NoExport", "export_onnx": True, "hyperparameter": {}},
     "export_onnx"),
]


@pytest.fixture
def agent_id(backend: Backend) -> int:
    return backend.api.agent.register("parity", {"CPU": 2, "GPU": 0, "tensorrt": False}).id


@pytest.mark.parametrize(("wrong", "run_args", "params", "field"), CASES, ids=[c[0] for c in CASES])
def test_both_entry_points_refuse_before_submission(backend: Backend, agent_id: int, project: Project, wrong: str,
                                                    run_args: dict[str, Any], params: dict[str, Any],
                                                    field: str) -> None:
    train = snb.TrainApi(backend.api)
    before = backend.api.task.list().total
    with pytest.raises(InputError) as by_run:
        train.run(agent_id, project.id, **{"model": "YOLO/yolov8n-det", **run_args})
    with pytest.raises(InputError) as by_payload:
        train.submit_action(agent_id, {"action": "train", "params": {"dataset": project.id, **params}})
    assert by_run.value.field == by_payload.value.field == field, wrong
    assert str(by_run.value) == str(by_payload.value), "the same message from both"
    assert backend.api.task.list().total == before, "no task was created"


def test_a_tune_function_is_known_by_its_argument_order(backend: Backend, agent_id: int, project: Project) -> None:
    from synapse_nb.actions.resolve import as_action_class, load_object

    assert as_action_class(load_object("tests.trainapi.parity_plugins:search")).is_tune_function
    with pytest.raises(InputError) as err:
        snb.TrainApi(backend.api).run(agent_id, project.id, plugin="tests.trainapi.parity_plugins:fit")
    assert "train(run, dataset, hyperparameter, checkpoint, **kwargs)" in str(err.value)
    assert "tune(hyperparameter, run, dataset, checkpoint, **kwargs)" in str(err.value)


def test_ultralytics_metric_names_are_accepted_and_mapped(backend: Backend, agent_id: int, project: Project) -> None:
    search = {"hyperparameters": "optimizer: SGD\n", "search_space": LR_SEARCH, "autostart": False}
    task = snb.TrainApi(backend.api).run(agent_id, project.id, tune_config={**TUNE, "metric": "metrics/mAP50-95(B)"},
                                         **search)
    assert task.state.tune_config.metric == "val/mAP50-95", "stored in our words"
    task.stop(wait=False)
    with pytest.raises(InputError) as err:
        snb.TrainApi(backend.api).run(agent_id, project.id, tune_config={**TUNE, "metric": "metrics/mAP75(B)"}, **search)
    assert "metrics/mAP50-95(B) = val/mAP50-95" in str(err.value) and "fitness = val/fitness" in str(err.value)
