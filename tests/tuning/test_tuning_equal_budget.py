"""Real searches (the score plugin on the local agent's Ray) that end well: the best trial
at an equal budget under ASHA (with an out-of-memory trial classified), a search whose
trials all fail stops after the limit with their code, a trial whose worker died is
retried once (and one lost for good has its failure in the log), a search no trial fits in ends with the
resources it waited for, and a two-objective search finds its Pareto front."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import synapse_nb as snb
from synapse_nb.errors import TaskFailed
from tuning_helpers import WAIT, read_ledger, score_search

pytestmark = pytest.mark.slow

# The full-budget trial falls as it overfits; the early-stopped one ends higher than it does.
CURVES = {"0.8": [0.9, 0.7, 0.5, 0.3], "0.5": [0.6, 0.6, 0.6, 0.6]}


def test_under_asha_the_best_trial_is_one_that_ran_the_full_budget(api: Any, agent_id: int, project: Any) -> None:
    # x=0.3 runs out of GPU memory: it is classified, and the search goes on.
    task = score_search(api, agent_id, project.id, [{"name": "x", "type": "grid_search", "options": [0.8, 0.5, 0.3]}],
                        {"mode": "max", "metric": "score", "max_concurrent_trials": 1,
                         "scheduler": {"name": "asha", "options": {"grace_period": 1}}},
                        epochs=4, curve=CURVES, oom_at_x=0.3)
    result = task.wait(timeout=WAIT, progress=False)
    table = task.trials().set_index("x")
    oom = table.loc[0.3]
    assert oom["status"] == "ERROR" and oom["failure"] == "out_of_memory" and "lower batch" in oom["error"]
    assert {t["failure"] for t in result["trial_models"]} == {None, "out_of_memory"}
    assert task.logs()["message"].str.contains("failed: out_of_memory: RuntimeError: CUDA out of memory").any()
    # ASHA stopped x=0.5 after one epoch; its last score beats the full trial's last score.
    assert int(table.loc[0.5, "iterations"]) == 1 and int(table.loc[0.8, "iterations"]) == 4
    assert table.loc[0.5, "score"] > table.loc[0.8, "score"]
    assert result["best_trial"]["config"] == {"x": 0.8}
    selection = result["best_trial"]["selection"]
    assert (selection["scope"], selection["budget"], selection["value"]) == ("max_budget", 4, 0.3)
    assert task.trials().attrs["best_rule"] == selection["rule"] and "ran 4 iterations" in selection["rule"]
    assert result["model_id"] == next(t["model_id"] for t in result["trial_models"] if t["config"] == {"x": 0.8})


def test_a_plugin_that_fails_every_trial_stops_the_search_after_the_limit(api: Any, agent_id: int, project: Any,
                                                                          ledger: Path) -> None:
    task = score_search(api, agent_id, project.id, [{"name": "x", "type": "uniform", "min": 0.0, "max": 1.0}],
                        {"mode": "max", "metric": "score", "num_samples": 8, "max_concurrent_trials": 1,
                         "max_consecutive_failures": 2},
                        epochs=1, fail_always=True, ledger=str(ledger))
    with pytest.raises(TaskFailed, match=r"search stopped \[plugin_error\]: 2 trials in a row failed"):
        task.wait(timeout=WAIT, progress=False)
    error = api.task.record(task.id).error
    assert error.code == "plugin_error" and "traceback" in error.remedy
    # Two trials ran the plugin, once each: Ray's retry of a failed trial replayed its failure.
    assert len(read_ledger(ledger)) == 2
    failed = task.trials().query("status == 'ERROR'")
    assert len(failed) == 2 and set(failed["failure"]) == {"plugin_error"}
    assert all("fails for every trial" in e for e in failed["error"])


def test_a_trial_whose_worker_died_is_retried_once(api: Any, agent_id: int, project: Any, ledger: Path) -> None:
    task = score_search(api, agent_id, project.id, [{"name": "x", "type": "grid_search", "options": [0.8]}],
                        {"mode": "max", "metric": "score"}, epochs=1, die_once=True, ledger=str(ledger))
    result = task.wait(timeout=WAIT, progress=False)
    runs = read_ledger(ledger)
    assert len(runs) == 2 and runs[0]["trial_id"] == runs[1]["trial_id"] and runs[0]["pid"] != runs[1]["pid"]
    assert result["trial_models"][0]["status"] == "TERMINATED" and result["model_id"] is not None


def test_a_trial_lost_outside_its_own_code_has_its_failure_in_the_table_and_the_log(
        api: Any, agent_id: int, project: Any) -> None:
    # Its worker dies on the first run and on Ray's retry: the trial's code never sees why.
    task = score_search(api, agent_id, project.id, [{"name": "x", "type": "grid_search", "options": [0.8, 0.5]}],
                        {"mode": "max", "metric": "score", "max_concurrent_trials": 1}, epochs=1, die_at_x=0.8)
    result = task.wait(timeout=WAIT, progress=False)
    lost = task.trials().set_index("x").loc[0.8]
    assert lost["status"] == "ERROR" and lost["failure"] == "lost_worker"
    assert result["best_trial"]["config"] == {"x": 0.5}
    logs = task.logs()
    said = logs[logs["level"] == "ERROR"]["message"]
    assert said.str.contains(f"trial {lost['trial_id']} failed: lost_worker: ", regex=False).any(), said.tolist()


def test_a_search_no_trial_fits_in_ends_with_the_resources_it_waited_for(api: Any, agent_id: int,
                                                                         project: Any) -> None:
    # Every CPU of the agent: the search's own driver holds one of them, so no trial can start.
    cpus = float(api.agent.get(agent_id).resources["CPU"])
    task = snb.TrainApi(api).run(
        agent_id, project.id, plugin="tune_plugins:ScoreAction", hyperparameters="epochs: 1\n",
        search_space=[{"name": "x", "type": "uniform", "min": 0.0, "max": 1.0}],
        tune_config={"mode": "max", "metric": "score", "num_samples": 1, "idle_timeout": 3}, num_cpus=cpus,
    )
    with pytest.raises(TaskFailed, match=rf"\[no_resources\].*each trial waits for cpu={cpus:g}, gpu=0; the cluster has cpu="):
        task.wait(timeout=WAIT, progress=False)


def test_a_two_objective_search_finds_the_pareto_front(api: Any, agent_id: int, project: Any) -> None:
    task = score_search(api, agent_id, project.id, [{"name": "x", "type": "uniform", "min": 0.0, "max": 1.0}],
                        {"mode": ["max", "min"], "metric": ["score", "cost"], "num_samples": 3,
                         "max_concurrent_trials": 1, "search_alg": {"name": "optunasearch"}},
                        epochs=1)
    result = task.wait(timeout=WAIT, progress=False)
    trials = {t["trial_id"]: t["metrics"] for t in result["trial_models"]}
    front = result["best_trial"]["selection"]["pareto_front"]
    assert front and result["best_trial"]["trial_id"] in front
    for trial_id, m in trials.items():
        dominated = any(o["score"] >= m["score"] and o["cost"] <= m["cost"] and o != m for o in trials.values())
        assert (trial_id in front) == (not dominated)
    table = task.trials().set_index("trial_id")
    assert {t for t in table.index if table.loc[t, "pareto"]} == set(front)
    assert list(table.attrs["metrics"][:2]) == ["score", "cost"]
