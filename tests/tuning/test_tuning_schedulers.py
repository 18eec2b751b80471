"""ASHA and HyperBand stop trials early, with ``max_t`` taken from the epochs (no hang).

The score plugin reports every epoch; its score orders the trials by ``x`` at every epoch,
so which trials a scheduler stops is known in advance: with the best ``x`` first, every
later, worse trial falls below the cutoff at its first rung.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tuning_helpers import WAIT, read_ledger, score_search

pytestmark = pytest.mark.slow

EPOCHS = 4
# Best first: the first trial sets the bar the others miss.
X_VALUES = [0.8, 0.5, 0.3, 0.1]


def _run(api: Any, agent_id: int, project: Any, ledger: Path, scheduler: dict[str, Any],
         concurrent: int | None) -> dict[str, Any]:
    task = score_search(api, agent_id, project.id, [{"name": "x", "type": "grid_search", "options": X_VALUES}],
                        {"mode": "max", "metric": "score", "num_samples": 1, "max_concurrent_trials": concurrent,
                         "scheduler": scheduler},
                        epochs=EPOCHS, ledger=str(ledger))
    result = task.wait(timeout=WAIT, progress=False)
    return {"task": task, "result": result}


def _iterations(task: Any) -> dict[float, int]:
    table = task.trials()
    return {float(row.x): int(row.iterations) for row in table.itertuples()}


def test_asha_without_max_t_stops_the_worse_trials_after_their_first_epoch(api: Any, agent_id: int, project: Any,
                                                                           ledger: Path) -> None:
    run = _run(api, agent_id, project, ledger, {"name": "asha", "options": {"grace_period": 1}}, concurrent=1)
    iterations = _iterations(run["task"])
    assert iterations[0.8] == EPOCHS  # max_t came from epochs: the best trial ran them all
    assert all(iterations[x] < EPOCHS for x in X_VALUES[1:])
    assert sorted(r["x"] for r in read_ledger(ledger)) == sorted(X_VALUES)
    # Trials ASHA stopped still have a model, from the weights they kept on the backend.
    for trial in run["result"]["trial_models"]:
        assert trial["status"] == "TERMINATED" and trial["model_id"] is not None
    assert run["result"]["best_trial"]["config"] == {"x": 0.8}


def test_hyperband_without_max_t_stops_trials_early(api: Any, agent_id: int, project: Any, ledger: Path) -> None:
    # HyperBand decides when every trial of a bracket reached its rung: it pauses the first
    # ones, so it needs room for them all (a concurrency limit would keep it from stopping any).
    run = _run(api, agent_id, project, ledger, {"name": "hyperband"}, concurrent=None)
    iterations = _iterations(run["task"])
    assert max(iterations.values()) <= EPOCHS
    assert min(iterations.values()) < EPOCHS
    assert run["result"]["best_trial"]["config"] == {"x": 0.8}
    assert all(t["status"] == "TERMINATED" for t in run["result"]["trial_models"])
