"""Tune configs and the real Ray objects they build: search algorithms, schedulers, their
options and the checks that come before any trial."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

import synapse_nb as snb
from synapse_nb.errors import InputError
from synapse_nb.search_space import (
    TIME_ATTR,
    TuneConfig,
    build_scheduler,
    build_search_alg,
    to_ray_tune_config,
    total_trials,
)
from search_space_examples import EXAMPLES, space_of

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
