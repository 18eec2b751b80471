"""The pure rules of a search's end: which trial is best at an equal budget, the Pareto
front of a multi-objective search, failure codes, and when a search gives up.

A real search proves each of them end to end in test_tuning_equal_budget.py; these cover
the cases a search cannot cheaply set up (every code, every scope, ties)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_nb.actions.train.tune.best import choose_best, pareto_front, select_best
from synapse_nb.actions.train.tune.failures import FAILURE_CODES, Failure, TrialFailure, classify
from synapse_nb.actions.train.tune.guard import SearchGuard, read_stop_reason
from synapse_nb.search_space import TuneConfig

# The watched ASHA search: the 1-epoch trial's last value beats the full-budget trial's.
ASHA_TRIALS = [
    {"trial_id": "full", "iterations": 4, "metrics": {"score": 0.3}, "history": {1: 0.9, 2: 0.7, 3: 0.5, 4: 0.3}},
    {"trial_id": "early", "iterations": 1, "metrics": {"score": 0.6}, "history": {1: 0.6}},
    {"trial_id": "half", "iterations": 2, "metrics": {"score": 0.8}, "history": {1: 0.95, 2: 0.8}},
    {"trial_id": "failed", "iterations": 0, "metrics": {}, "status": "ERROR"},
]


def test_the_last_value_rule_is_fooled_by_an_early_stopped_trial() -> None:
    assert choose_best(ASHA_TRIALS, "score", "max", "last").trial_id == "half"


def test_max_budget_compares_only_the_trials_that_ran_the_whole_budget() -> None:
    choice = choose_best(ASHA_TRIALS, "score", "max", "max_budget")
    assert (choice.trial_id, choice.budget, choice.candidates) == ("full", 4, 1)
    assert "ran 4 iterations" in choice.describe("score")


def test_all_compares_every_trial_at_the_last_iteration_they_all_reached() -> None:
    choice = choose_best(ASHA_TRIALS, "score", "max", "all")
    assert (choice.trial_id, choice.budget, choice.value, choice.candidates) == ("half", 1, 0.95, 3)
    assert choose_best(ASHA_TRIALS, "score", "min", "all").trial_id == "early"


def test_max_budget_is_the_default_under_early_stopping_schedulers_only() -> None:
    assert TuneConfig(mode="max", metric="score", scheduler="asha").resolved_best_scope == "max_budget"
    assert TuneConfig(mode="max", metric="score", scheduler="hyperband").resolved_best_scope == "max_budget"
    assert TuneConfig(mode="max", metric="score").resolved_best_scope == "last"
    assert TuneConfig(mode="max", metric="score", scheduler="asha", best_scope="last").resolved_best_scope == "last"
    assert select_best(None, ASHA_TRIALS, TuneConfig(mode="max", metric="score", scheduler="asha")).trial_id == "full"


def test_a_bad_best_scope_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="best_scope"):
        TuneConfig(mode="max", metric="score", best_scope="first")


@given(st.lists(st.tuples(st.floats(-10, 10), st.floats(-10, 10)), min_size=1, max_size=12))
def test_the_pareto_front_is_exactly_the_undominated_trials(points: list[tuple[float, float]]) -> None:
    trials = [{"trial_id": f"t{i}", "metrics": {"map": a, "ms": b}} for i, (a, b) in enumerate(points)]
    front = set(pareto_front(trials, ["map", "ms"], ["max", "min"]))
    for i, (a, b) in enumerate(points):
        dominated = any(c >= a and d <= b and (c > a or d < b) for c, d in points)
        assert (f"t{i}" in front) == (not dominated)


def test_a_two_objective_config_picks_the_best_of_the_front_by_the_first_metric() -> None:
    config = TuneConfig(metric=["map", "ms"], mode=["max", "min"], search_alg="optunasearch")
    trials = [{"trial_id": "a", "metrics": {"map": 0.5, "ms": 10}}, {"trial_id": "b", "metrics": {"map": 0.4, "ms": 5}},
              {"trial_id": "c", "metrics": {"map": 0.3, "ms": 8}}]
    choice = select_best(None, trials, config)
    assert choice.trial_id == "a" and choice.pareto == ["a", "b"]
    assert choice.as_result("map")["pareto_front"] == ["a", "b"]


@pytest.mark.parametrize(("config", "field"), [
    ({"metric": ["map", "ms"], "mode": "max"}, "tune_config.mode"),
    ({"metric": ["map", "ms"], "mode": ["max", "min"]}, "tune_config.search_alg"),
    ({"metric": ["map", "ms"], "mode": ["max", "min"], "search_alg": "optunasearch", "scheduler": "asha"},
     "tune_config.scheduler"),
    ({"metric": ["map", "map"], "mode": ["max", "min"], "search_alg": "optunasearch"}, "tune_config.metric"),
])
def test_a_multi_objective_config_that_cannot_run_is_refused(config: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field.replace(".", r"\.")):
        TuneConfig(**config)


def test_a_two_objective_config_reaches_optuna_as_lists() -> None:
    from synapse_nb.search_space import SearchSpace, to_ray_tune_config

    space = SearchSpace.model_validate([{"name": "x", "type": "uniform", "min": 0.0, "max": 1.0}])
    built = to_ray_tune_config(TuneConfig(metric=["map", "ms"], mode=["max", "min"], search_alg="optunasearch"), space)
    assert built.metric is None and built.search_alg._metric == ["map", "ms"]  # Ray's TuneConfig takes one metric


@pytest.mark.parametrize(("error", "code"), [
    (RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB"), "out_of_memory"),
    ("torch.OutOfMemoryError: CUDA out of memory", "out_of_memory"),
    (MemoryError(), "out_of_memory"),
    (RuntimeError("CUDA error: device-side assert triggered"), "cuda_error"),
    (RuntimeError("Found no NVIDIA driver on your system"), "cuda_error"),
    (FileNotFoundError("dataset.yaml does not exist"), "data_error"),
    ("ray.exceptions.ActorDiedError: The actor died unexpectedly before finishing this task", "lost_worker"),
    ("ValueError: Could not recover from checkpoint as it does not exist on storage anymore. Got storage fs type "
     "`s3` and path: experiments/searches/search-1/trial_a_00001/checkpoint_000001", "checkpoint_missing"),
    ("TrialFailure: [configuration_error] InputError: tune_config.metric: expected ...", "configuration_error"),
    (ValueError("this trial fails on purpose"), "plugin_error"),
])
def test_failures_get_a_code_and_a_remedy(error: Any, code: str) -> None:
    failure = classify(error)
    assert failure.code == code and failure.remedy == FAILURE_CODES[code]
    assert failure.describe().startswith(f"{code}: ")


def test_a_trial_failure_carries_its_code_across_processes_and_into_its_text() -> None:
    failure = classify(torch_oom := RuntimeError("CUDA out of memory"))
    copy = pickle.loads(pickle.dumps(TrialFailure(failure)))
    assert copy.failure == failure and classify(str(copy)).code == "out_of_memory" and torch_oom


def _failure(code: str = "plugin_error") -> Failure:
    return Failure(code=code, message="ValueError: boom", remedy=FAILURE_CODES[code])


def test_the_guard_stops_after_consecutive_failures_and_a_success_resets_the_count(tmp_path: Path) -> None:
    guard = SearchGuard(tmp_path, max_failed_trials=None, max_consecutive_failures=3, idle_timeout=600)
    for trial_id in ("a", "b"):
        guard.count_failure(trial_id, _failure())
    guard.count_success()
    guard.count_failure("c", _failure())
    assert guard.reason is None and not guard.stopper().stop_all()
    guard.count_failure("d", _failure())
    guard.count_failure("e", _failure())
    assert guard.stopper().stop_all() and read_stop_reason(tmp_path)["code"] == "plugin_error"


def test_the_guard_stops_after_max_failed_trials(tmp_path: Path) -> None:
    guard = SearchGuard(tmp_path, max_failed_trials=2, max_consecutive_failures=None, idle_timeout=600)
    guard.count_failure("a", _failure("out_of_memory"))
    guard.count_success()
    guard.count_failure("b", _failure("out_of_memory"))
    assert guard.reason["why"] == "2 trials failed (max_failed_trials=2)" and guard.reason["code"] == "out_of_memory"


def test_the_guard_ends_a_search_whose_trials_wait_with_none_running(tmp_path: Path) -> None:
    guard = SearchGuard(tmp_path, None, None, idle_timeout=10, resources={"cpu": 64, "gpu": 0})
    guard.check_idle(["PENDING"], now=0.0)
    guard.check_idle(["RUNNING", "PENDING"], now=8.0)
    guard.check_idle(["PENDING"], now=17.0)
    assert guard.reason is None  # 9 s since a trial last ran
    guard.check_idle(["PENDING"], now=18.5)
    assert guard.reason["code"] == "no_resources" and "cpu=64" in guard.reason["why"]


def test_a_restored_guard_gives_the_search_a_fresh_chance(tmp_path: Path) -> None:
    guard = SearchGuard(tmp_path, max_failed_trials=None, max_consecutive_failures=1, idle_timeout=600)
    guard.count_failure("a", _failure())
    assert guard.reason is not None
    restored = pickle.loads(pickle.dumps(guard))
    assert restored.reason is None and restored.consecutive == 0 and "a" in restored.failed
    assert not restored.stopper().stop_all() and guard.stopper().stop_all()
