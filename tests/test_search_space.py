"""Search spaces: every type, every field rule, sampling, the Synapse SDK's conversion faults
(tune configs and the Ray objects they build: test_tune_config.py)."""

from __future__ import annotations

import json
import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from synapse_nb.search_space import SearchSpace
from search_space_examples import EXAMPLES, INT_TYPES, space_of


def error_of(entries: list[Any]) -> str:
    with pytest.raises(ValidationError) as info:
        SearchSpace.model_validate(entries)
    return str(info.value)


def samples(domain: Any, size: int, seed: int) -> list[Any]:
    values = domain.sample(size=size, random_state=seed)
    return list(values) if size > 1 else [values]


# -- every type ------------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", list(EXAMPLES))
def test_every_documented_example_parses_and_round_trips(type_name: str) -> None:
    space = space_of(EXAMPLES[type_name])
    assert space.names == [EXAMPLES[type_name]["name"]]
    assert space.to_payload() == [EXAMPLES[type_name]]
    assert SearchSpace.model_validate(json.loads(json.dumps(space.to_payload()))) == space
    assert SearchSpace.model_validate(space) == space


def test_the_twelve_types_become_the_matching_ray_domains() -> None:
    from ray.tune.search.sample import Categorical, Float, Integer, LogUniform, Normal, Quantized

    ray_space = space_of(*(example | {"name": type_name} for type_name, example in EXAMPLES.items())).to_ray()
    kinds = {
        "uniform": (Float, None), "quniform": (Float, Quantized), "loguniform": (Float, LogUniform),
        "qloguniform": (Float, Quantized), "randn": (Float, Normal), "qrandn": (Float, Quantized),
        "randint": (Integer, None), "qrandint": (Integer, None), "lograndint": (Integer, LogUniform),
        "qlograndint": (Integer, LogUniform), "choice": (Categorical, None),  # integer q defaults to 1
    }
    for type_name, (domain_cls, sampler_cls) in kinds.items():
        domain = ray_space[type_name]
        assert isinstance(domain, domain_cls), type_name
        if sampler_cls is not None:
            assert isinstance(domain.get_sampler(), sampler_cls), type_name
    assert ray_space["grid_search"] == {"grid_search": [16, 32, 64]}
    stepped = space_of({"name": "a", "type": "qrandint", "min": 5, "max": 15, "q": 4},
                       {"name": "b", "type": "qlograndint", "min": 16, "max": 250, "base": 2, "q": 16}).to_ray()
    assert [(d.lower, d.upper, d.get_sampler().q) for d in stepped.values()] == [(8, 12, 4), (16, 240, 16)]


def test_space_views() -> None:
    space = space_of(EXAMPLES["loguniform"], EXAMPLES["grid_search"],
                     {"name": "opt", "type": "grid_search", "options": ["SGD", "Adam"]})
    assert space.names == ["lr", "batch_size", "opt"]
    assert space.grid_size() == 6
    assert space_of(EXAMPLES["uniform"]).grid_size() == 1
    assert space["lr"].type == "loguniform" and len(space) == 3
    assert not space.is_continuous_only()
    floats = [EXAMPLES[t] | {"name": t} for t in ("uniform", "quniform", "loguniform", "qloguniform", "randn", "qrandn")]
    assert space_of(*floats).is_continuous_only()
    for other in ("randint", "choice", "grid_search"):
        assert not space_of(*floats, EXAMPLES[other] | {"name": other}).is_continuous_only()


# -- field rules: each error names the entry and the key -------------------------------------


@pytest.mark.parametrize(
    ("entry", "fragments"),
    [
        ({"type": "uniform", "min": 0, "max": 1}, ["hyperparameters[0]", "name"]),
        ({"name": " ", "type": "uniform", "min": 0, "max": 1}, ["hyperparameters[0]", "name"]),
        ({"name": "lr", "min": 0, "max": 1}, ["'lr'", "type", "grid_search"]),
        ({"name": "lr", "type": "normal", "mean": 0, "sd": 1}, ["'lr'", "type", "'normal'", "randn"]),
        ({"name": "lr", "type": "loguniform", "min": 1e-4, "max": 1e-2}, ["'lr'", "base", "required"]),
        ({"name": "lr", "type": "qloguniform", "min": 1e-4, "max": 1e-2}, ["'lr'", "base", "required"]),
        ({"name": "u", "type": "lograndint", "min": 16, "max": 256}, ["'u'", "base", "required"]),
        ({"name": "u", "type": "qlograndint", "min": 16, "max": 256}, ["'u'", "base", "required"]),
        ({"name": "lr", "type": "loguniform", "min": 1e-4, "max": 1e-2, "base": 1}, ["'lr'", "base", "!= 1"]),
        ({"name": "lr", "type": "loguniform", "min": 1e-4, "max": 1e-2, "base": -2}, ["'lr'", "base", "> 0"]),
        ({"name": "o", "type": "choice", "values": ["a"]}, ["'o'", "use 'options', not 'values'"]),
        ({"name": "o", "type": "grid_search", "values": ["a"]}, ["'o'", "use 'options', not 'values'"]),
        ({"name": "lr", "type": "uniform", "lower": 0, "max": 1}, ["'lr'", "use 'min', not 'lower'"]),
        ({"name": "lr", "type": "randint", "min": 0, "upper": 1}, ["'lr'", "use 'max', not 'upper'"]),
        ({"name": "o", "type": "choice", "options": []}, ["'o'", "options", "non-empty"]),
        ({"name": "lr", "type": "uniform", "min": 0, "max": 1, "step": 2},
         ["'lr'", "['step']", "['name', 'type', 'min', 'max']"]),
        ({"name": "lr", "type": "uniform", "min": 0, "max": 1, "q": 0.1}, ["'lr'", "['q']", "use type 'quniform'"]),
        ({"name": "lr", "type": "uniform", "min": 0, "max": 1, "base": 10}, ["'lr'", "['base']", "log types"]),
        ({"name": "lr", "type": "uniform", "min": 1, "max": 1}, ["'lr'", "max", "greater than min"]),
        ({"name": "e", "type": "randint", "min": 9, "max": 3}, ["'e'", "max", "greater than min"]),
        ({"name": "lr", "type": "loguniform", "min": 0, "max": 1, "base": 10}, ["'lr'", "min", "> 0"]),
        ({"name": "u", "type": "lograndint", "min": 0, "max": 8, "base": 2}, ["'u'", "min", "> 0"]),
        ({"name": "n", "type": "randn", "mean": 0, "sd": 0}, ["'n'", "sd", "greater than 0"]),
        ({"name": "n", "type": "randn", "mean": 0}, ["'n'", "sd", "required"]),
        ({"name": "n", "type": "qrandn", "mean": 0, "sd": 1, "q": -1}, ["'n'", "q", "greater than 0"]),
        ({"name": "lr", "type": "quniform", "min": 0, "max": 1, "q": 0}, ["'lr'", "q", "greater than 0"]),
        ({"name": "lr", "type": "quniform", "min": 0.1, "max": 0.2, "q": 1}, ["'lr'", "q", "multiples of q"]),
        ({"name": "lr", "type": "quniform", "min": 0.15, "max": 1, "q": 0.1}, ["'lr'", "q", "min / q = 1.5"]),
        ({"name": "lr", "type": "qloguniform", "min": 1e-4, "max": 0.0105, "base": 10, "q": 1e-3},
         ["'lr'", "q", "divides min and max"]),
        ({"name": "b", "type": "qrandint", "min": 1, "max": 64, "q": 0}, ["'b'", "q", "greater than or equal to 1"]),
        ({"name": "b", "type": "qrandint", "min": 1, "max": 64, "q": 2.5}, ["'b'", "q", "integer"]),
        ({"name": "b", "type": "qrandint", "min": 9, "max": 15, "q": 16}, ["'b'", "q", "multiple of q"]),
        ({"name": "e", "type": "randint", "min": 1.5, "max": 5}, ["'e'", "min", "integer"]),
        ({"name": "lr", "type": "uniform", "min": True, "max": 5}, ["'lr'", "min", "not true/false"]),
        ({"name": "lr", "type": "uniform", "min": 0, "max": float("inf")}, ["'lr'", "max", "finite"]),
    ],
)
def test_bad_entries_name_the_parameter_and_the_key(entry: dict[str, Any], fragments: list[str]) -> None:
    message = error_of([EXAMPLES["choice"], entry])
    assert "hyperparameters[1]" in message
    for fragment in fragments:
        assert fragment.replace("[0]", "[1]") in message


def test_error_message_shape() -> None:
    message = error_of([EXAMPLES["choice"], {"name": "lr0", "type": "loguniform", "min": 1e-4, "max": 1e-2, "base": 1}])
    assert "hyperparameters[1] 'lr0': base: expected a number > 0 and != 1" in message


def test_names_are_unique() -> None:
    message = error_of([EXAMPLES["uniform"], EXAMPLES["quniform"]])
    assert "hyperparameters[1] 'lr': name" in message and "hyperparameters[0] has it too" in message


@pytest.mark.parametrize("value", [{"name": "lr"}, "lr", 3])
def test_the_space_is_a_list_of_objects(value: Any) -> None:
    message = error_of(value if isinstance(value, dict) else [value])
    assert "hyperparameters" in message


# -- the Synapse SDK's conversion faults --------------------------------------------------------


def test_quantized_types_without_q_get_their_documented_default() -> None:
    # The Synapse SDK called tune.quniform / tune.qrandn without q: a TypeError at submission.
    ray_space = space_of(
        {"name": "m", "type": "quniform", "min": 0.5, "max": 1.5},
        {"name": "n", "type": "qrandn", "mean": 0.0, "sd": 2.0},
        {"name": "lr", "type": "qloguniform", "min": 1e-4, "max": 1e-2, "base": 10},
        {"name": "e", "type": "qrandint", "min": 1, "max": 9},
        {"name": "u", "type": "qlograndint", "min": 16, "max": 256, "base": 2},
    ).to_ray()
    steps = {name: ray_space[name].get_sampler().q for name in ("m", "n", "lr")}
    assert steps == pytest.approx({"m": 0.01, "n": 0.2, "lr": 1e-4})
    # integer q defaults to 1: the plain integer domain, the same range for every search algorithm
    assert [type(ray_space[name].get_sampler()).__name__ for name in ("e", "u")] == ["_Uniform", "_LogUniform"]


def test_base_is_never_passed_as_q() -> None:
    # The Synapse SDK passed base as q for qloguniform and qlograndint.
    ray_space = space_of(
        {"name": "lr", "type": "qloguniform", "min": 5e-4, "max": 1e-2, "base": 10, "q": 5e-4},
        {"name": "u", "type": "qlograndint", "min": 16, "max": 256, "base": 2, "q": 16},
        {"name": "v", "type": "qlograndint", "min": 3, "max": 100, "base": 10},
    ).to_ray()
    assert ray_space["lr"].get_sampler().q == 5e-4
    assert ray_space["u"].get_sampler().q == 16
    assert not hasattr(ray_space["v"].get_sampler(), "q")
    values = samples(ray_space["v"], 500, seed=1)
    assert any(v % 10 for v in values)  # base 10 as q would give only multiples of 10


def test_base_is_validated_but_not_sent_to_ray() -> None:
    from ray.util.annotations import RayDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", RayDeprecationWarning)
        space_of(*(EXAMPLES[t] | {"name": t} for t in ("loguniform", "qloguniform", "lograndint", "qlograndint"))).to_ray()


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "e", "type": "randint", "min": 3, "max": 7},
        {"name": "e", "type": "qrandint", "min": 3, "max": 7},
        {"name": "e", "type": "qrandint", "min": 4, "max": 12, "q": 4},
        {"name": "e", "type": "lograndint", "min": 1, "max": 5, "base": 2},
        {"name": "e", "type": "qlograndint", "min": 1, "max": 5, "base": 2},
        {"name": "e", "type": "qlograndint", "min": 2, "max": 8, "base": 2, "q": 2},
    ],
)
def test_integer_max_is_inclusive(entry: dict[str, Any]) -> None:
    # Our max is inclusive for every integer type; Ray's randint/lograndint (and q=1) exclude it.
    domain = space_of(entry).to_ray()["e"]
    values = samples(domain, 3000, seed=7)
    assert max(values) == entry["max"] and min(values) == entry["min"]
    assert all(isinstance(v, (int, np.integer)) for v in values)


# -- properties of sampling and round trips -----------------------------------------------------

_ranges = st.tuples(st.floats(-1e4, 1e4), st.floats(1e-3, 1e4)).map(lambda t: (t[0], t[0] + t[1]))
_log_ranges = st.tuples(st.floats(1e-5, 1e3), st.floats(1.01, 1e4)).map(lambda t: (t[0], t[0] * t[1]))
_int_ranges = st.tuples(st.integers(-500, 500), st.integers(1, 500)).map(lambda t: (t[0], t[0] + t[1]))
_log_int_ranges = st.tuples(st.integers(1, 500), st.integers(1, 500)).map(lambda t: (t[0], t[0] + t[1]))
_bases = st.sampled_from([2, 10, 2.718281828459045, 0.5])
# Steps and bounds as people write them: a few significant digits.
_decimal_steps = st.builds(lambda c, e: float(f"{c}e{e}"), st.integers(1, 9), st.integers(-4, 2))
_decimals = st.builds(lambda n, e: float(f"{n}e{e}"), st.integers(-99999, 99999), st.integers(-5, 0))


@st.composite
def _quantized_float_bounds(draw: st.DrawFn, log: bool) -> dict[str, Any]:
    if draw(st.booleans()):  # explicit q: the bounds are multiples of it, as Ray requires
        q = draw(_decimal_steps)
        low = draw(st.integers(1 if log else -1000, 1000))
        return {"min": low * q, "max": (low + draw(st.integers(1, 1000))) * q, "q": q}
    low = draw(_decimals.filter(lambda v: v > 0) if log else _decimals)
    return {"min": low, "max": low + abs(draw(_decimals.filter(lambda v: v != 0)))}


@st.composite
def params(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(list(EXAMPLES)))
    entry: dict[str, Any] = {"name": "p", "type": kind}
    if kind == "uniform":
        entry["min"], entry["max"] = draw(_ranges)
    elif kind == "loguniform":
        entry["min"], entry["max"] = draw(_log_ranges)
    elif kind in ("quniform", "qloguniform"):
        entry |= draw(_quantized_float_bounds(log=kind == "qloguniform"))
    elif kind in ("randn", "qrandn"):
        entry["mean"], entry["sd"] = draw(st.floats(-100, 100)), draw(st.floats(1e-3, 100))
        if kind == "qrandn" and draw(st.booleans()):
            entry["q"] = entry["sd"] * draw(st.floats(0.01, 1))
    elif kind in ("randint", "qrandint"):
        entry["min"], entry["max"] = draw(_int_ranges)
    elif kind in ("lograndint", "qlograndint"):
        entry["min"], entry["max"] = draw(_log_int_ranges)
    else:
        entry["options"] = draw(st.lists(st.one_of(st.integers(), st.text(max_size=5)), min_size=1, max_size=5))
    if kind in ("qrandint", "qlograndint") and draw(st.booleans()):
        q = draw(st.integers(1, entry["max"] - entry["min"]))
        if math.floor(entry["max"] / q) >= math.ceil(entry["min"] / q):
            entry["q"] = q
    if "log" in kind:
        entry["base"] = draw(_bases)
    # payload key order: name, type, bounds, base, q
    return {key: entry[key] for key in ("name", "type", "min", "max", "mean", "sd", "base", "q", "options")
            if key in entry}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entry=params(), seed=st.integers(0, 2**31 - 1))
def test_samples_stay_in_bounds_have_the_right_type_and_step(entry: dict[str, Any], seed: int) -> None:
    space = space_of(entry)
    param = space["p"]
    domain = space.to_ray()["p"]
    if entry["type"] == "grid_search":
        assert domain == {"grid_search": entry["options"]}
        return
    for value in samples(domain, 20, seed):
        if entry["type"] == "choice":
            assert value in entry["options"]
            continue
        if "min" in entry:
            tolerance = 1e-9 * max(1.0, abs(entry["min"]), abs(entry["max"]))
            assert entry["min"] - tolerance <= value <= entry["max"] + tolerance
        if entry["type"] in INT_TYPES:
            assert isinstance(value, (int, np.integer))
        if param.step is not None:
            index = value / param.step
            assert abs(index - round(index)) <= 1e-6 * max(1.0, abs(index))


@settings(max_examples=150, deadline=None)
@given(entries=st.lists(params(), min_size=1, max_size=4))
def test_payload_round_trips(entries: list[dict[str, Any]]) -> None:
    entries = [entry | {"name": f"p{i}"} for i, entry in enumerate(entries)]
    space = space_of(*entries)
    assert space.to_payload() == entries
    again = SearchSpace.model_validate(json.loads(json.dumps(space.to_payload())))
    assert again == space and again.to_payload() == space.to_payload()
