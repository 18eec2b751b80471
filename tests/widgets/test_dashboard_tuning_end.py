"""The dashboard of a search as it ends: the placeholder never stays over the trials table,
per-class AP curves get their own chart, and a two-objective search shows its Pareto front
with the best trial starred."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from synapse_nb.schemas import MetricPoint, TrialTable
from synapse_nb.search_space import SearchSpace, TuneConfig
from synapse_nb.widgets import TaskDashboard, figures

SPACE = SearchSpace.model_validate([{"name": "lr0", "type": "uniform", "min": 0.001, "max": 0.1}])
ROWS = {"a": {"status": "TERMINATED", "lr0": 0.01, "mAP50": 0.5, "size": 10.0, "iterations": 3},
        "b": {"status": "TERMINATED", "lr0": 0.02, "mAP50": 0.4, "size": 5.0, "iterations": 3},
        "c": {"status": "TERMINATED", "lr0": 0.03, "mAP50": 0.3, "size": 8.0, "iterations": 3},
        "d": {"status": "ERROR", "lr0": 0.04, "mAP50": None, "size": None, "iterations": 0,
              "failure": "out_of_memory", "error": "out_of_memory: RuntimeError: CUDA out of memory (lower batch)"}}


def _visible_annotations(figure: Any) -> list[str]:
    return [a.text for a in figure.layout.annotations if a.visible is not False]


def test_the_no_trials_placeholder_is_gone_once_the_table_has_trials(running_task: Callable[..., Any],
                                                                      api: Any) -> None:
    task = running_task(is_tune=True, search_space=SPACE, tune_config=TuneConfig(mode="max", metric="mAP50"))
    dashboard = TaskDashboard(task, start=False)
    panel = dashboard.trials
    assert _visible_annotations(panel.table) == ["no trials yet"]
    api.task.log_trials(task.id, TrialTable(trials=ROWS, base=["status", "iterations"], hyperparameters=["lr0"],
                                            metrics=["mAP50"], best_trial="a", best_rule="best mAP50 (rule last)"))
    dashboard.refresh()
    assert len(panel.table.data[0].cells.values[0]) == 4 and _visible_annotations(panel.table) == []
    # A filter that matches nothing says so in the title; it never brings the placeholder back.
    panel.status.value = "PAUSED"
    assert _visible_annotations(panel.table) == [] and "none match" in panel.table.layout.title.text
    panel.status.value = None
    assert "d" in panel.table.data[0].cells.values[0] and task.trials().attrs["best_rule"].endswith("(rule last)")
    row = task.trials().set_index("trial_id").loc["d"]
    assert row["failure"] == "out_of_memory" and "lower batch" in row["error"]
    # Once the search has ended, the table on the page is a new widget built from the complete
    # figure (a view that lost an edit while it was being created is not what stays on screen).
    streamed = panel.table
    api.task.set_status(task.id, "finished", result={"best_trial": {"trial_id": "a"}})
    dashboard.refresh()
    assert panel.table is not streamed and panel.table in panel.widget.children and streamed not in panel.widget.children
    assert list(panel.table.data[0].cells.values[0]) == list(streamed.data[0].cells.values[0])
    assert panel.table.layout.title.text == streamed.layout.title.text and _visible_annotations(panel.table) == []
    panel.status.value = "PAUSED"  # the controls act on the figure that is shown
    assert "none match" in panel.table.layout.title.text


def test_per_class_ap_curves_get_their_own_chart(running_task: Callable[..., Any], api: Any) -> None:
    task = running_task()
    dashboard = TaskDashboard(task, start=False)
    assert len(dashboard.charts.widget.children) == 2
    points = [MetricPoint(category=category, key=key, value=value * (epoch + 1), epoch=epoch)
              for epoch in range(3)
              for category, key, value in (("val", "mAP50-95", 0.1), ("val_per_class", "AP50-95/circle", 0.2),
                                           ("val_per_class", "AP50-95/square", 0.05))]
    api.task.log_metrics(task.id, points)
    dashboard.refresh()
    per_class, quality = dashboard.charts.figure("per_class"), dashboard.charts.figure("quality")
    assert per_class in dashboard.charts.widget.children
    assert sorted(t.name for t in per_class.data) == ["val_per_class/AP50-95/circle", "val_per_class/AP50-95/square"]
    assert [t.name for t in quality.data] == ["val/mAP50-95"]
    assert list(per_class.data[0].x) == [0, 1, 2] and _visible_annotations(per_class) == []


def test_a_two_objective_search_shows_its_pareto_front(running_task: Callable[..., Any], api: Any) -> None:
    config = TuneConfig(metric=["mAP50", "size"], mode=["max", "min"], search_alg="optunasearch", num_samples=4)
    task = running_task(is_tune=True, search_space=SPACE, tune_config=config)
    dashboard = TaskDashboard(task, start=False)
    pareto = dashboard.trials.pareto
    assert pareto is not None and _visible_annotations(pareto)  # nothing reported yet
    rows = {t: {**v, "pareto": t in ("a", "b")} for t, v in ROWS.items()}
    api.task.log_trials(task.id, TrialTable(trials=rows, base=["status", "iterations"], hyperparameters=["lr0"],
                                            metrics=["mAP50", "size"], best_trial="a"))
    dashboard.refresh()
    traces = {t.name: t for t in pareto.data}
    assert sorted(traces["Pareto front"].customdata) == ["a", "b"]
    assert list(traces["other trials"].customdata) == ["c"]  # the failed trial has no point
    assert list(traces["★ best"].customdata) == ["a"] and _visible_annotations(pareto) == []
    # Without the search's own column, the figure finds the same front from the values.
    plain = figures.pareto_front(task.trials().drop(columns="pareto"), ["mAP50", "size"], ["max", "min"])
    assert sorted(plain.data[1].customdata) == ["a", "b"]
