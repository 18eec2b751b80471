"""The train action engine: a whole TrainApi.run against plain ultralytics, and logging cost.

Run with ``python -m bench train`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import BenchResult

# The fast path's goals: the whole task against plain training, and the first epoch's point.
E2E_GOAL = 1.05
FIRST_EPOCH_GOAL = 1.3

TITLE = "Train engine: end-to-end TrainApi.run vs plain ultralytics; cold start; logging overhead"
DESCRIPTION = """
A sample project (synthetic shapes, 128 px; 128 images, or 32 with --quick) lives in a
fresh embedded backend with its local agent (Ray, all CPUs for the task). (a) `TrainApi.run`
trains yolov8n from its YAML for 10 epochs (3) at imgsz 128, batch 16, workers 0, with the
benchmark on: claim, the agent's warm Ray worker (torch and ultralytics imported while the
agent waited; best of 3, so at least two runs find it warm), dataset export, YOLO conversion, training with autolog and
checkpoint upload, COCO benchmark on the val split, model upload. It is timed from the call
to the task's end as seen by `task.wait()`. The baseline, in the same run, is what a user
types instead: `YOLO("yolov8n.yaml").train(...)` with the same arguments on the same data
(exported by `api.project.export` with the same split), timed around the train call only (no
imports) in a fresh process with as many torch threads as the Ray task gets. Best of 3 each,
interleaved. Cold start: from the `run()` call to the end of the first epoch, against the
same span of the plain training; also from `run()` to the engine's train step starting.
(b) Logging overhead: the same training in one process, with autolog sending every value
to the real backend through TrainRun (flushed before the clock stops), against no
callbacks at all, after an untimed 1-epoch warm-up in that process; best of 3 each,
interleaved in alternating order. The time spent inside the callbacks is measured too,
which does not depend on the machine's noise.
"""

_PLAIN = """
import json, sys, time
import synapse_nb  # the same offline settings as the engine (no downloads, no telemetry)
from ultralytics import YOLO

args = json.loads(sys.argv[1])
first = []
start = time.perf_counter()
model = YOLO("yolov8n.yaml")
model.add_callback("on_fit_epoch_end", lambda trainer: first or first.append(time.perf_counter() - start))
model.train(data=args["data"], project=args["project"], name="run", exist_ok=True, device="cpu", **args["hyper"])
print(json.dumps({"total": time.perf_counter() - start, "first_epoch_end": first[0]}))
"""


def _seconds(later: dt.datetime, earlier: dt.datetime) -> float:
    return (later - earlier).total_seconds()


def _step_times(logs: Any) -> dict[str, float]:
    """Seconds each step took, from the task's 'step X: started/finished' log lines."""
    started: dict[str, dt.datetime] = {}
    spans: dict[str, float] = {}
    for line in logs.itertuples():
        message = str(line.message)
        if message.startswith("step ") and ": " in message:
            name, _, event = message[5:].partition(": ")
            if event == "started":
                started[name] = line.time
            elif event == "finished" and name in started:
                spans[name] = round(_seconds(line.time, started[name]), 3)
    return spans


def _end_to_end(api: Any, agent_id: int, project_id: int, split: Any, hyper: dict[str, Any]) -> dict[str, Any]:
    import yaml

    import synapse_nb as snb

    submitted = dt.datetime.now(dt.timezone.utc)
    start = time.perf_counter()
    task = snb.TrainApi(api).run(agent_id, project_id, model="YOLO/yolov8n-det", train_val_split=split,
                                 hyperparameters=yaml.safe_dump(hyper, sort_keys=False), enable_benchmark=True)
    task.wait(timeout=3600, progress=False)
    total = time.perf_counter() - start
    logs = task.logs()
    metrics = task.metrics()
    train_started = next(t for t, m in zip(logs["time"], logs["message"]) if m == "step train: started")
    first_epoch = metrics[(metrics["category"] == "train") & (metrics["epoch"] == 0)]["time"].min()
    record = task.record
    return {
        "total": total,
        "to_train_step": _seconds(train_started, submitted),
        "to_first_epoch_end": _seconds(first_epoch, submitted),
        "claimed_after": _seconds(record.started_at, record.created_at),
        "steps": _step_times(logs),
        "training_duration": task.experiment.training_duration,
    }


def _plain(data_yaml: Path, hyper: dict[str, Any], project: Path) -> dict[str, float]:
    env = {**os.environ, "OMP_NUM_THREADS": str(os.cpu_count() or 1)}
    args = json.dumps({"data": str(data_yaml), "project": str(project), "hyper": hyper})
    out = subprocess.run([sys.executable, "-c", _PLAIN, args], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


class _TimedSink:
    """autolog's sink onto a TrainRun, adding up the seconds spent in it."""

    def __init__(self, run: Any) -> None:
        self.run, self.seconds, self.values = run, 0.0, 0

    def log_metric(self, category: str, key: str, value: float, *, epoch: int | None = None, step: int | None = None) -> None:
        start = time.perf_counter()
        self.run.log_metric(category, key, value, epoch=epoch, step=step)
        self.seconds += time.perf_counter() - start
        self.values += 1

    def set_progress(self, current: float, total: float, category: str) -> None:
        start = time.perf_counter()
        self.run.set_progress(current, total, category)
        self.seconds += time.perf_counter() - start


def _train_in_process(api: Any, project_id: int, data_yaml: Path, hyper: dict[str, Any], run_dir: Path,
                      logged: bool) -> dict[str, float]:
    from synapse_nb.actions.train.run import TrainRun
    from synapse_nb.frameworks.ultralytics_yolo import SinkAutolog, train_yolo
    from synapse_nb.schemas.task import TaskCreate

    callbacks: list[Any] = []
    run = sink = None
    if logged:
        payload = {"action": "train", "params": {"dataset": project_id, "hyperparameter": hyper}}
        task = api.task.create(TaskCreate(payload=payload, autostart=False))
        run = TrainRun(api, task.id)
        sink = _TimedSink(run)
        callbacks.append(SinkAutolog(sink, hyper["epochs"]))
    start = time.perf_counter()
    train_yolo(data_yaml, "yolov8n.yaml", hyper, run_dir, callbacks=callbacks, device="cpu")
    if run is not None:
        run.close(timeout=120)
    total = time.perf_counter() - start
    return {"total": total, "in_callbacks": sink.seconds if sink else 0.0, "values": sink.values if sink else 0,
            "sent": run.sent_metrics if run else 0}


def _measure(quick: bool, home: Path) -> dict[str, Any]:
    import torch

    import synapse_nb as snb

    images, epochs, repeat = (32, 3, 1) if quick else (128, 10, 3)
    hyper = {"epochs": epochs, "imgsz": 128, "batch": 16, "workers": 0, "plots": False, "seed": 0}
    api = snb.Api.from_env()
    project = api.project.import_samples(num_images=images, image_size=128, name="bench-train", progress=False)
    agent_id = api.agent.local(wait=300)
    split = snb.RandomSplit(percent=80, split="train", seed=0)
    data_yaml = api.project.export(project.id, "yolo", home / "export", split=split, progress=False)
    e2e, plain = [], []
    for i in range(repeat):
        e2e.append(_end_to_end(api, agent_id, project.id, split, hyper))
        plain.append(_plain(data_yaml, hyper, home / f"plain-{i}"))
    # (b) in this process, with the torch threads a Ray task of all CPUs gets.
    torch.set_num_threads(os.cpu_count() or 1)
    # A first training in a process pays one-time costs (allocator, kernels, dataset scan): not measured.
    _train_in_process(api, project.id, data_yaml, {**hyper, "epochs": 1}, home / "warm-up", logged=False)
    logged, bare = [], []
    for i in range(repeat):
        # Alternate which goes first, so drift on a shared machine favours neither.
        for kind in (("logged", "bare") if i % 2 == 0 else ("bare", "logged")):
            target = logged if kind == "logged" else bare
            target.append(_train_in_process(api, project.id, data_yaml, hyper, home / f"{kind}-{i}",
                                            logged=kind == "logged"))
    return {"images": images, "epochs": epochs, "repeat": repeat, "e2e": e2e, "plain": plain, "logged": logged,
            "bare": bare}


def _spread(runs: list[dict[str, Any]]) -> float:
    """(slowest - fastest) / fastest of the runs' wall times."""
    totals = [r["total"] for r in runs]
    return (max(totals) - min(totals)) / min(totals)


def _results(m: dict[str, Any]) -> list[BenchResult]:
    e2e = min(m["e2e"], key=lambda r: r["total"])
    plain = min(m["plain"], key=lambda r: r["total"])
    logged = min(m["logged"], key=lambda r: r["total"])
    bare = min(m["bare"], key=lambda r: r["total"])
    size = f"{m['images']} images, {m['epochs']} epochs, imgsz 128"
    e2e_ratio = e2e["total"] / plain["total"]
    log_ratio = logged["total"] / bare["total"]
    overhead = e2e["total"] - plain["total"]
    return [
        BenchResult(
            name=f"TrainApi.run end to end ({size})", value=e2e["total"], unit="s",
            baseline_name="YOLO(cfg).train(), same data and arguments", baseline_value=plain["total"],
            ratio=e2e_ratio, goal=f"<= {E2E_GOAL}", met=e2e_ratio <= E2E_GOAL,
            notes=(f"end-to-end overhead {overhead:.1f} s over plain training, nearly all of it fixed per task; "
                   f"where it goes (best run): claimed after {e2e['claimed_after']:.1f} s, train step started "
                   f"{e2e['to_train_step']:.1f} s after run() (on the agent's warm worker, which imported torch and "
                   f"ultralytics before the task: `--pool-size`, default 1), steps {e2e['steps']}; a fixed overhead of this size stays within "
                   f"{E2E_GOAL} for trainings of {overhead / (E2E_GOAL - 1):.0f} s and longer"),
            extra={"runs": m["e2e"], "plain_runs": m["plain"]},
        ),
        BenchResult(
            name="cold start: run() to the end of the first epoch", value=e2e["to_first_epoch_end"], unit="s",
            baseline_name="train() to the end of the first epoch", baseline_value=plain["first_epoch_end"],
            ratio=e2e["to_first_epoch_end"] / plain["first_epoch_end"], goal=f"<= {FIRST_EPOCH_GOAL}",
            met=e2e["to_first_epoch_end"] / plain["first_epoch_end"] <= FIRST_EPOCH_GOAL,
            notes=f"cold start to the engine's train step: {e2e['to_train_step']:.1f} s after run()",
            extra={"to_train_step": e2e["to_train_step"]},
        ),
        BenchResult(
            name="cold start: run() to the train step", value=e2e["to_train_step"], unit="s",
            notes="claim, handing the task to the warm worker, dataset export and YOLO conversion (cached after the first run)",
            extra={"per_run": [r["to_train_step"] for r in m["e2e"]]},
        ),
        BenchResult(
            name=f"training with autolog + TrainRun to the backend ({size})", value=logged["total"], unit="s",
            baseline_name="the same training with no callbacks", baseline_value=bare["total"],
            ratio=log_ratio, goal="<= 1.02", met=log_ratio <= 1.02,
            notes=(f"inside the callbacks: {1000 * logged['in_callbacks']:.1f} ms for {logged['values']} values "
                   f"({100 * logged['in_callbacks'] / bare['total']:.3f} % of training); all {logged['sent']} sent. "
                   f"Wall-time ratio spread between repeats on this shared machine: "
                   f"{_spread(m['logged'] + m['bare']):.0%}, far above the logging cost: the in-callback time "
                   f"is the precise figure"),
            extra={"logged_runs": m["logged"], "bare_runs": m["bare"]},
        ),
    ]


def run(quick: bool) -> list[BenchResult]:
    home = Path(tempfile.mkdtemp(prefix="bench-train-"))
    # A home of its own: a fresh backend and agent, and nothing of the user's touched.
    os.environ["SYNAPSE_NB_HOME"] = str(home)
    for name in ("SYNAPSE_NB_URL", "SYNAPSE_NB_TOKEN"):
        os.environ.pop(name, None)
    try:
        return _results(_measure(quick, home))
    finally:
        from synapse_nb.api import Api

        Api.shutdown_embedded(home)
        shutil.rmtree(home, ignore_errors=True)
