"""The dashboard of a tuning task with 500 trials: table (top-k, all, sort, status filter,
best trial), trial picker and its curves, parallel coordinates, per-trial curves."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from synapse_nb.schemas import MetricPoint, TrialTable
from synapse_nb.search_space import SearchSpace, TuneConfig
from synapse_nb.widgets import TaskDashboard
from synapse_nb.widgets.dashboard._trials import DEFAULT_TOP_K
from synapse_nb.widgets.figures import theme

N_TRIALS = 500
WITH_CURVES = 30
STATUSES = ["TERMINATED"] * 6 + ["RUNNING", "ERROR", "PENDING"]


def trial_rows(seed: int = 0) -> dict[str, dict[str, Any]]:
    rng = random.Random(seed)
    rows = {}
    for i in range(N_TRIALS):
        status = STATUSES[i % len(STATUSES)]
        done = status in ("TERMINATED", "RUNNING")
        rows[f"t_{i:04d}"] = {"status": status, "lr0": 10 ** rng.uniform(-4, -2), "optimizer": rng.choice(["SGD", "AdamW"]),
                              "mAP50": round(rng.random(), 4) if done else None,
                              "mAP50-95": round(rng.random() / 2, 4) if done else None}
    return rows


@pytest.fixture
def tuning_task(running_task: Callable[..., Any], api: Any) -> Any:
    task = running_task(
        is_tune=True,
        search_space=SearchSpace.model_validate([
            {"name": "lr0", "type": "loguniform", "min": 1e-4, "max": 1e-2, "base": 10},
            {"name": "optimizer", "type": "choice", "options": ["SGD", "AdamW"]}]),
        tune_config=TuneConfig(mode="max", metric="mAP50", num_samples=N_TRIALS),
    )
    rows = trial_rows()
    api.task.log_trials(task.id, TrialTable(trials=rows, hyperparameters=["lr0", "optimizer"],
                                            metrics=["mAP50", "mAP50-95"]))
    points = [MetricPoint(category=category, key=key, epoch=epoch, trial_id=t,
                          value=(rows[t]["mAP50"] or 0.0) * (epoch + 1) / 3 if key == "mAP50" else 1.0 / (epoch + 1))
              for t in list(rows)[:WITH_CURVES] for epoch in range(3)
              for category, key in (("val", "mAP50"), ("train", "box_loss"))]
    api.task.log_metrics(task.id, points)
    return task


def plain(column: Any) -> list[str]:
    """Cell text as the figure builder wrote it (the widget's spaces are non-breaking)."""
    return [str(c).replace("\xa0", " ") for c in column]


def best_by_map(rows: dict[str, dict[str, Any]]) -> list[str]:
    scored = [(v["mAP50"], t) for t, v in rows.items() if v["mAP50"] is not None]
    return [t for _v, t in sorted(scored, key=lambda p: (-p[0], p[1]))]


def test_500_trials_render_top_k_and_all_on_demand(tuning_task: Any, api: Any) -> None:
    dashboard = TaskDashboard(tuning_task, start=False)
    panel = dashboard.trials
    assert dashboard.is_tune and panel is not None
    table = panel.table
    assert dashboard.refresh() is True

    rows = trial_rows()
    cells = table.data[0].cells.values
    assert len(cells[0]) == DEFAULT_TOP_K
    assert list(cells[0]) == best_by_map(rows)[:DEFAULT_TOP_K]
    assert table.layout.title.text.startswith(f"Top {DEFAULT_TOP_K} of {N_TRIALS} trials by mAP50")
    assert table.layout.height <= theme.TABLE_MAX_HEIGHT
    assert plain(table.data[0].header.values)[:4] == ["trial", "status", "lr0", "optimizer"]
    assert f"{N_TRIALS} trials" in dashboard.status_line.value

    panel.show.value = None
    assert dashboard.trials.table is table  # the same figure, updated in place
    assert len(table.data[0].cells.values[0]) == N_TRIALS
    panel.status.value = "ERROR"
    shown = list(table.data[0].cells.values[0])
    assert len(shown) == sum(1 for v in rows.values() if v["status"] == "ERROR")
    assert set(table.data[0].cells.values[1]) == {"ERROR"}
    panel.status.value = None
    panel.sort_by.value = "lr0"
    panel.order.value = True
    lr = [rows[t]["lr0"] for t in table.data[0].cells.values[0]]
    assert lr == sorted(lr)
    panel.sort_by.value = None
    panel.order.value = None
    panel.show.value = DEFAULT_TOP_K

    parcoords = panel.parcoords.data[0]
    assert parcoords.type == "parcoords"
    assert [d.label.split(" ")[0] for d in parcoords.dimensions] == ["lr0", "optimizer", "mAP50"]
    assert len(parcoords.dimensions[0].values) == 50


def test_best_trial_is_highlighted_and_picking_a_trial_shows_its_curves(tuning_task: Any, api: Any) -> None:
    dashboard = TaskDashboard(tuning_task, start=False)
    panel = dashboard.trials
    dashboard.refresh()
    rows = trial_rows()
    with_curves = list(rows)[:WITH_CURVES]
    shown = panel._shown
    # Per-trial curves of the tune metric: one line per shown trial that logged it.
    curve_trials = [t.meta["trial_id"] for t in panel.curves.data]
    assert set(curve_trials) == {t for t in shown if t in with_curves}

    best = best_by_map({t: rows[t] for t in with_curves})[0]
    api.task.set_best_trial(tuning_task.id, best)
    dashboard.refresh()
    table = panel.table.data[0]
    row = plain(table.cells.values[0]).index(f"{theme.BEST_MARK} {best}")
    assert table.cells.fill.color[0][row] == theme.BEST_ROW_COLOR
    assert panel.trial.value == best and "best" in panel.trial.label
    charts = dashboard.trial_charts
    assert [t.name for t in charts.figure("quality").data] == [f"val/mAP50 [{best}]"]
    assert [t.name for t in charts.figure("losses").data] == [f"train/box_loss [{best}]"]
    best_line = next(t for t in panel.curves.data if t.meta["trial_id"] == best)
    assert best_line.line.width == 4.0 and theme.BEST_MARK in best_line.name

    other = next(t for t in with_curves if t != best and t not in panel._shown)  # picked beyond the top k
    panel.pick(other)
    quality = charts.figure("quality")
    assert [t.name for t in quality.data] == [f"val/mAP50 [{other}]"]
    assert list(quality.data[0].x) == [0, 1, 2]
    # A new snapshot keeps the user's pick.
    api.task.log_trials(tuning_task.id, TrialTable(trials=rows, hyperparameters=["lr0", "optimizer"],
                                                   metrics=["mAP50", "mAP50-95"], best_trial=best))
    dashboard.refresh()
    assert panel.trial.value == other
