"""TrainState: defaults, field rules, JSON round trip, copy-as-code."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import synapse_nb as snb
from synapse_nb.state import encode_job_name, parse_model_ref

TUNE = {
    "is_tune": True,
    "search_space": [{"name": "lr0", "type": "loguniform", "min": 1e-4, "max": 1e-2, "base": 10}],
    "tune_config": {"mode": "max", "metric": "mAP50", "num_samples": 2},
}


def test_defaults_match_the_trainapi_defaults() -> None:
    state = snb.TrainState(project_id=1)
    assert state.model == "YOLO/yolo11n-det"
    assert state.classes is None
    assert state.train_val_split == snb.RandomSplit(percent=80, split="train")
    assert (state.convert_class_shapes, state.enable_benchmark, state.enable_speedtest) == (True, True, False)
    assert (state.cache_project, state.export_onnx, state.export_tensorrt, state.autostart) == (True, False, False, True)
    assert state.is_tune is False and state.total_trials() == 1


@pytest.mark.parametrize(
    ("fields", "field_name"),
    [
        ({"project_id": 0}, "project_id"),
        ({"project_id": 1, "model": "yolo11n"}, "model"),
        ({"project_id": 1, "model": 0}, "model"),
        ({"project_id": 1, "classes": []}, "classes"),
        ({"project_id": 1, "classes": ["ok", " "]}, "classes"),
        ({"project_id": 1, "hyperparameters": "epochs: [1, 2"}, "hyperparameters"),
        ({"project_id": 1, "hyperparameters": "- a\n- b\n"}, "hyperparameters"),
        ({"project_id": 1, "enable_benchmark": False, "enable_speedtest": True}, "enable_speedtest"),
        ({"project_id": 1, "is_tune": True}, "search_space"),
        ({"project_id": 1, "is_tune": True, "search_space": TUNE["search_space"]}, "tune_config"),
        ({"project_id": 1, "search_space": TUNE["search_space"]}, "is_tune"),
        ({"project_id": 1, "num_cpus": 0}, "num_cpus"),
        ({"project_id": 1, "plugin": "module:"}, "plugin"),
        ({"project_id": 1, "unknown_field": 1}, "unknown_field"),
        ({}, "project_id"),
        ({"project_id": 1, "data_path": "/data/dataset.yaml"}, "data_path"),
        ({"project_id": 1, "train_val_split": {"kind": "random", "percent": 0}}, "percent"),
    ],
)
def test_bad_input_names_the_field(fields: dict, field_name: str) -> None:
    with pytest.raises(ValidationError) as info:
        snb.TrainState(**fields)
    assert field_name in str(info.value)


def test_yaml_errors_point_at_line_and_column() -> None:
    with pytest.raises(ValidationError, match=r"line 2, column \d+"):
        snb.TrainState(project_id=1, hyperparameters="epochs: 3\nlr0: 0.1: x\n")


def test_yaml_is_parsed_with_the_safe_loader() -> None:
    with pytest.raises(ValidationError, match="hyperparameters"):
        snb.TrainState(project_id=1, hyperparameters="x: !!python/object/apply:os.system ['true']\n")


def test_bayesopt_with_a_choice_parameter_is_refused_before_submission() -> None:
    with pytest.raises(ValidationError, match="bayesoptsearch accepts only continuous"):
        snb.TrainState(
            project_id=1,
            is_tune=True,
            search_space=[{"name": "optimizer", "type": "choice", "options": ["SGD", "Adam"]}],
            tune_config={"mode": "max", "metric": "mAP50", "search_alg": {"name": "bayesoptsearch"}},
        )


def test_total_trials_counts_the_grid() -> None:
    state = snb.TrainState(
        project_id=1,
        is_tune=True,
        search_space=[
            {"name": "batch", "type": "grid_search", "options": [8, 16, 32]},
            {"name": "optimizer", "type": "grid_search", "options": ["SGD", "Adam"]},
        ],
        tune_config={"mode": "max", "metric": "mAP50", "num_samples": 2},
    )
    assert state.total_trials() == 12


def test_model_references() -> None:
    assert parse_model_ref("YOLO/yolo11n-det").framework == "YOLO"
    assert parse_model_ref(7).model_id == 7
    assert parse_model_ref("model:7").model_id == 7
    assert parse_model_ref("./runs/best.pt").kind == "path"
    with pytest.raises(ValueError, match="Framework/name"):
        parse_model_ref("a/b/c")


def test_job_names_encode_colon_and_comma() -> None:
    assert encode_job_name("exp:v1,batch:32") == "exp%3Av1%2Cbatch%3A32"
    state = snb.TrainState(project_id=1, experiment_name="exp:v1,batch:32")
    assert state.experiment_name == "exp:v1,batch:32" and state.job_name == "exp%3Av1%2Cbatch%3A32"


def test_json_round_trip_of_a_tuning_state() -> None:
    state = snb.TrainState(
        project_id=3,
        classes=["circle"],
        train_val_split=snb.TagsSplit(untagged_action="ignore"),
        hyperparameters="epochs: 2\nimgsz: 64\n",
        **TUNE,
    )
    again = snb.TrainState.model_validate_json(state.to_json())
    assert again == state
    assert json.loads(state.to_json())["train_val_split"]["kind"] == "tags"


def _run_generated_code(code: str) -> snb.TrainState:
    """Execute copy-as-code output with a TrainApi stand-in that returns the state it built."""
    captured: dict = {}

    class _Agents:
        @staticmethod
        def local() -> int:
            return 1

    class _Api:
        agent = _Agents()

        @staticmethod
        def from_env() -> _Api:
            return _Api()

    class _TrainApi:
        def __init__(self, api: object) -> None:
            pass

        def run(self, agent_id: int, project_id: int | None = None, model: str | int = "", **kwargs: object) -> None:
            captured["state"] = snb.TrainState.from_run_args(agent_id=agent_id, project_id=project_id, model=model, **kwargs)

    import types

    fake = types.SimpleNamespace(**{n: getattr(snb, n) for n in ("RandomSplit", "DatasetsSplit", "TagsSplit", "CollectionsSplit")})
    fake.Api, fake.TrainApi = _Api, _TrainApi
    namespace: dict = {}
    exec(code.replace("import synapse_nb as snb\n", ""), {"snb": fake, **namespace})
    return captured["state"]


@pytest.mark.parametrize(
    "state",
    [
        snb.TrainState(project_id=1, agent_id=2),
        snb.TrainState(
            project_id=4,
            agent_id=1,
            model="YOLO/yolov8n-det",
            classes=["circle", "square"],
            train_val_split=snb.DatasetsSplit(train_datasets=[1], val_datasets=[2]),
            hyperparameters='epochs: 3\nname_suffix: "x"\n',
            experiment_name="quoted \"name\"",
            enable_speedtest=True,
            export_onnx=True,
            autostart=False,
        ),
        snb.TrainState(project_id=2, agent_id=1, hyperparameters="a: '\\\\'\n", **TUNE, num_cpus=1),
    ],
)
def test_copy_as_code_rebuilds_an_identical_state(state: snb.TrainState) -> None:
    code = state.to_code()
    compile(code, "<copy-as-code>", "exec")
    assert "snb.TrainApi(api).run(" in code
    assert _run_generated_code(code) == state


states = st.builds(
    snb.TrainState,
    project_id=st.integers(1, 10**6),
    model=st.sampled_from(["YOLO/yolo11n-det", "YOLO/yolov8n-det", 5, "/w/best.pt"]),
    classes=st.one_of(st.none(), st.lists(st.text(min_size=1, max_size=8).filter(str.strip), min_size=1, max_size=4)),
    train_val_split=st.one_of(
        st.builds(snb.RandomSplit, percent=st.integers(1, 99), split=st.sampled_from(["train", "val"]), seed=st.integers(0, 99)),
        st.builds(snb.TagsSplit, untagged_action=st.sampled_from(["train", "val", "ignore"])),
    ),
    hyperparameters=st.one_of(st.none(), st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10), max_size=4).map(lambda d: __import__("yaml").safe_dump(d))),
    experiment_name=st.one_of(st.none(), st.text(max_size=30)),
    export_onnx=st.booleans(),
    cache_project=st.booleans(),
)


@settings(max_examples=100, deadline=None)
@given(state=states)
def test_any_valid_state_round_trips_through_json(state: snb.TrainState) -> None:
    assert snb.TrainState.model_validate_json(state.to_json()) == state
