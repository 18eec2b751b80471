"""Live dashboard: refresh time of a 5,000-trial tuning view with 100 metric series, and metric-to-screen latency.

Run with ``python -m bench dashboard`` (``--quick`` for fewer polls; the sizes stay the same).
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench._common import BenchResult

TITLE = "Live task dashboard (refresh at 5,000 trials and 100 series, metric-to-screen latency)"
DESCRIPTION = """
A real embedded backend (its own temporary home) and a tuning task claimed by a test agent.
The task has a trials table of 5,000 trials (2 hyperparameters, 4 metrics) and 100 metric
series (50 trials x val/mAP50 and train/box_loss, 100 epochs each: 10,000 points). Each
*poll* brings what a running search adds in one poll period: a new trials snapshot (one
trial changed) and one new epoch of every series (100 points). **Refresh** is
`TaskDashboard.refresh()`: fetch what is new (the task record, metrics after the last seq,
new log lines, the trials snapshot) and update the existing FigureWidgets in place (table of
the top 20 trials, parallel coordinates of the top 50, per-trial curves of the shown
trials, the picked trial's charts). Baseline, in the same run on the same backend: what a
dashboard without cursors or in-place updates does each poll — fetch all metrics and the
trials, then build new FigureWidgets of the same figures from scratch (`trials_table`
top 20, `parallel_coordinates`, `trial_curves`, `training_overview` of the picked trial).
**Latency** is the time from `TrainRun.log_metric` in the run to the value being in the
dashboard's figure data, with the default poll interval (0.5 s) and the dashboard's own
background thread; baseline: one direct `api.task.metrics()` round trip of the same task.
Times are medians over 15 polls / 20 metrics (5 / 8 with --quick) after a warm-up.
"""

N_TRIALS = 5000
SERIES_TRIALS = 50
EPOCHS = 100
REFRESH_GOAL_S = 0.200
LATENCY_GOAL_S = 1.0  # median


class _Heartbeat:
    """Keeps the bench's agent online while the bench runs."""

    def __init__(self, api: Any, agent_id: int) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(api, agent_id), daemon=True)
        self._thread.start()

    def _beat(self, api: Any, agent_id: int) -> None:
        while not self._stop.wait(2.0):
            api.agent.heartbeat(agent_id)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def _trials(rng: random.Random, changed: int = -1) -> dict[str, dict[str, Any]]:
    rows = {}
    for i in range(N_TRIALS):
        status = "RUNNING" if i == changed else ("TERMINATED" if i % 10 else "ERROR")
        rows[f"t_{i:04d}"] = {
            "status": status, "lr0": 10 ** rng.uniform(-4, -2), "optimizer": rng.choice(["SGD", "AdamW"]),
            "mAP50": None if status == "ERROR" else rng.random(), "mAP50-95": None if status == "ERROR" else rng.random() / 2,
            "precision": None if status == "ERROR" else rng.random(), "recall": None if status == "ERROR" else rng.random(),
        }
    return rows


def _points(epochs: range, rng: random.Random) -> list[Any]:
    from synapse_nb.schemas import MetricPoint

    return [MetricPoint(category=category, key=key, value=rng.random(), epoch=epoch, trial_id=f"t_{t:04d}")
            for epoch in epochs for t in range(SERIES_TRIALS)
            for category, key in (("val", "mAP50"), ("train", "box_loss"))]


def _rebuild_baseline(api: Any, task_id: int, picked: str) -> None:
    """Fetch everything and build new FigureWidgets of the same figures."""
    import plotly.graph_objects as go

    from synapse_nb.api.task import Task
    from synapse_nb.widgets import figures

    task = Task(api, task_id)
    metrics = task.metrics()
    trials = task.trials()
    hps, names = trials.attrs["hyperparameters"], trials.attrs["metrics"]
    built = [
        figures.trials_table(trials, hyperparameters=hps, metrics=names, top_k=20),
        figures.parallel_coordinates(trials, hps, "mAP50", top_k=50),
        figures.trial_curves(metrics, "mAP50"),
        figures.training_overview(metrics, trial_id=picked),
    ]
    for fig in built:
        go.FigureWidget(fig)


def _refresh(api: Any, agent_id: int, quick: bool) -> list[BenchResult]:
    import synapse_nb as snb
    from synapse_nb.schemas import TaskCreate, TrialTable
    from synapse_nb.widgets import TaskDashboard

    rng = random.Random(0)
    project = api.project.import_samples(num_images=8, image_size=32, name="bench-dashboard", progress=False)
    state = snb.TrainState(
        project_id=project.id, agent_id=agent_id, is_tune=True,
        search_space=[{"name": "lr0", "type": "loguniform", "min": 1e-4, "max": 1e-2, "base": 10},
                      {"name": "optimizer", "type": "choice", "options": ["SGD", "AdamW"]}],
        tune_config={"mode": "max", "metric": "mAP50", "num_samples": N_TRIALS},
    )
    task = api.task.create(TaskCreate(agent_id=agent_id, state=state.model_dump(mode="json")))
    claimed = api.task.claim(agent_id)
    assert claimed is not None and claimed.id == task.id
    table = lambda changed: TrialTable(trials=_trials(random.Random(1), changed), hyperparameters=["lr0", "optimizer"],  # noqa: E731
                                       metrics=["mAP50", "mAP50-95", "precision", "recall"])
    api.task.log_trials(task.id, table(-1))
    api.task.log_metrics(task.id, _points(range(EPOCHS), rng))

    dashboard = TaskDashboard(snb.Task(api, task.id), start=False)
    dashboard.refresh()  # the first poll brings the whole history
    assert len(dashboard.store) == SERIES_TRIALS * 2 * EPOCHS, len(dashboard.store)
    picked = dashboard.trials.trial.value
    polls = 5 if quick else 15
    refresh_times, fetch_times, baseline_times = [], [], []
    for poll in range(polls + 1):
        api.task.log_trials(task.id, table(poll))
        api.task.log_metrics(task.id, _points(range(EPOCHS + poll, EPOCHS + poll + 1), rng))
        start = time.perf_counter()
        snapshot = dashboard.fetch()
        fetched = time.perf_counter()
        dashboard.apply(snapshot)
        done = time.perf_counter()
        assert len(snapshot.points) == SERIES_TRIALS * 2 and snapshot.trials_changed
        start_baseline = time.perf_counter()
        _rebuild_baseline(api, task.id, picked)
        baseline = time.perf_counter() - start_baseline
        if poll:  # the first round warms caches
            refresh_times.append(done - start)
            fetch_times.append(fetched - start)
            baseline_times.append(baseline)
    assert len(dashboard.trials.table.data[0].cells.values[0]) == 20
    api.task.set_status(task.id, "finished", result={})
    refresh, fetch, baseline = (statistics.median(v) for v in (refresh_times, fetch_times, baseline_times))
    return [
        BenchResult(
            name=f"refresh, {N_TRIALS:,} trials + {SERIES_TRIALS * 2} series (fetch new + update in place)", value=refresh * 1000, unit="ms",
            baseline_name="fetch all + new FigureWidgets", baseline_value=baseline * 1000, ratio=refresh / baseline,
            goal=f"< {REFRESH_GOAL_S * 1000:.0f} ms", met=refresh < REFRESH_GOAL_S,
            notes=(f"Refresh {refresh * 1000:.0f} ms, of which {fetch * 1000:.0f} ms fetching (4 requests), "
                   f"vs {baseline * 1000:.0f} ms rebuilding ({refresh / baseline:.2f}x)."),
            extra={"fetch_ms": fetch * 1000, "apply_ms": (refresh - fetch) * 1000, "polls": polls},
        )
    ]


def _latency(api: Any, agent_id: int, quick: bool) -> list[BenchResult]:
    import synapse_nb as snb
    from synapse_nb.actions.train.run import TrainRun
    from synapse_nb.schemas import TaskCreate
    from synapse_nb.widgets import TaskDashboard
    from synapse_nb.widgets.dashboard import DEFAULT_INTERVAL

    project = api.project.import_samples(num_images=8, image_size=32, name="bench-dashboard", progress=False)
    state = snb.TrainState(project_id=project.id, agent_id=agent_id)
    task = api.task.create(TaskCreate(agent_id=agent_id, state=state.model_dump(mode="json")))
    claimed = api.task.claim(agent_id)
    assert claimed is not None and claimed.id == task.id
    run = TrainRun(api, task.id)
    dashboard = TaskDashboard(snb.Task(api, task.id), interval=DEFAULT_INTERVAL)
    quality = dashboard.charts.figure("quality")
    count = 8 if quick else 20
    latencies = []
    try:
        for epoch in range(count + 1):
            value = 0.001 * (epoch + 1)
            start = time.perf_counter()
            run.log_metric("val", "mAP50", value, epoch=epoch)
            deadline = start + 10.0
            while not (quality.data and len(quality.data[0].y) > epoch and quality.data[0].y[epoch] == value):
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"epoch {epoch} did not reach the dashboard in 10 s")
                time.sleep(0.002)
            if epoch:
                latencies.append(time.perf_counter() - start)
            # Spread the logging over the poll period, as a run's epochs are.
            time.sleep(random.Random(epoch).uniform(0.05, DEFAULT_INTERVAL))
        round_trips = []
        for _ in range(count):
            start = time.perf_counter()
            api.task.metrics(task.id)
            round_trips.append(time.perf_counter() - start)
    finally:
        dashboard.close()
        run.close()
        api.task.set_status(task.id, "finished", result={})
    median, worst = statistics.median(latencies), max(latencies)
    round_trip = statistics.median(round_trips)
    return [
        BenchResult(
            name=f"latency log_metric -> figure data (poll every {DEFAULT_INTERVAL:g} s)", value=median * 1000, unit="ms",
            baseline_name="api.task.metrics() round trip", baseline_value=round_trip * 1000, ratio=median / round_trip,
            goal=f"median <= {LATENCY_GOAL_S * 1000:.0f} ms", met=median <= LATENCY_GOAL_S,
            notes=(f"Median {median * 1000:.0f} ms, worst {worst * 1000:.0f} ms over {len(latencies)} metrics "
                   f"(goal held by the median); most of it is the wait for the next poll."),
            extra={"worst_ms": worst * 1000, "samples": len(latencies)},
        )
    ]


def run(quick: bool) -> list[BenchResult]:
    """Measure the dashboard against its baselines on a fresh embedded backend."""
    work = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    previous = {k: os.environ.get(k) for k in ("SYNAPSE_NB_HOME", "SYNAPSE_NB_URL", "SYNAPSE_NB_TOKEN")}
    for key in ("SYNAPSE_NB_URL", "SYNAPSE_NB_TOKEN"):
        os.environ.pop(key, None)
    os.environ["SYNAPSE_NB_HOME"] = str(work / "home")
    from synapse_nb.api import Api

    api = Api.from_env(start_agent=False, keep_alive=True)
    agent = api.agent.register("bench-dashboard-agent", {"CPU": 2})
    heartbeat = _Heartbeat(api, agent.id)
    try:
        return _refresh(api, agent.id, quick) + _latency(api, agent.id, quick)
    finally:
        heartbeat.close()
        Api.shutdown_embedded()
        api.close()
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
