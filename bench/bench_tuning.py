"""Tuning mode: ASHA against FIFO on the same search, and the scheduling overhead per trial.

Run with ``python -m bench tuning`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import json
import os
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
for trials ASHA stopped). All three searches' numbers come from the same run.
"""

SLOTS = 2
IMGSZ = 128
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
        trials.append({"lr0": trial["config"]["lr0"], "epochs": int(ray_result["training_iteration"]),
                       "seconds": float(ray_result["time_total_s"]), "status": trial["status"],
                       "map": trial["metrics"].get("mAP50-95")})
    return {"wall": (ended - started).total_seconds(), "trials": trials,
            "best": float(result["best_trial"]["metrics"]["mAP50-95"]),
            "best_lr0": result["best_trial"]["config"]["lr0"]}


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


def _results(m: dict[str, Any]) -> list[BenchResult]:
    results = [r for rf in REDUCTION_FACTORS for r in _asha_results(m, rf)]
    for name, search in (("FIFO", m["fifo"]), (f"ASHA (reduction factor {REDUCTION_FACTORS[0]})",
                                                m["asha"][REDUCTION_FACTORS[0]])):
        overhead, inside = _overhead_per_trial(search), _mean_inside(search)
        results.append(BenchResult(
            name=f"scheduling overhead per trial, {name}", value=overhead, unit="s",
            baseline_name="mean time inside the trainable per trial", baseline_value=inside,
            ratio=overhead / inside,
            notes=f"{name}: ({SLOTS} slots x search wall time {search['wall']:.1f} s - sum of the trials' own "
                  f"time) / {len(search['trials'])} trials",
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
        return _results(_measure(quick))
    finally:
        from synapse_nb.api import Api

        Api.shutdown_embedded(home)
        shutil.rmtree(home, ignore_errors=True)
