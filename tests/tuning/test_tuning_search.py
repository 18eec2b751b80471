"""Search algorithms end to end: random search from a Synapse payload (every quantized type
sampling on its grid), HyperOpt, Optuna with ``task.extend``; ties; a missing metric; and
the mistakes refused before anything is submitted."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import synapse_nb as snb
from synapse_nb.errors import InputError
from tune_plugins import score_of
from tuning_helpers import WAIT, read_ledger, score_search, trials_by_id, upload_lines

pytestmark = pytest.mark.slow

RANDOM_SPACE = [
    {"name": "x", "type": "loguniform", "min": 0.01, "max": 1.0, "base": 10},
    {"name": "y", "type": "choice", "options": ["a", "b"]},
    {"name": "qa", "type": "quniform", "min": 0.0, "max": 1.0, "q": 0.25},
    {"name": "qb", "type": "qrandn", "mean": 0.0, "sd": 2.0, "q": 0.5},
    {"name": "qc", "type": "qloguniform", "min": 0.001, "max": 1.0, "base": 10, "q": 0.001},
    {"name": "qd", "type": "qlograndint", "min": 4, "max": 64, "base": 2, "q": 4},
]


def _multiple_of(value: float, q: float) -> bool:
    return math.isclose(round(value / q) * q, value, abs_tol=1e-9)


def test_random_search_from_a_synapse_payload_with_a_tune_function(api: Any, agent_id: int, project: Any) -> None:
    payload = {"action": "train", "params": {
        "name": "random:search,1", "dataset": project.id, "is_tune": True, "plugin": "tune_function_plugin:tune",
        "hyperparameter": {"epochs": 2}, "hyperparameters": RANDOM_SPACE,
        # No num_gpus: on this CPU-only agent a trial asks for no GPU and runs.
        "tune_config": {"mode": "max", "metric": "score", "num_samples": 4, "max_concurrent_trials": 2},
        "num_cpus": 1,
    }}
    task = snb.TrainApi(api).submit_action(agent_id, payload)
    result = task.wait(timeout=WAIT, progress=False)
    assert [t["status"] for t in result["trial_models"]] == ["TERMINATED"] * 4
    uploads = upload_lines(task)
    for trial in result["trial_models"]:
        c = trial["config"]
        assert 0.01 <= c["x"] <= 1.0 and c["y"] in ("a", "b")
        # quniform / qrandn sample with their q; qloguniform / qlograndint use q as the step
        # (not the base).
        assert 0.0 <= c["qa"] <= 1.0 and _multiple_of(c["qa"], 0.25)
        assert _multiple_of(c["qb"], 0.5)
        assert 0.001 <= c["qc"] <= 1.0 and _multiple_of(c["qc"], 0.001)
        assert 4 <= c["qd"] <= 64 and c["qd"] % 4 == 0 and isinstance(c["qd"], int)
        # The function's bare number became the tune metric.
        assert trial["metrics"]["score"] > 0
        model = api.model.get(trial["model_id"])
        assert model.trial_id == trial["trial_id"] and trial["trial_id"] in uploads
    assert len({t["config"]["x"] for t in result["trial_models"]}) == 4  # really sampled, not one value


def test_hyperopt_search_starts_from_the_given_points(api: Any, agent_id: int, project: Any) -> None:
    space = [{"name": "x", "type": "uniform", "min": 0.0, "max": 1.0},
             {"name": "y", "type": "choice", "options": [0, 1]}]
    task = score_search(api, agent_id, project.id, space,
                        {"mode": "max", "metric": "score", "num_samples": 3, "max_concurrent_trials": 2,
                         "search_alg": {"name": "hyperoptsearch", "points_to_evaluate": [{"x": 0.8, "y": 1}]}},
                        epochs=1)
    result = task.wait(timeout=WAIT, progress=False)
    assert [t["status"] for t in result["trial_models"]] == ["TERMINATED"] * 3
    assert {"x": 0.8, "y": 1} in [t["config"] for t in result["trial_models"]]
    # x=0.8, y=1 scores best of any configuration.
    assert result["best_trial"]["config"] == {"x": 0.8, "y": 1}
    assert task.trials().attrs["best_trial"] == result["best_trial"]["trial_id"]


def test_optuna_search_then_extend_keeps_the_trials_and_the_searchers_knowledge(
        api: Any, agent_id: int, project: Any, ledger: Path) -> None:
    space = [{"name": "x", "type": "uniform", "min": 0.0, "max": 1.0},
             {"name": "y", "type": "qrandint", "min": 0, "max": 4, "q": 2}]
    task = score_search(api, agent_id, project.id, space,
                        {"mode": "max", "metric": "score", "num_samples": 3, "max_concurrent_trials": 2,
                         "search_alg": {"name": "optunasearch", "points_to_evaluate": [{"x": 0.8, "y": 4}]}},
                        epochs=1, ledger=str(ledger))
    first = task.wait(timeout=WAIT, progress=False)
    assert [t["status"] for t in first["trial_models"]] == ["TERMINATED"] * 3
    assert all(t["config"]["y"] in (0, 2, 4) for t in first["trial_models"])

    extended = task.extend(num_samples=2)
    result = extended.wait(timeout=WAIT, progress=False)
    trials = trials_by_id(result)
    assert len(trials) == 5 and result["total_trials"] == 5
    assert set(trials_by_id(first)) < set(trials)
    # The first three trials ran once (the starting point too); two new ones ran.
    runs = read_ledger(ledger)
    assert len(runs) == 5 and {r["trial_id"] for r in runs} == set(trials)
    assert sum(1 for r in runs if (r["x"], r["y"]) == (0.8, 4)) == 1
    assert all(trials[t["trial_id"]]["model_id"] == t["model_id"] for t in first["trial_models"])
    assert extended.logs()["message"].str.contains("searcher warm-started with 3 finished trials").any()
    # The best of all five trials, and the table holds all five.
    best_score = max(t["metrics"]["score"] for t in trials.values())
    assert result["best_trial"]["metrics"]["score"] == pytest.approx(best_score)
    table = extended.trials()
    assert sorted(table["trial_id"]) == sorted(trials) and table.attrs["best_trial"] == result["best_trial"]["trial_id"]


def test_two_trials_with_the_same_score_keep_the_best_trial_and_its_model_together(
        api: Any, agent_id: int, project: Any) -> None:
    task = score_search(api, agent_id, project.id, [{"name": "x", "type": "grid_search", "options": [0.2, 0.6]}],
                        {"mode": "max", "metric": "score", "num_samples": 1}, epochs=1, constant_score=0.5)
    result = task.wait(timeout=WAIT, progress=False)
    trials = trials_by_id(result)
    assert [t["metrics"]["score"] for t in trials.values()] == [0.5, 0.5]
    best = result["best_trial"]
    # Whichever trial Ray picked, its config, its model and the table's best agree.
    assert best["config"] == trials[best["trial_id"]]["config"]
    model = api.model.get(result["model_id"])
    assert model.trial_id == best["trial_id"] and model.config["trial_config"] == best["config"]
    assert task.trials().attrs["best_trial"] == best["trial_id"]
    assert task.result["experiment"]["model_id"] == model.id


def test_a_trial_missing_the_tune_metric_fails_naming_the_metrics_it_reported(
        api: Any, agent_id: int, project: Any) -> None:
    task = score_search(api, agent_id, project.id,
                        [{"name": "omit_metric", "type": "grid_search", "options": [False, True]}],
                        {"mode": "max", "metric": "score", "num_samples": 1}, epochs=2)
    result = task.wait(timeout=WAIT, progress=False)
    by_flag = {t["config"]["omit_metric"]: t for t in result["trial_models"]}
    assert by_flag[False]["status"] == "TERMINATED"
    failed = by_flag[True]
    assert failed["status"] == "ERROR"
    assert "'score'" in failed["error"] and "quality" in failed["error"]
    assert result["best_trial"]["trial_id"] == by_flag[False]["trial_id"]


@pytest.mark.parametrize("tune_config, field", [
    ({"mode": "max", "metric": "score", "scheduler": {"name": "asha", "options": {"grace": 1}}},
     "tune_config.scheduler.options"),
    ({"mode": "max", "metric": "score", "search_alg": {"name": "hyperoptsearch", "options": {"n_initial": 2}}},
     "tune_config.search_alg.options"),
])
def test_unknown_option_keys_are_refused_before_submission(api: Any, agent_id: int, project: Any,
                                                           tune_config: dict[str, Any], field: str) -> None:
    before = api.task.list(limit=1).total
    with pytest.raises((InputError, ValueError), match=field.replace(".", r"\.")):
        score_search(api, agent_id, project.id, [{"name": "x", "type": "uniform", "min": 0.0, "max": 1.0}],
                     tune_config, epochs=1)
    assert api.task.list(limit=1).total == before


def test_a_fraction_of_a_gpu_on_a_cpu_agent_is_refused_before_submission(api: Any, agent_id: int,
                                                                          project: Any) -> None:
    payload = {"action": "train", "params": {
        "dataset": project.id, "is_tune": True, "plugin": "tune_function_plugin:tune", "num_gpus": 0.5,
        "hyperparameters": [{"name": "x", "type": "uniform", "min": 0.0, "max": 1.0}],
        "tune_config": {"mode": "max", "metric": "score", "num_samples": 1}}}
    before = api.task.list(limit=1).total
    with pytest.raises(InputError, match="num_gpus"):
        snb.TrainApi(api).submit_action(agent_id, payload)
    assert api.task.list(limit=1).total == before


def test_a_function_reporting_to_ray_tune_itself_has_its_reports_as_results(api: Any, agent_id: int, project: Any) -> None:
    payload = {"action": "train", "params": {
        "name": "direct:report", "dataset": project.id, "is_tune": True, "plugin": "tune_direct_report:tune",
        "hyperparameter": {"epochs": 3}, "hyperparameters": [{"name": "x", "type": "uniform", "min": 0.0, "max": 1.0}],
        "tune_config": {"mode": "max", "metric": "score", "num_samples": 2, "max_concurrent_trials": 2},
        "num_cpus": 1,
    }}
    task = snb.TrainApi(api).submit_action(agent_id, payload)
    result = task.wait(timeout=WAIT, progress=False)
    table = task.trials().set_index("trial_id")
    for trial in result["trial_models"]:
        assert trial["status"] == "TERMINATED"
        # The last of the function's own reports is the trial's result, and no extra report was added.
        assert trial["metrics"]["score"] == pytest.approx(score_of(trial["config"]["x"], 0.0, 2, 3))
        assert int(table.loc[trial["trial_id"], "iterations"]) == 3
        assert api.model.get(trial["model_id"]).trial_id == trial["trial_id"]
