"""An interrupted search resumes on ``task.retry()``: the finished trials are not run again."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

import synapse_nb as snb
from synapse_nb.errors import InputError
from tuning_helpers import SCORE_PLUGIN, WAIT, read_ledger, score_search, trials_by_id, wait_for

pytestmark = pytest.mark.slow

X_VALUES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]


def test_a_stopped_search_resumes_on_retry_without_rerunning_finished_trials(
        api: Any, agent_id: int, project: Any, ledger: Path) -> None:
    task = score_search(api, agent_id, project.id, [{"name": "x", "type": "grid_search", "options": X_VALUES}],
                        {"mode": "max", "metric": "score", "num_samples": 1, "max_concurrent_trials": 1},
                        epochs=2, epoch_seconds=1.0, ledger=str(ledger))
    # Interrupt the search once two trials have finished (registered their models).
    wait_for(lambda: len(api.model.all(task_id=task.id)) >= 2)
    task.stop(timeout=120)
    assert task.status == "stopped"
    finished_before = {m.trial_id: m.id for m in api.model.all(task_id=task.id)}
    assert len(read_ledger(ledger)) < len(X_VALUES)
    # An interrupted search is finished first (retry), then extended.
    with pytest.raises(InputError, match="task.retry"):
        task.extend(num_samples=2)

    retry = task.retry()
    result = retry.wait(timeout=WAIT, progress=False)
    trials = trials_by_id(result)
    assert sorted(t["config"]["x"] for t in trials.values()) == X_VALUES
    assert all(t["status"] == "TERMINATED" for t in trials.values())
    runs = Counter(r["trial_id"] for r in read_ledger(ledger))
    # The experiment was restored (same trial ids), not started over ...
    assert set(runs) == set(trials)
    # ... and no trial that had finished ran again; their models are the ones they registered.
    for trial_id, model_id in finished_before.items():
        assert runs[trial_id] == 1
        assert trials[trial_id]["model_id"] == model_id
    assert retry.logs()["message"].str.contains("resuming search").any()
    assert result["best_trial"]["config"] == {"x": 0.6}
    assert retry.trials().attrs["best_trial"] == result["best_trial"]["trial_id"]


def test_a_stopped_search_frees_what_its_trials_reserved(api: Any, agent_id: int, project: Any,
                                                        ledger: Path) -> None:
    """Stopping a search ends its trials and gives back the CPUs they reserved: a run asking for
    every CPU of the agent's Ray starts next. (A killed search driver would leave its trials'
    placement groups to the agent's Ray job, and the next run would wait "running" forever.)"""
    task = score_search(api, agent_id, project.id, [{"name": "x", "type": "grid_search", "options": [0.1, 0.2]}],
                        {"mode": "max", "metric": "score", "num_samples": 1, "max_concurrent_trials": 2},
                        epochs=120, epoch_seconds=1.0, ledger=str(ledger))
    wait_for(lambda: read_ledger(ledger))  # a trial is running
    task.stop(timeout=120)
    assert task.status == "stopped"
    assert task.logs()["message"].str.contains("stopped on request").any()

    every_cpu = snb.TrainApi(api).run(agent_id, project.id, plugin=SCORE_PLUGIN,
                                      hyperparameters=yaml.safe_dump({"epochs": 1, "x": 0.5}))
    assert every_cpu.state.num_cpus is None  # the default: all of a local Ray's CPUs
    every_cpu.wait(timeout=WAIT, progress=False)
    assert every_cpu.status == "finished"
