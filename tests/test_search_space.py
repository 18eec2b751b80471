"""Search spaces and tune configs: every type, every field rule, Ray objects, the Synapse faults."""

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

import synapse_nb as snb
from synapse_nb.errors import InputError
from synapse_nb.search_space import (
    TIME_ATTR,
    SearchSpace,
    TuneConfig,
    build_scheduler,
    build_search_alg,
    to_ray_tune_config,
    total_trials,
)

# The example of every type from the Synapse tuning docs.
EXAMPLES: dict[str, dict[str, Any]] = {
    "uniform": {"name": "lr", "type": "uniform", "min": 0.0001, "max": 0.01},
    "quniform": {"name": "lr", "type": "quniform", "min": 0.0001, "max": 0.01},
    "loguniform": {"name": "lr", "type": "loguniform", "min": 0.0001, "max": 0.01, "base": 10},
    "qloguniform": {"name": "lr", "type": "qloguniform", "min": 0.0001, "max": 0.01, "base": 10},
    "randn": {"name": "noise", "type": "randn", "mean": 0.0, "sd": 1.0},
    "qrandn": {"name": "noise", "type": "qrandn", "mean": 0.0, "sd": 1.0},
    "randint": {"name": "epochs", "type": "randint", "min": 5, "max": 15},
    "qrandint": {"name": "epochs", "type": "qrandint", "min": 5, "max": 15},
    "lograndint": {"name": "units", "type": "lograndint", "min": 16, "max": 256, "base": 2},
    "qlograndint": {"name": "units", "type": "qlograndint", "min": 16, "max": 256, "base": 2},
    "choice": {"name": "optimizer", "type": "choice", "options": ["adam", "sgd"]},
    "grid_search": {"name": "batch_size", "type": "grid_search", "options": [16, 32, 64]},
}
INT_TYPES = ("randint", "qrandint", "lograndint", "qlograndint")


def space_of(*entries: dict[str, Any]) -> SearchSpace:
    return SearchSpace.model_validate(list(entries))


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


# -- tune config ---------------------------------------------------------------------------------

SPACE = space_of(
    {"name": "lr0", "type": "loguniform", "min": 1e-4, "max": 1e-2, "base": 10},
    {"name": "momentum", "type": "uniform", "min": 0.6, "max": 0.98},
)


def config(**fields: Any) -> TuneConfig:
    return TuneConfig(**({"mode": "max", "metric": "mAP50"} | fields))


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"metric": "mAP50"}, "mode"),
        ({"mode": "max"}, "metric"),
        ({"mode": "up", "metric": "m"}, "mode"),
        ({"mode": "max", "metric": ""}, "metric"),
        ({"mode": "max", "metric": "m", "num_samples": 0}, "num_samples"),
        ({"mode": "max", "metric": "m", "max_concurrent_trials": 0}, "max_concurrent_trials"),
        ({"mode": "max", "metric": "m", "samples": 3}, "samples"),
        ({"mode": "max", "metric": "m", "search_alg": {"name": "random_forest"}}, "optunasearch"),
        ({"mode": "max", "metric": "m", "scheduler": {"name": "bohb"}}, "medianstopping"),
        ({"mode": "max", "metric": "m", "search_alg": {"name": "optunasearch", "seed": 1}}, "under 'options'"),
        ({"mode": "max", "metric": "m", "search_alg": {"name": "optunasearch", "options": {"seeed": 1}}}, "['seeed']"),
        ({"mode": "max", "metric": "m", "scheduler": {"name": "asha", "options": {"max_epochs": 3}}}, "grace_period"),
        ({"mode": "max", "metric": "m", "scheduler": {"name": "asha", "options": {"metric": "x"}}},
         "set it once in tune_config.metric"),
        ({"mode": "max", "metric": "m", "search_alg": {"name": "hyperoptsearch", "options": {"space": {}}}},
         "hyperparameters list"),
        ({"mode": "max", "metric": "m", "num_samples": 1,
          "search_alg": {"name": "hyperoptsearch", "points_to_evaluate": [{"lr0": 0.01}, {"lr0": 0.001}]}},
         "points_to_evaluate"),
    ],
)
def test_bad_tune_configs_name_the_field(fields: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        TuneConfig(**fields)
    assert fragment in str(info.value)


def test_names_are_case_insensitive_and_shorthand_is_accepted() -> None:
    tuned = config(search_alg="HyperOptSearch", scheduler={"name": "ASHA"})
    assert (tuned.search_alg.name, tuned.scheduler.name) == ("hyperoptsearch", "asha")
    assert config(mode="MIN").mode == "min"


def test_tune_config_round_trips_through_its_dump() -> None:
    tuned = config(num_samples=4, max_concurrent_trials=2,
                   search_alg={"name": "optunasearch", "points_to_evaluate": [{"lr0": 1e-3}], "options": {"seed": 3}},
                   scheduler={"name": "hyperband", "options": {"max_t": 9}})
    assert TuneConfig.model_validate(json.loads(json.dumps(tuned.model_dump(exclude_none=True)))) == tuned
    assert snb.TuneConfig is TuneConfig


def test_total_trials_counts_the_grid() -> None:
    grid = space_of(EXAMPLES["grid_search"], {"name": "opt", "type": "grid_search", "options": ["SGD", "Adam"]},
                    EXAMPLES["uniform"])
    assert total_trials(config(num_samples=2), grid) == 12
    assert config(num_samples=5).total_trials(SPACE) == 5


# -- real Ray objects --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "class_name"),
    [("basicvariantgenerator", "BasicVariantGenerator"), ("hyperoptsearch", "HyperOptSearch"),
     ("bayesoptsearch", "BayesOptSearch"), ("optunasearch", "OptunaSearch")],
)
def test_every_search_algorithm_builds_and_takes_metric_mode_and_space_from_the_tuner(name: str,
                                                                                     class_name: str) -> None:
    tuned = config(num_samples=3, search_alg={"name": name, "points_to_evaluate": [{"lr0": 1e-3, "momentum": 0.9}]})
    searcher = build_search_alg(tuned, SPACE)
    assert type(searcher).__name__ == class_name
    if name != "basicvariantgenerator":
        assert searcher.metric is None  # set once, by the Tuner: Ray refuses it twice
        assert searcher._points_to_evaluate == [{"lr0": 1e-3, "momentum": 0.9}]
        assert searcher.set_search_properties("mAP50", "max", SPACE.to_ray()) is True
    assert build_search_alg(config(), SPACE) is None


def test_search_algorithm_options_reach_the_ray_object() -> None:
    tuned = config(search_alg={"name": "hyperoptsearch", "options": {"n_initial_points": 3, "random_state_seed": 5}})
    searcher = build_search_alg(tuned, SPACE)
    assert searcher.algo.keywords["n_startup_jobs"] == 3
    assert searcher._points_to_evaluate is None


@pytest.mark.parametrize(
    ("name", "class_name"),
    [("fifo", "FIFOScheduler"), ("hyperband", "HyperBandScheduler"), ("asha", "AsyncHyperBandScheduler"),
     ("medianstopping", "MedianStoppingRule"), ("pbt", "PopulationBasedTraining")],
)
def test_every_scheduler_builds(name: str, class_name: str) -> None:
    scheduler = build_scheduler(config(scheduler={"name": name}), SPACE, default_max_t=12)
    assert type(scheduler).__name__ == class_name
    if name != "fifo":
        assert scheduler._time_attr == TIME_ATTR
        assert scheduler.set_search_properties("mAP50", "max") is True


def test_no_scheduler_means_fifo() -> None:
    assert type(build_scheduler(config(), SPACE)).__name__ == "FIFOScheduler"


@pytest.mark.parametrize(("name", "attribute"), [("hyperband", "_max_t_attr"), ("asha", "_max_t")])
def test_hyperband_and_asha_need_a_max_t(name: str, attribute: str) -> None:
    # Without max_t the Synapse SDK's HyperBand/ASHA trials hung; ours refuse before submission.
    with pytest.raises(InputError, match="tune_config.scheduler.options.max_t"):
        build_scheduler(config(scheduler={"name": name}), SPACE)
    assert getattr(build_scheduler(config(scheduler={"name": name}), SPACE, default_max_t=7), attribute) == 7
    explicit = config(scheduler={"name": name, "options": {"max_t": 5}})
    assert getattr(build_scheduler(explicit, SPACE, default_max_t=7), attribute) == 5
    with pytest.raises(InputError, match="integer >= 1"):
        build_scheduler(config(scheduler={"name": name, "options": {"max_t": 0}}), SPACE)


def test_pbt_mutates_the_search_space_unless_told_otherwise() -> None:
    grid = space_of(*SPACE.to_payload(), EXAMPLES["grid_search"])
    scheduler = build_scheduler(config(scheduler={"name": "pbt"}), grid, default_max_t=8)
    assert list(scheduler._hyperparam_mutations) == ["lr0", "momentum", "batch_size"]
    assert scheduler._hyperparam_mutations["batch_size"] == [16, 32, 64]
    assert scheduler._perturbation_interval == 2
    given_mutations = config(scheduler={"name": "pbt", "options": {"hyperparam_mutations": {"lr0": [1e-3, 1e-2]}}})
    assert build_scheduler(given_mutations, SPACE)._hyperparam_mutations == {"lr0": [1e-3, 1e-2]}
    with pytest.raises(InputError, match="hyperparam_mutations"):
        build_scheduler(config(scheduler={"name": "pbt", "options": {"hyperparam_mutations": {"lr": [1]}}}), SPACE)
    with pytest.raises(InputError, match="tune_config.search_alg"):
        build_scheduler(config(search_alg="optunasearch", scheduler="pbt"), SPACE)


@pytest.mark.parametrize(
    ("algorithm", "entry", "fragment"),
    [
        ("bayesoptsearch", EXAMPLES["choice"], "bayesoptsearch accepts only continuous"),
        ("bayesoptsearch", EXAMPLES["randint"], "bayesoptsearch accepts only continuous"),
        ("bayesoptsearch", EXAMPLES["randn"], "bounded"),
        ("bayesoptsearch", EXAMPLES["quniform"], "unquantized"),
        ("optunasearch", EXAMPLES["qloguniform"], "quantize a log scale"),
        ("bayesoptsearch", EXAMPLES["grid_search"], "grid_search runs only with basicvariantgenerator"),
        ("hyperoptsearch", EXAMPLES["grid_search"], "use type 'choice'"),
        ("optunasearch", EXAMPLES["qrandn"], "normal"),
        ("optunasearch", EXAMPLES["qlograndint"] | {"q": 16}, "q: expected 1"),
    ],
)
def test_search_algorithms_refuse_parameters_they_cannot_search(algorithm: str, entry: dict[str, Any],
                                                                fragment: str) -> None:
    space = space_of(*SPACE.to_payload(), entry)
    tuned = config(search_alg={"name": algorithm})
    with pytest.raises(InputError) as info:
        tuned.check_space(space)
    assert f"hyperparameters[2] {entry['name']!r}" in str(info.value) and fragment in str(info.value)
    with pytest.raises(InputError, match=fragment):
        build_search_alg(tuned, space)


def test_every_search_algorithm_keeps_the_bounds_and_steps() -> None:
    # Ray's Optuna/HyperOpt converters read integer bounds differently from Ray's own sampler;
    # the space we send means the same range for all of them.
    space = space_of(
        {"name": "a", "type": "randint", "min": 1, "max": 3},
        {"name": "b", "type": "qrandint", "min": 1, "max": 3},
        {"name": "c", "type": "lograndint", "min": 1, "max": 3, "base": 2},
        {"name": "d", "type": "qlograndint", "min": 1, "max": 3, "base": 2},
        {"name": "e", "type": "qrandint", "min": 5, "max": 15, "q": 4},
        {"name": "f", "type": "quniform", "min": 0.2, "max": 0.5, "q": 0.1},
    )
    expected = {"a": {1, 2, 3}, "b": {1, 2, 3}, "c": {1, 2, 3}, "d": {1, 2, 3}, "e": {8, 12}}
    for algorithm in ("hyperoptsearch", "optunasearch"):
        searcher = build_search_alg(config(search_alg={"name": algorithm}), space)
        searcher.set_search_properties("mAP50", "max", space.to_ray())
        suggestions = [searcher.suggest(str(i)) for i in range(60)]
        for name, values in expected.items():
            assert {s[name] for s in suggestions} == values, (algorithm, name)
        assert all(0.2 - 1e-9 <= s["f"] <= 0.5 + 1e-9 and abs(s["f"] / 0.1 - round(s["f"] / 0.1)) < 1e-6
                   for s in suggestions), algorithm


@pytest.mark.parametrize(
    ("point", "fragment"),
    [({"lr": 1e-3}, "points_to_evaluate[0]: expected parameter names"),
     ({"lr0": 5.0}, "points_to_evaluate[0].lr0")],
)
def test_points_to_evaluate_must_fit_the_space(point: dict[str, Any], fragment: str) -> None:
    tuned = config(num_samples=2, search_alg={"name": "hyperoptsearch", "points_to_evaluate": [point]})
    with pytest.raises(InputError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        build_search_alg(tuned, SPACE)


def test_bad_option_values_are_input_errors_naming_the_options() -> None:
    tuned = config(scheduler={"name": "asha", "options": {"grace_period": 0}})
    with pytest.raises(InputError, match="tune_config.scheduler.options"):
        build_scheduler(tuned, SPACE, default_max_t=5)


def test_to_ray_tune_config_sets_metric_and_mode_once() -> None:
    tuned = config(num_samples=3, max_concurrent_trials=2, search_alg={"name": "optunasearch"},
                   scheduler={"name": "asha"})
    ray_config = to_ray_tune_config(tuned, SPACE, default_max_t=10)
    assert (ray_config.metric, ray_config.mode, ray_config.num_samples, ray_config.max_concurrent_trials) == (
        "mAP50", "max", 3, 2)
    assert type(ray_config.search_alg).__name__ == "OptunaSearch" and ray_config.search_alg.metric is None
    assert type(ray_config.scheduler).__name__ == "AsyncHyperBandScheduler"
    assert ray_config.scheduler.metric is None
