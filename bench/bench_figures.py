"""Dashboard figures: how long a refresh of the tuning view takes at 500 trials.

Run with ``python -m bench figures`` (``--quick`` for fewer repeats; the sizes stay the same).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from bench._common import BenchResult

TITLE = "Dashboard figures (trials table, parallel coordinates, metric series)"
DESCRIPTION = """
A tuning run of 500 trials (4 hyperparameters, one categorical; 4 metrics; iterations;
error text on failed trials; about 10 % of trials without results yet) and a metrics log
of 20 series x 100 epochs (2,000 rows). A *full refresh* is what the dashboard redoes on
every poll: `trials_table` (a themed `go.Table` with status colours, best-trial highlight,
compact number formats, sorted by the tune metric), `parallel_coordinates` (top 50 by the
tune metric, the categorical axis coded with tick labels) and `metric_series` (x/y arrays
of all 20 series for in-place trace updates). The in-place refresh pushes
`trials_table_data` and `metric_series` into existing `go.FigureWidget`s instead of
building figures. Baselines, measured in the same run on the same 500 rows:
`DataFrame.to_html()` of the table's columns (what a notebook shows for a DataFrame) and a
naive `go.Figure(go.Table(cells=df.values.T))` (no formatting, colours or sorting). Times
are medians of 15 runs (5 with --quick) after one warm-up run.
"""

GOAL_S = 0.200
HPS = ["lr0", "momentum", "batch", "optimizer"]
METRICS = ["mAP50-95", "mAP50", "precision", "recall"]


def trials_frame(n: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    status = rng.choice(["TERMINATED", "RUNNING", "ERROR", "PENDING"], n, p=[0.9, 0.04, 0.03, 0.03])
    done = status == "TERMINATED"
    df = pd.DataFrame(
        {
            "trial_id": [f"train_fn_{i:05d}" for i in range(n)],
            "status": status,
            "iterations": np.where(status == "PENDING", 0, rng.integers(1, 100, n)),
            "lr0": 10 ** rng.uniform(-5, -1, n),
            "momentum": rng.uniform(0.6, 0.98, n),
            "batch": rng.choice([8, 16, 32], n),
            "optimizer": rng.choice(["SGD", "Adam", "AdamW"], n),
        }
    )
    for name in METRICS:
        df[name] = np.where(done, rng.uniform(0, 1, n), np.nan)
    df["error"] = np.where(status == "ERROR", "RuntimeError: CUDA out of memory", None)
    return df


def metrics_frame(series: int = 20, epochs: int = 100, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    keys = [("train", f"loss_{i}") for i in range(series // 2)] + [("val", f"mAP_{i}") for i in range(series - series // 2)]
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    rows = [
        (category, key, float(rng.random()), epoch * 10, epoch, None, start + dt.timedelta(seconds=i))
        for i, (epoch, (category, key)) in enumerate((e, k) for e in range(epochs) for k in keys)
    ]
    df = pd.DataFrame(rows, columns=["category", "key", "value", "step", "epoch", "trial_id", "time"])
    df["step"] = df["step"].astype("Int64")
    df["epoch"] = df["epoch"].astype("Int64")
    return df


def _median(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm-up: first-use imports and template loading are not what a refresh pays
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(quick: bool) -> list[BenchResult]:
    """Time the figures a tuning dashboard refreshes, against same-run baselines."""
    import plotly.graph_objects as go

    from synapse_nb.widgets import figures

    repeat = 5 if quick else 15
    trials, log = trials_frame(), metrics_frame()
    best = str(trials.loc[trials["mAP50-95"].idxmax(), "trial_id"])
    shown = trials[["trial_id", "status", "iterations", *HPS, *METRICS, "error"]]

    def table() -> Any:
        return figures.trials_table(trials, hyperparameters=HPS, metrics=METRICS, best_trial=best)

    def parcoords() -> Any:
        return figures.parallel_coordinates(trials, HPS, "mAP50-95")

    def series() -> Any:
        return figures.metric_series(log)

    def full_refresh() -> None:
        table()
        parcoords()
        series()

    table_widget = go.FigureWidget(table())
    curves_widget = go.FigureWidget(figures.metric_curves(log))

    def in_place_refresh() -> None:
        data = figures.trials_table_data(trials, hyperparameters=HPS, metrics=METRICS, best_trial=best)
        latest = figures.metric_series(log)
        with table_widget.batch_update():
            table_widget.data[0].cells.values = data.columns
            table_widget.data[0].cells.fill.color = data.fill
        with curves_widget.batch_update():
            for trace in curves_widget.data:
                trace.x, trace.y = latest[trace.meta["series"]]

    to_html = _median(lambda: shown.to_html(), repeat)
    naive = _median(lambda: go.Figure(go.Table(header={"values": list(shown.columns)}, cells={"values": shown.values.T})), repeat)
    t_table = _median(table, repeat)
    t_parcoords = _median(parcoords, repeat)
    t_series = _median(series, repeat)
    t_curves = _median(lambda: figures.metric_curves(log), repeat)
    t_full = _median(full_refresh, repeat)
    t_in_place = _median(in_place_refresh, repeat)

    ms = 1000.0
    base = {"baseline_name": "DataFrame.to_html(), 500 rows", "baseline_value": to_html * ms}
    return [
        BenchResult(name="trials table, 500 trials", value=t_table * ms, unit="ms", ratio=t_table / to_html, **base,
                    extra={"naive_go_table_ms": naive * ms},
                    notes=f"A naive go.Table of the same rows (no formatting, colours, sorting) took {naive * ms:.1f} ms in the same run."),
        BenchResult(name="parallel coordinates, top 50 of 500", value=t_parcoords * ms, unit="ms", ratio=t_parcoords / to_html, **base),
        BenchResult(name="metric_series, 20 series x 100 epochs", value=t_series * ms, unit="ms", ratio=t_series / to_html, **base),
        BenchResult(name="metric_curves figure, 20 series x 100 epochs", value=t_curves * ms, unit="ms", ratio=t_curves / to_html, **base),
        BenchResult(name="full refresh (table + parallel coordinates + series)", value=t_full * ms, unit="ms",
                    ratio=t_full / to_html, goal=f"< {GOAL_S * ms:.0f} ms", met=t_full < GOAL_S, **base),
        BenchResult(name="in-place FigureWidget refresh (table data + 20 traces)", value=t_in_place * ms, unit="ms",
                    ratio=t_in_place / to_html, goal=f"< {GOAL_S * ms:.0f} ms", met=t_in_place < GOAL_S, **base),
    ]
