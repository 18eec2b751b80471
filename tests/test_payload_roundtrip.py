"""Nothing a user sets is lost between the two run descriptions: every TrainState survives
``to_action_payload()`` and ``from_action_payload()`` unchanged, field for field."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import synapse_nb as snb
from tests.search_space_examples import EXAMPLES

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12).filter(str.strip)
ids = st.lists(st.integers(1, 50), min_size=1, max_size=3, unique=True)
splits = st.one_of(
    st.builds(snb.RandomSplit, percent=st.integers(1, 99), split=st.sampled_from(["train", "val"]),
              seed=st.integers(0, 2**31)),
    st.builds(snb.DatasetsSplit, train_datasets=ids, val_datasets=ids, allow_overlap=st.just(True)),
    st.tuples(names, names, st.sampled_from(["train", "val", "ignore"])).filter(lambda t: t[0] != t[1]).map(
        lambda t: snb.TagsSplit(train_tag=t[0], val_tag=t[1], untagged_action=t[2])),
    st.builds(snb.CollectionsSplit, train_collections=ids, val_collections=ids, allow_overlap=st.just(True)),
    st.builds(snb.DatasetsSplit, train_datasets=st.just([1, 2]), val_datasets=st.just([3])),
)
scalars = st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False) | st.booleans() | st.text(max_size=8)
yaml_texts = st.dictionaries(st.from_regex(r"[a-z][a-z_0-9]{0,7}", fullmatch=True), scalars, max_size=4).flatmap(
    lambda d: st.sampled_from([
        __import__("yaml").safe_dump(d, sort_keys=False),
        "# my settings\n" + __import__("yaml").safe_dump(d, sort_keys=True),  # comments and order as written
        __import__("yaml").safe_dump(d, default_flow_style=True),
    ]))
models = st.one_of(st.sampled_from(["YOLO/yolo11n-det", "YOLO/yolov8n-seg", "/runs/exp/weights/best.pt", "12",
                                    "model:7", "./best.pt"]), st.integers(1, 10**6))
tune_configs = st.builds(
    snb.TuneConfig, mode=st.sampled_from(["max", "min"]), metric=st.sampled_from(["val/mAP50", "accuracy"]),
    num_samples=st.integers(1, 20), max_concurrent_trials=st.none() | st.integers(1, 4),
)


@st.composite
def states(draw: Any) -> snb.TrainState:
    fields: dict[str, Any] = {
        "agent_id": draw(st.none() | st.integers(1, 10**6)),
        "model": draw(models),
        "classes": draw(st.none() | st.lists(names, min_size=1, max_size=4, unique=True)),
        "train_val_split": draw(splits),
        "hyperparameters": draw(st.none() | st.just("") | yaml_texts),
        "experiment_name": draw(st.none() | st.text(max_size=40)),
        "num_cpus": draw(st.none() | st.floats(0.25, 64)),
        "num_gpus": draw(st.none() | st.floats(0, 8)),
        "plugin": draw(st.none() | st.sampled_from(["YOLO", "my_pkg.plugin:MyTrainAction", "my_pkg.plugin:train"])),
        "plugin_params": draw(st.dictionaries(st.sampled_from(["note", "image_size", "freeze_backbone"]),
                                              st.integers(0, 9) | st.text(max_size=6) | st.booleans(), max_size=2)),
    }
    for switch in ("convert_class_shapes", "enable_benchmark", "enable_speedtest", "cache_project", "export_onnx",
                   "export_tensorrt", "autostart"):
        fields[switch] = draw(st.booleans())
    if draw(st.booleans()):
        fields["project_id"] = draw(st.integers(1, 10**6))
    else:
        fields["data_path"] = draw(st.sampled_from(["/data/dataset.yaml", "/data/coco/annotations.json", "rel/raw"]))
    if draw(st.booleans()):
        entries = draw(st.lists(st.sampled_from(sorted(EXAMPLES)), min_size=1, max_size=4, unique=True))
        fields["search_space"] = [{**EXAMPLES[kind], "name": f"{EXAMPLES[kind]['name']}_{i}"}
                                  for i, kind in enumerate(entries)]
        fields["tune_config"] = draw(tune_configs)
        fields["is_tune"] = True
    try:
        return snb.TrainState(**fields)
    except ValidationError:
        assume(False)
        raise


@settings(max_examples=300, deadline=None)
@given(state=states())
def test_every_state_survives_the_action_payload(state: snb.TrainState) -> None:
    payload = state.to_action_payload()
    json.dumps(payload)  # a payload is JSON, as it is sent
    back = snb.TrainState.from_action_payload(json.loads(json.dumps(payload)))
    assert back == state
    for field in snb.TrainState.model_fields:
        assert getattr(back, field) == getattr(state, field), field


def test_the_switches_that_were_dropped_now_travel() -> None:
    state = snb.TrainState(project_id=3, export_onnx=True, enable_benchmark=False, convert_class_shapes=False)
    params = state.to_action_payload()["params"]
    assert (params["export_onnx"], params["enable_benchmark"], params["convert_class_shapes"]) == (True, False, False)
    assert snb.TrainState.from_action_payload(state.to_action_payload()) == state


def test_an_edited_hyperparameter_dict_wins_over_the_stale_text() -> None:
    payload = snb.TrainState(project_id=3, hyperparameters="# tuned\nepochs: 5\n").to_action_payload()
    payload["params"]["hyperparameter"]["epochs"] = 9
    assert snb.TrainState.from_action_payload(payload).hyperparameters_dict == {"epochs": 9}


def test_a_synapse_payload_without_our_keys_takes_the_defaults() -> None:
    state = snb.TrainState.from_action_payload({"action": "train", "params": {"dataset": 2, "hyperparameter": {}}})
    assert state == snb.TrainState(project_id=2)
