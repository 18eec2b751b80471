"""The pure parts of tuning mode: result normalisation, trial ids, table columns, the best
trial, the extension's tune config, the trial reporter's checks, errors crossing processes."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_nb.actions.train.context import RuntimeContext
from synapse_nb.actions.train.run import TrainRun
from synapse_nb.actions.train.tune.driver import extension_config, max_epochs
from synapse_nb.actions.train.tune.reporter import TrialReporter
from synapse_nb.actions.train.tune.best import choose_best
from synapse_nb.actions.train.tune.results import final_table, trial_id_of
from synapse_nb.actions.train.tune.table import MAX_METRIC_COLUMNS, metric_columns, trial_dirname
from synapse_nb.actions.train.tune.trial import normalise_result
from synapse_nb.errors import BackendError, InputError, MissingDependency, SearchStopped, StepFailed
from synapse_nb.search_space import SearchSpace, TuneConfig, build_scheduler, stopping_iterations
from tune_plugins import ScoreAction


def test_a_bare_number_becomes_the_tune_metric() -> None:
    assert normalise_result(0.7, {}, "score") == {"score": 0.7}


def test_a_returned_dict_adds_to_what_the_trial_reported() -> None:
    assert normalise_result({"val/mAP50": 0.4, "note": "x"}, {"epoch": 2.0}, "mAP50") == {
        "epoch": 2.0, "val/mAP50": 0.4, "mAP50": 0.4}


def test_a_missing_metric_names_the_metrics_the_trial_reported() -> None:
    with pytest.raises(InputError, match=r"tune_config\.metric.*'score'.*\['loss', 'quality'\]"):
        normalise_result({"quality": 1.0, "loss": 0.5}, {}, "score")


def test_a_trial_id_comes_from_the_result_or_else_from_the_trial_folder() -> None:
    class Trial:
        trial_id = "ab12c_00004"

    assert trial_id_of({"trial_id": "x1"}, "/anything") == "x1"
    assert trial_id_of({}, f"/runs/search-3/{trial_dirname(Trial())}") == "ab12c_00004"


@given(st.lists(st.dictionaries(st.sampled_from(["mAP50", "recall", "val/box_loss", "train/loss", "epoch", "lr"]),
                                st.floats(allow_nan=False, allow_infinity=False), max_size=6), max_size=4))
def test_the_table_shows_the_tune_metric_first_and_at_most_four_metrics(results: list[dict[str, float]]) -> None:
    columns = metric_columns("score", results)
    assert columns[0] == "score" and len(columns) <= MAX_METRIC_COLUMNS and len(set(columns)) == len(columns)
    assert "epoch" not in columns and "lr" not in columns


def _trial(trial_id: str, score: float | None, status: str = "TERMINATED") -> dict[str, Any]:
    return {"trial_id": trial_id, "config": {"x": 1}, "metrics": {} if score is None else {"score": score},
            "status": status, "iterations": 2, "error": None if status == "TERMINATED" else "ValueError: boom"}


def test_an_extension_keeps_its_own_best_unless_an_earlier_trial_did_strictly_better() -> None:
    def best(old: float | None, new: float | None, mode: str = "max") -> Any:
        trials = [_trial("old", old, "TERMINATED" if old is not None else "ERROR"), _trial("new", new)]
        choice = choose_best(trials, "score", mode, "last")
        return choice.trial_id if choice else None

    assert best(0.5, 0.5) == "new"
    assert best(0.6, 0.5) == "old"
    assert best(0.4, 0.5, "min") == "old"
    assert best(None, None) is None


def test_the_final_table_keeps_status_iterations_node_errors_and_metric_columns() -> None:
    table = final_table([{**_trial("a", 0.5), "node": "10.0.0.2/0a1b2c3d"}, _trial("b", None, "ERROR")], ["x"], "score")
    assert table["base"] == ["status", "iterations", "node"] and table["metrics"] == ["score"]
    assert table["trials"]["a"] == {"status": "TERMINATED", "x": 1, "score": 0.5, "iterations": 2,
                                    "node": "10.0.0.2/0a1b2c3d"}
    assert table["trials"]["b"]["node"] is None
    assert table["trials"]["b"]["error"] == "ValueError: boom" and table["trials"]["b"]["score"] is None
    assert table["trials"]["b"]["failure"] is None  # _trial() gives no code: the row keeps what it is given


def test_an_extension_tells_a_capable_searcher_the_earlier_results_instead_of_rerunning_them() -> None:
    config = TuneConfig(mode="max", metric="score", num_samples=2,
                        search_alg={"name": "optunasearch", "points_to_evaluate": [{"x": 0.5}]})
    old = [{"config": {"x": 0.5}, "metrics": {"score": 0.9}}, {"config": {"x": 0.1}, "metrics": {"score": 0.2}},
           {"config": {"x": 0.3}, "metrics": {}}]
    extended = extension_config(config, old, TrainRun(None, None))
    assert extended.search_alg.points_to_evaluate == [{"x": 0.5}, {"x": 0.1}]
    assert extended.search_alg.options["evaluated_rewards"] == [0.9, 0.2]
    assert config.search_alg.points_to_evaluate == [{"x": 0.5}]  # the task's own config is untouched


def test_an_extension_never_reruns_the_starting_points_of_a_searcher_that_cannot_learn() -> None:
    config = TuneConfig(mode="max", metric="score", num_samples=2,
                        search_alg={"name": "hyperoptsearch", "points_to_evaluate": [{"x": 0.5}]})
    extended = extension_config(config, [{"config": {"x": 0.5}, "metrics": {"score": 0.9}}], TrainRun(None, None))
    assert extended.search_alg.points_to_evaluate is None and "evaluated_rewards" not in extended.search_alg.options


def test_max_t_comes_from_the_epochs(tmp_path: Path) -> None:
    runtime = RuntimeContext(task_id=None, api=None, run=TrainRun(None, None), work_dir=tmp_path)
    action = ScoreAction({"hyperparameter": {}}, runtime)
    space = SearchSpace.model_validate([{"name": "x", "type": "uniform", "min": 0.0, "max": 1.0}])
    assert max_epochs(action, {"epochs": 7}, space) == 7
    searched = SearchSpace.model_validate([{"name": "epochs", "type": "choice", "options": [2, 9, 4]}])
    assert max_epochs(action, {}, searched) == 9
    assert max_epochs(action, {}, space) == 3  # the plugin's own default


def test_the_reporter_refuses_a_result_without_the_tune_metric_before_ray_sees_it() -> None:
    reporter = TrialReporter(None, 1, "t1", metric="score")
    with pytest.raises(InputError, match=r"\['epoch', 'quality'\]"):
        reporter.report({"quality": 1.0}, epoch=0)
    # The final epoch waits for finish() (after the model upload): nothing is sent yet.
    reporter.report({"score": 0.5}, epoch=1, last=True)
    assert reporter.reports == 0 and reporter.last == {"score": 0.5, "epoch": 1}


@pytest.mark.parametrize("error", [
    InputError("tune_config.metric", "the metric 'score'", got="metrics reported: ['quality']", hint="h"),
    BackendError(503, "busy", "POST", "/tasks/1/files"), StepFailed("train", "boom"),
    MissingDependency("optunasearch", "optuna"),
    SearchStopped("plugin_error", "3 trials in a row failed", "see the traceback", last_error="ValueError: x"),
])
def test_errors_keep_their_message_and_fields_across_processes(error: Exception) -> None:
    # Ray pickles a trial's error to hand it to the search's driver.
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error) and copy.__dict__ == error.__dict__


@pytest.mark.parametrize("options, max_t", [
    ({"grace_period": 1, "reduction_factor": 4}, 4), ({"grace_period": 1, "reduction_factor": 2}, 10),
    ({"grace_period": 2, "reduction_factor": 3, "brackets": 2}, 30), ({"reduction_factor": 2.5}, 12),
])
def test_weights_are_kept_exactly_before_the_reports_ray_asha_can_stop_a_trial_at(options: dict[str, Any],
                                                                                   max_t: int) -> None:
    import random

    from ray.tune.experiment import Trial
    from ray.tune.schedulers import AsyncHyperBandScheduler, TrialScheduler

    config = TuneConfig(mode="max", metric="score", scheduler={"name": "asha", "options": options})
    expected = stopping_iterations(config, default_max_t=max_t)
    scheduler = build_scheduler(config, SearchSpace.model_validate([{"name": "x", "type": "uniform", "min": 0, "max": 1}]),
                                default_max_t=max_t)
    assert isinstance(scheduler, AsyncHyperBandScheduler)
    scheduler.set_search_properties("score", "max")
    rng, stops = random.Random(0), set()
    for index in range(300):  # random learners: every rung gets to stop some of them
        trial = Trial("__fake", trial_id=f"t{index}", stub=True)
        scheduler.on_trial_add(None, trial)
        for iteration in range(1, max_t + 1):
            result = {"training_iteration": iteration, "score": rng.random() * iteration}
            if scheduler.on_trial_result(None, trial, result) == TrialScheduler.STOP:
                if iteration < max_t:
                    stops.add(iteration)
                break
    assert stops == expected


def test_a_trial_uploads_weights_only_before_a_report_it_may_be_stopped_at(tmp_path: Path) -> None:
    weights = tmp_path / "best.pt"
    weights.write_bytes(b"w")
    # api None: an upload attempt would fail, so a skipped one is proven skipped.
    fifo = TrialReporter(None, 1, "t1", keep_weights_at=[])
    fifo.keep_weights(weights)
    fifo.keep_model_config({"train_args": {}})
    assert fifo.weights_kept == 0 and not fifo.stoppable_next
    asha = TrialReporter(None, 1, "t2", metric="score", keep_weights_at=[2])
    assert not asha.stoppable_next
    asha.keep_weights(weights)  # before report 1: ASHA cannot stop the trial there
    assert asha.weights_kept == 0
    asha.reports = 1  # one report sent
    assert asha.stoppable_next
    with pytest.raises(AttributeError):  # before report 2 it must upload (here, to no backend)
        asha.keep_weights(weights)
