"""A grid search through ``TrainApi.run``: 3 x 2 values -> 6 trials, one value failing on purpose.

One search, followed live and then read back: the progress counts the real number of
trials, the failing trials show as ERROR with their own error text while the others finish,
every trial registers its own model from its own process, every metric and figure carries
its trial id, the trials table and the result have the documented shape.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tuning_helpers import WAIT, read_ledger, score_search, trials_by_id, upload_lines

pytestmark = pytest.mark.slow

GRID = [{"name": "x", "type": "grid_search", "options": [0.1, 0.5, 0.9]},
        {"name": "y", "type": "grid_search", "options": [0, 1]}]
EPOCHS = 2


@pytest.fixture(scope="module")
def grid_run(api: Any, agent_id: int, project: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the grid (x=0.5 raises), watching its progress while it runs."""
    ledger = tmp_path_factory.mktemp("grid") / "ledger.jsonl"
    task = score_search(api, agent_id, project.id, GRID,
                        {"mode": "max", "metric": "score", "num_samples": 1, "max_concurrent_trials": 2},
                        epochs=EPOCHS, fail_at_x=0.5, epoch_seconds=0.3, ledger=str(ledger))
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        record = task.refresh()
        train = record.progress.get("train")
        # Read after the progress: the ledger only grows, so this bounds what had finished.
        started = len(read_ledger(ledger))
        seen.append({"status": record.status, "overall": record.overall_progress, "started": started,
                     "train": (train.current, train.total) if train is not None else None})
        if record.is_final:
            break
        time.sleep(0.2)
    result = task.wait(timeout=WAIT, progress=False)
    return {"task": task, "result": result, "seen": seen, "ledger": read_ledger(ledger)}


def test_a_grid_runs_every_combination_once(grid_run: dict[str, Any]) -> None:
    result = grid_run["result"]
    configs = sorted((t["config"]["x"], t["config"]["y"]) for t in result["trial_models"])
    assert configs == sorted((x, y) for x in (0.1, 0.5, 0.9) for y in (0, 1))
    assert result["total_trials"] == 6
    assert sorted((r["x"], r["y"]) for r in grid_run["ledger"]) == configs


def test_progress_counts_the_real_number_of_trials_and_never_runs_ahead(grid_run: dict[str, Any]) -> None:
    observed = [s for s in grid_run["seen"] if s["train"] is not None]
    assert observed, "the trials' progress was never reported"
    # num_samples is 1, but the grid makes 6 trials: the bar counts 6.
    assert {total for _, total in (s["train"] for s in observed)} == {6}
    for s in observed:
        done, _ = s["train"]
        assert done <= s["started"], f"progress says {done} trials done when only {s['started']} had started"
        if s["status"] != "finished":
            assert s["overall"] < 1.0
    assert any(s["status"] == "running" and s["train"][0] < 6 for s in observed)
    assert grid_run["task"].record.overall_progress == pytest.approx(1.0)


def test_a_failing_trial_is_an_error_with_its_own_message_and_the_search_goes_on(grid_run: dict[str, Any]) -> None:
    task, result = grid_run["task"], grid_run["result"]
    statuses = {(t["config"]["x"], t["config"]["y"]): t["status"] for t in result["trial_models"]}
    assert statuses == {(x, y): ("ERROR" if x == 0.5 else "TERMINATED") for x in (0.1, 0.5, 0.9) for y in (0, 1)}
    errors = {t["error"] for t in result["trial_models"] if t["status"] == "ERROR"}
    assert errors and all("fails on purpose at x=0.5" in e for e in errors)
    table = task.trials().set_index("trial_id")
    for trial_id, trial in trials_by_id(result).items():
        assert table.loc[trial_id, "status"] == trial["status"]
        if trial["status"] == "ERROR":
            assert "fails on purpose at x=0.5" in table.loc[trial_id, "error"]
    assert task.status == "finished"


def test_the_result_has_the_synapse_shape(grid_run: dict[str, Any]) -> None:
    result = grid_run["result"]
    best = result["best_trial"]
    assert set(best) >= {"trial_logdir", "config", "metrics"}
    assert best["config"] == {"x": 0.9, "y": 1}
    assert best["metrics"]["score"] == pytest.approx(1.04)
    assert Path(best["trial_logdir"]).is_dir()
    trials = trials_by_id(result)
    assert result["model_id"] == trials[best["trial_id"]]["model_id"] is not None
    for trial in result["trial_models"]:
        assert set(trial) >= {"trial_logdir", "model_id", "config", "metrics"}
        if trial["status"] == "TERMINATED":
            assert trial["metrics"]["score"] > 0


def test_every_trial_registers_its_own_model_from_its_own_process(grid_run: dict[str, Any], api: Any,
                                                                   tmp_path: Path) -> None:
    task, result = grid_run["task"], grid_run["result"]
    pid_of = {r["trial_id"]: r["pid"] for r in grid_run["ledger"]}
    uploads = upload_lines(task)
    finished = [t for t in result["trial_models"] if t["status"] == "TERMINATED"]
    assert len(finished) == 4
    for trial in finished:
        model = api.model.get(trial["model_id"])
        assert (model.trial_id, model.task_id) == (trial["trial_id"], task.id)
        assert model.config["trial_config"] == trial["config"]
        # Registered by the trial's own run (only a trial's log lines carry its id) ...
        assert f": model {model.id} uploaded in " in uploads[trial["trial_id"]]
        # ... with the weights that trial's process wrote.
        folder = api.model.download(model.id, tmp_path / str(model.id))
        weights = json.loads(next(folder.rglob("weights.json")).read_text())
        assert weights["pid"] == pid_of[trial["trial_id"]]
        assert weights["x"] == trial["config"]["x"]
    assert {t["model_id"] for t in result["trial_models"] if t["status"] == "ERROR"} == {None}


def test_every_metric_and_figure_of_a_trial_carries_its_trial_id(grid_run: dict[str, Any], api: Any) -> None:
    task, result = grid_run["task"], grid_run["result"]
    metrics = task.metrics()
    finished = {t["trial_id"] for t in result["trial_models"] if t["status"] == "TERMINATED"}
    assert metrics["trial_id"].notna().all()
    scores = metrics[metrics["key"] == "score"]
    # All trials' per-epoch metrics, in one frame.
    assert set(scores["trial_id"]) == finished
    epochs = {trial_id: sorted(group["epoch"]) for trial_id, group in scores.groupby("trial_id")}
    assert epochs == {trial_id: list(range(EPOCHS)) for trial_id in finished}
    one = next(iter(finished))
    assert set(task.metrics(trial_id=one)["trial_id"]) == {one}
    figures = api.task.visualizations(task.id)
    assert figures and all(f.trial_id in finished for f in figures)


def test_the_trials_table_has_statuses_hyperparameters_metrics_and_the_best_trial(grid_run: dict[str, Any]) -> None:
    task, result = grid_run["task"], grid_run["result"]
    table = task.trials()
    assert table.attrs["hyperparameters"] == ["x", "y"]
    assert table.attrs["metrics"][0] == "score" and len(table.attrs["metrics"]) <= 4
    assert table.attrs["best_trial"] == result["best_trial"]["trial_id"]
    assert sorted(table["trial_id"]) == sorted(trials_by_id(result))
    rows = table.set_index("trial_id")
    for trial_id, trial in trials_by_id(result).items():
        assert (rows.loc[trial_id, "x"], rows.loc[trial_id, "y"]) == (trial["config"]["x"], trial["config"]["y"])
        if trial["status"] == "TERMINATED":
            assert rows.loc[trial_id, "score"] == pytest.approx(trial["metrics"]["score"])
            assert rows.loc[trial_id, "iterations"] == EPOCHS


def test_the_backend_token_never_reaches_a_trial(grid_run: dict[str, Any]) -> None:
    # The score plugin fails any trial whose environment holds the token (by name or value).
    logs = grid_run["task"].logs()
    assert not logs["message"].str.contains("token is in this trial's environment").any()
    assert sum(t["status"] == "TERMINATED" for t in grid_run["result"]["trial_models"]) == 4
