"""Synapse action payloads parse into the same TrainState."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

import synapse_nb as snb

SEARCH = [
    {"name": "batch", "type": "choice", "options": [8, 16]},
    {"name": "lr0", "type": "loguniform", "min": 1e-4, "max": 1e-2, "base": 10},
]
TUNE_CONFIG = {"mode": "max", "metric": "mAP50", "num_samples": 3, "max_concurrent_trials": 2}


def test_training_payload() -> None:
    state = snb.TrainState.from_action_payload(
        {
            "action": "train",
            "params": {"name": "my_model", "dataset": 5, "checkpoint": None, "is_tune": False,
                       "hyperparameter": {"epochs": 3, "batch": 8}},
        }
    )
    assert state.project_id == 5
    assert state.hyperparameters_dict == {"epochs": 3, "batch": 8}
    assert state.model == "YOLO/yolo11n-det"
    assert state.experiment_name == "my_model"


def test_checkpoint_and_our_model_and_plugin_keys() -> None:
    state = snb.TrainState.from_action_payload(
        {"action": "train", "params": {"dataset": 1, "checkpoint": 42, "hyperparameter": {},
                                       "model": "YOLO/yolov8n-det", "plugin": "my_pkg.plugin:TrainAction"}}
    )
    assert state.model == 42 and state.plugin == "my_pkg.plugin:TrainAction"


def test_tuning_payload() -> None:
    state = snb.TrainState.from_action_payload(
        {"action": "train", "params": {"name": "t", "dataset": 2, "is_tune": True, "num_cpus": 1, "num_gpus": 0,
                                       "hyperparameters": SEARCH, "tune_config": TUNE_CONFIG}}
    )
    assert state.is_tune and state.search_space.names == ["batch", "lr0"]
    assert state.tune_config.max_concurrent_trials == 2
    assert (state.num_cpus, state.num_gpus) == (1, 0)


def test_deprecated_tune_action_is_converted_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="'tune' action is deprecated"):
        state = snb.TrainState.from_action_payload(
            {"action": "tune", "params": {"name": "old", "dataset": 2, "hyperparameter": SEARCH, "tune_config": TUNE_CONFIG}}
        )
    assert state.is_tune and state.search_space.names == ["batch", "lr0"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"dataset": 1}, "hyperparameter is required when is_tune=False"),
        ({"dataset": 1, "is_tune": True, "tune_config": TUNE_CONFIG}, "hyperparameters is required when is_tune=True"),
        ({"dataset": 1, "is_tune": True, "hyperparameters": SEARCH}, "tune_config is required when is_tune=True"),
        ({"hyperparameter": {}}, "dataset"),
        ({"dataset": 0, "hyperparameter": {}}, "dataset"),
    ],
)
def test_documented_errors(params: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        snb.TrainState.from_action_payload({"action": "train", "params": params})


def test_unknown_action_is_refused() -> None:
    with pytest.raises(ValidationError, match="action"):
        snb.TrainState.from_action_payload({"action": "deploy", "params": {}})


def test_job_name_encoding_from_payload() -> None:
    state = snb.TrainState.from_action_payload(
        {"action": "train", "params": {"name": "experiment:v1,batch:32", "dataset": 1, "hyperparameter": {}}}
    )
    assert state.job_name == "experiment%3Av1%2Cbatch%3A32"


def test_plugin_specific_params_ride_along_as_plugin_params() -> None:
    from synapse_nb.actions.runner import action_params

    state = snb.TrainState.from_action_payload(
        {"action": "train", "params": {"dataset": 1, "hyperparameter": {"epochs": 1}, "image_size": 320}}
    )
    assert state.plugin_params == {"image_size": 320}
    assert state.hyperparameters_dict == {"epochs": 1}, "the hyperparameters are the payload's, nothing added"
    params = action_params(state)
    assert (params["image_size"], params["hyperparameter"]) == (320, {"epochs": 1}), "the plugin gets them as sent"


def test_plugin_params_never_shadow_a_standard_param() -> None:
    with pytest.raises(ValueError, match="standard params"):
        snb.TrainState(project_id=1, plugin_params={"export_onnx": True})


@pytest.mark.parametrize("tune", [False, True])
def test_state_to_payload_round_trips(tune: bool) -> None:
    extra = {"is_tune": True, "search_space": SEARCH, "tune_config": TUNE_CONFIG} if tune else {}
    state = snb.TrainState(project_id=3, classes=["a"], hyperparameters="epochs: 2\n", experiment_name="x", **extra)
    assert snb.TrainState.from_action_payload(state.to_action_payload()) == state
