"""Tuning mode: ASHA against FIFO on the same search, and the scheduling overhead per trial.

Run with ``python -m bench tuning`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench._common import BenchResult

TITLE = "Tuning: ASHA vs FIFO on the same search; scheduling overhead per trial"
DESCRIPTION = """
A sample project (synthetic shapes, 128 px; 64 images, or 24 with --quick; split 80/20 with
a fixed seed) lives in a fresh embedded backend with its local agent (local Ray, 2 CPUs).
yolov8n is first trained from its YAML for 40 epochs (8) so that fine-tuning has something
to improve and to lose (mAP from scratch stays near 0 for the first epochs, and a search
over zeros tells schedulers nothing). Then the same search runs twice through
`TrainApi.run` from that model: a grid of 8 SGD learning rates (4) from 3e-4 to 0.4, up to
4 epochs (2) each, imgsz 128, batch 8 with an optimizer step per batch (nbs 8), no warm-up,
metric val mAP50-95 (max),
1 CPU per trial, 2 trials at a time: once with FIFO (every trial runs every epoch: the
baseline) and twice with ASHA (grace period 1 epoch, max_t from the epochs; reduction
factor 4, Ray's default, then 2). Measured: trial-epochs spent (the sum of every trial's reported epochs) and the
best metric reached, ASHA against FIFO. Scheduling overhead per trial: the search's wall
time (the driver's "search" log line to its "best trial" line) times the 2 trial slots,
minus the time every trial spent inside the trainable (Ray's own time_total_s per trial),
divided by the number of trials: the slot time a trial costs outside its own code (actor
start or reuse, result handling, the live trials table, model registration by the driver
for trials ASHA stopped). All three searches' numbers come from the same run. Its floor,
measured right after in a fresh process: plain Ray Tune running a search of the same shape
(as many trials, epochs and slots, 1 CPU each, actors reused) with a function trainable
that only sleeps as long as our trials trained per epoch, by the same method; and a
breakdown from the task's log: the start (the search's first line to its first trial's
training), the hand-over between two trials in a reused actor, and the tail. What is done
to keep the overhead down: trial actors are reused (a new process per trial costs seconds of
imports), the dataset is exported and converted once per search, a trial uploads its weights
only before a report its scheduler may stop it at (never under FIFO; at ASHA's rungs), and the
models of stopped trials are registered side by side at the end. What is left is Ray Tune's own
cold start of the trial actors, which the same-run floor measures.
"""

SLOTS = 2
IMGSZ = 128
OVERHEAD_GOAL_S = 0.5
# A trial's last log line before its final report: "model 12 uploaded in 0.31 s".
_UPLOADED = re.compile(r"model \d+ uploaded(?: in ([0-9.]+) s)?")
# The driver's line once the search ended: "8 trials recorded in 1.20 s (...)".
_RECORDED = re.compile(r"\d+ trials recorded in ([0-9.]+) s")
# Ray's default (keep the best quarter at each rung) and the gentler halving.
REDUCTION_FACTORS = (4, 2)


def _search(api: Any, agent_id: int, project_id: int, base_model: int, lr0: list[float], epochs: int,
            scheduler: dict[str, Any] | None) -> dict[str, Any]:
    import synapse_nb as snb

    tune_config: dict[str, Any] = {"mode": "max", "metric": "mAP50-95", "num_samples": 1,
                                   "max_concurrent_trials": SLOTS}
    if scheduler is not None:
        tune_config["scheduler"] = scheduler
    task = snb.TrainApi(api).run(
        agent_id, project_id, model=base_model, train_val_split=snb.RandomSplit(percent=80, split="train", seed=0),
        # nbs 8: an optimizer step every batch (ultralytics' default nominal batch of 64 would
        # accumulate 8 batches, so on 51 images the first epoch would not change the weights
        # and every trial would report the same first result).
        hyperparameters=(f"epochs: {epochs}\nimgsz: {IMGSZ}\nbatch: 8\nnbs: 8\nworkers: 0\noptimizer: SGD\n"
                         "warmup_epochs: 0\nplots: false\nseed: 0\n"),
        search_space=[{"name": "lr0", "type": "grid_search", "options": lr0}],
        tune_config=tune_config, num_cpus=1,
    )
    result = task.wait(timeout=3600, progress=False)
    assert result is not None
    logs = task.logs()
    started = logs[logs["message"].str.startswith("search ")]["time"].iloc[0]
    ended = logs[logs["message"].str.startswith("best trial ")]["time"].iloc[-1]
    trials = []
    for trial in result["trial_models"]:
        ray_result = json.loads(Path(trial["trial_logdir"], "result.json").read_text().strip().splitlines()[-1])
        trials.append({"trial_id": trial["trial_id"], "lr0": trial["config"]["lr0"],
                       "epochs": int(ray_result["training_iteration"]), "pid": ray_result.get("pid"),
                       "seconds": float(ray_result["time_total_s"]), "status": trial["status"],
                       "map": trial["metrics"].get("mAP50-95")})
    kept = sum(1 for f in api.task.list_files(task.id) if f.path.startswith("trials/") and not f.path.endswith(".json"))
    return {"wall": (ended - started).total_seconds(), "trials": trials,
            "best": float(result["best_trial"]["metrics"]["mAP50-95"]),
            "best_lr0": result["best_trial"]["config"]["lr0"], "timeline": _timeline(logs, started, ended, trials),
            "weights_kept": kept}


def _timeline(logs: Any, started: Any, ended: Any, trials: list[dict[str, Any]]) -> dict[str, Any]:
    """Where a search's slot time outside the trials goes: the start (the search's first line
    to its first trial's training), the gaps between one trial's end (its model uploaded, just
    before its last report) and the next trial's training in the same actor, and the tail."""
    begins: dict[str, float] = {}
    ends: dict[str, float] = {}
    uploads: list[float] = []
    recorded = None
    for time, message in zip(logs["time"], logs["message"]):
        found = _RECORDED.match(message)
        if found is not None:
            recorded = float(found.group(1))
        head, sep, rest = message.partition(": ")
        if not sep or not head.startswith("trial "):
            continue
        trial_id, at = head[len("trial "):], (time - started).total_seconds()
        upload = _UPLOADED.match(rest)
        if upload is not None:
            ends[trial_id] = at
            if upload.group(1):
                uploads.append(float(upload.group(1)))
        elif "=" in rest and trial_id not in begins:
            begins[trial_id] = at
    by_actor: dict[Any, list[str]] = {}
    for trial in sorted(trials, key=lambda t: begins.get(t["trial_id"], 0.0)):
        by_actor.setdefault(trial["pid"], []).append(trial["trial_id"])
    gaps = [begins[b] - ends[a] for ids in by_actor.values() for a, b in zip(ids, ids[1:])
            if a in ends and b in begins]
    return {"start": min(begins.values(), default=0.0), "gaps": gaps, "actors": len(by_actor), "uploads": uploads, "recorded": recorded,
            "tail": (ended - started).total_seconds() - max(ends.values(), default=0.0)}


def plain_ray_tune(trials: int, epochs: int, epoch_seconds: float) -> dict[str, Any]:
    """The same shape of search in plain Ray Tune, in this process (a fresh local Ray): a
    function trainable that sleeps ``epoch_seconds`` per report, ``trials`` of them, 1 CPU
    each, 2 at a time, actors reused; the overhead by the same method as ours."""
    import time

    import ray
    from ray import tune

    def trainable(config: dict[str, Any]) -> None:
        tune.report({"started": time.time(), "score": 0.0})  # the first report: training begins
        for epoch in range(epochs):
            time.sleep(epoch_seconds)
            tune.report({"score": config["x"] * (epoch + 1)})

    ray.init(address="local", num_cpus=SLOTS, include_dashboard=False, log_to_driver=False)
    try:
        storage = tempfile.mkdtemp(prefix="bench-ray-tune-")
        started = time.time()
        tuner = tune.Tuner(
            tune.with_resources(trainable, {"cpu": 1}), param_space={"x": tune.grid_search(list(range(trials)))},
            tune_config=tune.TuneConfig(metric="score", mode="max", max_concurrent_trials=SLOTS, reuse_actors=True),
            run_config=tune.RunConfig(storage_path=storage, verbose=0))
        results = tuner.fit()
        wall = time.time() - started
        inside = [float(r.metrics["time_total_s"]) for r in results]
        first = min(float(r.metrics_dataframe["started"].min()) for r in results) - started
        shutil.rmtree(storage, ignore_errors=True)
    finally:
        ray.shutdown()
    return {"wall": wall, "trials": [{"seconds": t} for t in inside], "start": first}


def _overhead_per_trial(search: dict[str, Any]) -> float:
    inside = sum(t["seconds"] for t in search["trials"])
    return (SLOTS * search["wall"] - inside) / len(search["trials"])


def _measure(quick: bool) -> dict[str, Any]:
    import synapse_nb as snb

    images, pretrain, epochs = (24, 8, 2) if quick else (64, 40, 4)
    lr0 = [0.001, 0.01, 0.1, 0.4] if quick else [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.4]
    api = snb.Api.from_env()
    project = api.project.import_samples(num_images=images, image_size=IMGSZ, num_classes=2, seed=0,
                                         name="bench-tuning", progress=False)
    agent_id = api.agent.local(wait=300)
    base = snb.TrainApi(api).run(
        agent_id, project.id, model="YOLO/yolov8n-det",
        train_val_split=snb.RandomSplit(percent=80, split="train", seed=0),
        hyperparameters=f"epochs: {pretrain}\nimgsz: {IMGSZ}\nbatch: 8\nworkers: 0\nplots: false\nseed: 0\n",
        enable_benchmark=False,
    )
    base_result = base.wait(timeout=3600, progress=False)
    assert base_result is not None
    points = base.metrics()
    maps = points[(points["category"] == "val") & (points["key"] == "mAP50-95")]["value"]
    base_map = float(maps.iloc[-1]) if len(maps) else None
    fifo = _search(api, agent_id, project.id, base_result["model_id"], lr0, epochs, None)
    asha = {rf: _search(api, agent_id, project.id, base_result["model_id"], lr0, epochs,
                        {"name": "asha", "options": {"grace_period": 1, "reduction_factor": rf}})
            for rf in REDUCTION_FACTORS}
    return {"images": images, "pretrain": pretrain, "epochs": epochs, "trials": len(lr0), "fifo": fifo,
            "asha": asha, "base_map": base_map}


def _measure_floor(m: dict[str, Any]) -> dict[str, Any]:
    """Plain Ray Tune on the FIFO search's shape, in a fresh process (a cold start like ours)."""
    import subprocess
    import sys

    fifo = m["fifo"]
    epoch_seconds = _mean_inside(fifo) / m["epochs"]
    out = subprocess.run([sys.executable, "-m", "bench.bench_tuning", "plain-ray-tune", str(m["trials"]),
                          str(m["epochs"]), f"{epoch_seconds:.3f}"], check=True, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent, timeout=900)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _mean_inside(search: dict[str, Any]) -> float:
    return sum(t["seconds"] for t in search["trials"]) / len(search["trials"])


def _asha_results(m: dict[str, Any], rf: int) -> list[BenchResult]:
    fifo, asha = m["fifo"], m["asha"][rf]
    fifo_epochs = sum(t["epochs"] for t in fifo["trials"])
    asha_epochs = sum(t["epochs"] for t in asha["trials"])
    epoch_ratio = asha_epochs / fifo_epochs
    quality = asha["best"] / fifo["best"] if fifo["best"] > 0 else float("nan")
    size = f"{m['trials']} trials x up to {m['epochs']} epochs, {m['images']} images at {IMGSZ} px"
    stopped = sum(t["epochs"] < m["epochs"] for t in asha["trials"])
    late = [t["lr0"] for t in fifo["trials"] if t["map"] is not None and t["map"] > asha["best"]]
    return [
        BenchResult(
            name=f"ASHA (reduction factor {rf}) trial-epochs spent ({size})", value=asha_epochs, unit="epochs",
            baseline_name="FIFO, same search", baseline_value=fifo_epochs, ratio=epoch_ratio,
            goal="<= 0.50", met=epoch_ratio <= 0.50,
            notes=f"ASHA (reduction factor {rf}) stopped {stopped} of {m['trials']} trials early; search wall time "
                  f"{asha['wall']:.0f} s vs FIFO {fifo['wall']:.0f} s",
            extra={"asha_trials": asha["trials"], "fifo_trials": fifo["trials"]},
        ),
        BenchResult(
            name=f"ASHA (reduction factor {rf}) best val mAP50-95", value=asha["best"], unit="mAP50-95",
            baseline_name="FIFO, same search", baseline_value=fifo["best"], ratio=quality,
            goal=">= 0.95", met=quality >= 0.95,
            notes=(f"best lr0: ASHA (reduction factor {rf}) {asha['best_lr0']}, FIFO {fifo['best_lr0']}"
                   + (f"; FIFO trials that ended better than ASHA's best (stopped by ASHA while behind at an "
                      f"earlier rung): lr0 {late}" if late else "")),
            extra={"base_map": m["base_map"], "pretrain_epochs": m["pretrain"]},
        ),
    ]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else float("nan")


def _overhead_result(name: str, search: dict[str, Any], floor: dict[str, Any]) -> BenchResult:
    overhead, ray_overhead = _overhead_per_trial(search), _overhead_per_trial(floor)
    line, n = search["timeline"], len(search["trials"])
    gaps = sorted(line["gaps"])
    gap = gaps[len(gaps) // 2] if gaps else float("nan")
    return BenchResult(
        name=f"scheduling overhead per trial, {name} ({n} trials, {SLOTS} slots)", value=overhead, unit="s",
        baseline_name="plain Ray Tune, same method, same search shape, trainable sleeping as long",
        baseline_value=ray_overhead, ratio=overhead / ray_overhead if ray_overhead > 0 else None,
        goal=f"<= {OVERHEAD_GOAL_S} s", met=overhead <= OVERHEAD_GOAL_S,
        notes=(f"{name}: ({SLOTS} slots x search wall time {search['wall']:.1f} s - sum of the trials' own time) / "
               f"{n} trials. Where it goes: the start, from the search's first line to its first trial's "
               f"training, {line['start']:.1f} s per slot ({SLOTS * line['start'] / n:.2f} s per trial; plain "
               f"Ray Tune's own start to its first trainable call {floor['start']:.1f} s in the same run: "
               f"starting {SLOTS} trial actors, each a new process importing Ray Tune); between trials in a "
               f"reused actor, median {gap:.2f} s (from one trial's model upload to the next trial's training; "
               f"{len(gaps)} hand-overs in {line['actors']} actors); the tail after the last model upload (under ASHA, "
               f"trials it stops later are still running then) "
               f"{line['tail']:.2f} s (of which recording the trials, with the models of the trials stopped before they "
               f"registered one, {line['recorded'] if line['recorded'] is not None else float('nan'):.2f} s); the model upload, inside each trial before its last report (a scheduler may stop a "
               f"trial there, and a stopped trial runs no further code), median {_median(line['uploads']):.2f} s; "
               f"{search['weights_kept']} of {n} trials kept intermediate weights (only before a report the scheduler may stop them at). What stays is "
               f"fixed per search: it falls below the goal from about "
               f"{max(1, round(SLOTS * floor['start'] / OVERHEAD_GOAL_S))} trials on."),
        extra={"timeline": line, "plain_ray_tune": floor, "mean_inside_s": _mean_inside(search)},
    )


def _results(m: dict[str, Any]) -> list[BenchResult]:
    results = [r for rf in REDUCTION_FACTORS for r in _asha_results(m, rf)]
    floor = m["floor"]
    for name, search in (("FIFO", m["fifo"]), (f"ASHA (reduction factor {REDUCTION_FACTORS[0]})",
                                                m["asha"][REDUCTION_FACTORS[0]])):
        results.append(_overhead_result(name, search, floor))
    fifo = m["fifo"]["timeline"]
    gaps = sorted(fifo["gaps"])
    if gaps:
        gap = gaps[len(gaps) // 2]
        results.append(BenchResult(
            name="hand-over between two trials in a reused actor, FIFO (median)", value=gap, unit="s",
            baseline_name="mean time inside the trainable per trial", baseline_value=_mean_inside(m["fifo"]),
            ratio=gap / _mean_inside(m["fifo"]), goal=f"<= {OVERHEAD_GOAL_S} s", met=gap <= OVERHEAD_GOAL_S,
            notes=("the part of the overhead that every further trial pays: from one trial's model upload "
                   f"to the next trial's first training step in the same actor; worst {gaps[-1]:.2f} s"),
        ))
    return results


def run(quick: bool) -> list[BenchResult]:
    home = Path(tempfile.mkdtemp(prefix="bench-tuning-"))
    # A home of its own: a fresh backend and agent, and nothing of the user's touched.
    os.environ["SYNAPSE_NB_HOME"] = str(home)
    for name in ("SYNAPSE_NB_URL", "SYNAPSE_NB_TOKEN"):
        os.environ.pop(name, None)
    os.environ["SYNAPSE_NB_CHECKPOINT_INTERVAL"] = "0"
    try:
        measured = _measure(quick)
    finally:
        from synapse_nb.api import Api

        Api.shutdown_embedded(home)
        shutil.rmtree(home, ignore_errors=True)
    # After the agent's Ray is gone: the floor gets the machine as the searches had it.
    measured["floor"] = _measure_floor(measured)
    return _results(measured)


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["plain-ray-tune"]:
        n, e, secs = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
        print(json.dumps(plain_ray_tune(n, e, secs)))
