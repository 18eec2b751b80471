"""ultralytics' own metric names are accepted wherever a metric is named."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from synapse_nb.frameworks import get_framework
from synapse_nb.frameworks.ultralytics_yolo.autolog import attach_autolog, canonical_metric, metric_aliases
from synapse_nb.metric_names import resolve_metric
from synapse_nb.widgets.figures.experiments import experiments_table
from synapse_nb.widgets.figures.metrics import collect_series
from synapse_nb.widgets.figures.trials import trials_table_data

ALIASES = {
    "metrics/mAP50-95(B)": "val/mAP50-95", "metrics/mAP50(B)": "val/mAP50", "metrics/precision(B)": "val/precision",
    "metrics/recall(B)": "val/recall", "metrics/mAP50-95(M)": "val/mask_mAP50-95", "metrics/mAP50(M)": "val/mask_mAP50",
    "metrics/precision(M)": "val/mask_precision", "metrics/recall(M)": "val/mask_recall", "fitness": "val/fitness",
    "train/box_loss": "train/box_loss", "val/dfl_loss": "val/dfl_loss", "train/seg_loss": "train/seg_loss",
}


@pytest.mark.parametrize(("alias", "ours"), sorted(ALIASES.items()))
def test_each_ultralytics_name_maps_to_ours(alias: str, ours: str) -> None:
    assert canonical_metric(alias) == ours
    assert ours in get_framework("YOLO").tune_metrics, "and ours is a metric the framework reports"


def test_other_names_are_left_as_given() -> None:
    assert [canonical_metric(n) for n in ("accuracy", "mAP50", "val/mAP50")] == ["accuracy", "mAP50", "val/mAP50"]
    assert metric_aliases()["metrics/mAP50-95(B)"] == "val/mAP50-95"


def test_an_action_of_the_framework_maps_a_payloads_metric() -> None:
    from synapse_nb.actions.train import BaseTrainAction
    from synapse_nb.frameworks.ultralytics_yolo.action import YoloTrainAction

    assert YoloTrainAction.canonical_metric("metrics/mAP50(B)") == "val/mAP50"
    assert BaseTrainAction.canonical_metric("metrics/mAP50(B)") == "metrics/mAP50(B)", "a custom plugin's names are its own"


def test_autolog_reports_fitness_each_epoch() -> None:
    class Trainer:
        epochs, epoch, tloss, lr, fitness = 1, 0, None, {}, 0.42
        metrics = {"metrics/mAP50-95(B)": 0.42}

        def __init__(self) -> None:
            self.callbacks: dict[str, list[Any]] = {}

        def add_callback(self, event: str, fn: Any) -> None:
            self.callbacks.setdefault(event, []).append(fn)

    class Sink:
        logged: dict[str, float] = {}

        def log_metric(self, category: str, key: str, value: float, *, epoch: int | None = None,
                       step: int | None = None) -> None:
            self.logged[f"{category}/{key}"] = value

        def set_progress(self, current: float, total: float, category: str) -> None:
            pass

    trainer, sink = Trainer(), Sink()
    attach_autolog(trainer, sink)
    for event in ("on_train_epoch_end", "on_fit_epoch_end"):
        for fn in trainer.callbacks[event]:
            fn(trainer)
    assert sink.logged == {"val/mAP50-95": 0.42, "val/fitness": 0.42}


def test_figures_find_our_columns_by_ultralytics_names() -> None:
    trials = pd.DataFrame({"trial_id": ["a", "b"], "status": ["TERMINATED"] * 2, "mAP50-95": [0.2, 0.6]})
    data = trials_table_data(trials, metrics=["metrics/mAP50-95(B)"], sort_by="metrics/mAP50-95(B)")
    assert data.trial_ids == ["b", "a"] and data.header[-1].startswith("mAP50-95")
    experiments = pd.DataFrame({"experiment_name": ["x", "y"], "mAP50-95": [0.1, 0.3]})
    header = list(experiments_table(experiments, metric="metrics/mAP50-95(B)").data[0].header.values)
    assert header[1].startswith("mAP50-95")
    metrics = pd.DataFrame({"category": ["val", "val", "train"], "key": ["mAP50", "box_loss", "box_loss"],
                            "value": [0.5, 1.0, 2.0], "epoch": [0, 0, 0]})
    series, _ = collect_series(metrics, keys=["metrics/mAP50(B)", "val/box_loss"])
    assert sorted((s.category, s.key) for s in series) == [("train", "box_loss"), ("val", "box_loss"), ("val", "mAP50")]
    assert resolve_metric("fitness", ["fitness"]) == "fitness", "a column named as given wins"
