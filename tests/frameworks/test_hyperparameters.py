"""YOLO hyperparameters: the shipped defaults, and validation before any training starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ultralytics.cfg import CFG_FRACTION_KEYS, DEFAULT_CFG_DICT

from synapse_nb.errors import InputError
from synapse_nb.frameworks import get_framework
from synapse_nb.frameworks.ultralytics_yolo import hyperparameters as hp

yolo = get_framework("YOLO")

# Where the shipped defaults knowingly differ from ultralytics' own.
OUR_DIFFERENCES = {"workers": 0}


def field_of(call) -> InputError:
    with pytest.raises(InputError) as caught:
        call()
    return caught.value


def test_the_defaults_are_commented_yaml_with_ultralytics_names_and_values() -> None:
    text = yolo.default_hyperparameters()
    values = hp.default_values()
    assert "# " in text and len(values) >= 30
    for key, value in values.items():
        assert key in DEFAULT_CFG_DICT, key
        assert value == OUR_DIFFERENCES.get(key, DEFAULT_CFG_DICT[key]), key
    assert yolo.validate_hyperparameters(text) == values  # the defaults pass their own validation


def test_every_line_of_the_defaults_is_explained() -> None:
    for line in yolo.default_hyperparameters().splitlines():
        if line and not line.startswith((" ", "#")):
            assert "#" in line, f"no comment on {line!r}"


def test_valid_values_come_back_canonical() -> None:
    checked = yolo.validate_hyperparameters("epochs: 100.0\nbatch: 8.0\noptimizer: adamw\nlr0: 0.001\nquantize: fp16\n")
    assert checked == {"epochs": 100, "batch": 8, "optimizer": "adamw", "lr0": 0.001, "quantize": 16}
    assert yolo.validate_hyperparameters({"imgsz": 64, "amp": "bf16", "batch": -1}) == {"imgsz": 64, "amp": "bf16", "batch": -1}
    assert yolo.validate_hyperparameters(None) == {} and yolo.validate_hyperparameters("  ") == {}


def test_an_unknown_key_is_named_with_the_closest_valid_names() -> None:
    err = field_of(lambda: yolo.validate_hyperparameters("epoch: 10"))
    assert err.field == "hyperparameters.epoch"
    assert "Did you mean epochs" in str(err)
    err = field_of(lambda: yolo.validate_hyperparameters({"learning_rate": 0.1}))
    assert err.field == "hyperparameters.learning_rate"


@pytest.mark.parametrize("key", ["data", "model", "project", "name", "exist_ok", "resume", "device"])
def test_keys_the_toolkit_sets_are_refused_with_the_reason(key: str) -> None:
    err = field_of(lambda: yolo.validate_hyperparameters({key: "x"}))
    assert err.field == f"hyperparameters.{key}"
    assert "set by the toolkit" in str(err)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("epochs: ten", "epochs"),
        ("epochs: 0", "epochs"),
        ("epochs: true", "epochs"),
        ("epochs: 2.5", "epochs"),
        ("lr0: 2.0", "lr0"),
        ("lr0: fast", "lr0"),
        ("momentum: -0.1", "momentum"),
        ("fliplr: 1.5", "fliplr"),
        ("plots: 'yes'", "plots"),
        ("cos_lr: 1", "cos_lr"),
        ("patience: -1", "patience"),
        ("imgsz: 16", "imgsz"),
        ("imgsz: [640, 480]", "imgsz"),
        ("batch: 0", "batch"),
        ("batch: 1.5", "batch"),
        ("optimizer: adamm", "optimizer"),
        ("workers: -2", "workers"),
        ("close_mosaic: -1", "close_mosaic"),
        ("amp: fp8", "amp"),
        ("time: 0", "time"),
        ("pretrained: yolo11n.pt", "pretrained"),
        ("epochs: null", "epochs"),
    ],
)
def test_bad_values_are_refused_naming_the_key(text: str, key: str) -> None:
    err = field_of(lambda: yolo.validate_hyperparameters(text))
    assert err.field == f"hyperparameters.{key}"


def test_a_misspelled_optimizer_gets_a_suggestion() -> None:
    assert "Did you mean AdamW" in str(field_of(lambda: yolo.validate_hyperparameters("optimizer: AdammW")))


def test_broken_yaml_points_at_the_line() -> None:
    err = field_of(lambda: yolo.validate_hyperparameters("epochs: 3\nlr0: [0.1\n"))
    assert err.field == "hyperparameters" and "line" in str(err)
    assert field_of(lambda: yolo.validate_hyperparameters("- epochs")).field == "hyperparameters"


def test_a_local_pretrained_file_is_accepted(tmp_path: Path) -> None:
    weights = tmp_path / "mine.pt"
    weights.write_bytes(b"x")
    assert yolo.validate_hyperparameters({"pretrained": str(weights)}) == {"pretrained": str(weights)}
    assert yolo.validate_hyperparameters({"pretrained": False}) == {"pretrained": False}


def test_lr0_under_the_auto_optimizer_warns_that_it_is_ignored(caplog: pytest.LogCaptureFixture) -> None:
    yolo.validate_hyperparameters("lr0: 0.002")
    assert "ignores lr0" in caplog.text
    caplog.clear()
    yolo.validate_hyperparameters("lr0: 0.002\noptimizer: SGD")
    assert "ignores" not in caplog.text


@settings(max_examples=60, deadline=None)
@given(key=st.sampled_from(sorted(CFG_FRACTION_KEYS - {"fraction", "conf", "iou"})), value=st.floats(allow_nan=False))
def test_fractions_are_accepted_exactly_in_the_unit_interval(key: str, value: float) -> None:
    if 0.0 <= value <= 1.0:
        assert hp.validate({key: value}) == {key: value}
    else:
        with pytest.raises(InputError) as caught:
            hp.validate({key: value})
        assert caught.value.field == f"hyperparameters.{key}"


@settings(max_examples=60, deadline=None)
@given(key=st.text(min_size=1, max_size=20).filter(lambda k: k not in DEFAULT_CFG_DICT))
def test_no_unknown_key_ever_passes(key: str) -> None:
    with pytest.raises(InputError) as caught:
        hp.validate({key: 1})
    assert caught.value.field == f"hyperparameters.{key}"
