"""Cheap train actions for the tuning tests: they train nothing, so a search of many trials
takes seconds, yet they go through everything a real plugin does (dataset export, per-epoch
reports to Ray Tune, metrics, visualizations, model upload from the trial).

The agent imports them by name (``tune_plugins:ScoreAction``): tests/tuning/conftest.py puts
this folder on the PYTHONPATH the local agent and its Ray workers inherit.

``score`` grows with the epoch and peaks at ``x = 0.8``; ``y`` adds a smaller term. A
ledger file (a fixed hyperparameter) gets one line per trial execution, so a test can count
how often each configuration really ran.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from synapse_nb.actions.train import BaseTrainAction, BaseTrainParams


class ScoreParams(BaseTrainParams):
    """What the score plugin reads from a trial's hyperparameters."""

    epochs: int = 3
    x: float = 0.5
    y: Any = 0.0
    # A test's file that gets one JSON line per trial execution.
    ledger: str | None = None
    # Seconds each epoch sleeps (to stop a search while trials run).
    epoch_seconds: float = 0.0
    # A trial with this x raises.
    fail_at_x: float | None = None
    # Report "quality" instead of "score" (the tune metric goes missing).
    omit_metric: bool = False
    # Every trial reports this score, whatever x is (two trials tie).
    constant_score: float | None = None
    # str(x) -> the score of each epoch (a curve that falls, to fool a last-value comparison).
    curve: dict[str, list[float]] | None = None
    # Every trial raises (a plugin that cannot work).
    fail_always: bool = False
    # A trial with this x raises the error torch raises when the GPU runs out of memory.
    oom_at_x: float | None = None
    # The first run of each trial kills its own process (a lost worker); the retry trains.
    die_once: bool = False
    # Every run of a trial with this x kills its own process: the trial is lost for good.
    die_at_x: float | None = None


def score_of(x: float, y: Any, epoch: int, epochs: int) -> float:
    """The score a trial reaches at ``epoch`` (0-based)."""
    y_term = 0.05 * float(y) if isinstance(y, (int, float)) else (0.02 if y == "b" else 0.0)
    return round((1.0 - (x - 0.8) ** 2 + y_term) * (epoch + 1) / epochs, 6)


def _ledger(path: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def secret_in_environment(token: str) -> list[str]:
    """Names of environment variables that carry the backend token (must be none)."""
    return sorted(name for name, value in os.environ.items() if name == "SYNAPSE_NB_TOKEN" or token in value)


class ScoreAction(BaseTrainAction[ScoreParams]):
    """Reports a synthetic score every epoch; writes a small weights file."""

    target_format = None

    def execute(self, data_path: Path, checkpoint: dict[str, Any] | None) -> dict[str, Any]:
        p = self.params
        run = self.run_logger
        trial_id = self.runtime.trial_id
        leaks = secret_in_environment(self.client.token)
        if leaks:
            raise AssertionError(f"the backend token is in this trial's environment: {leaks}")
        if p.ledger:
            with open(p.ledger, "a", encoding="utf-8") as ledger:
                ledger.write(json.dumps({"trial_id": trial_id, "x": p.x, "y": p.y, "pid": os.getpid()}) + "\n")
        if p.die_once and p.ledger and sum(r["trial_id"] == trial_id for r in _ledger(p.ledger)) == 1:
            os._exit(1)  # the worker dies, as when the OOM killer or a lost node takes it
        if p.die_at_x is not None and abs(p.x - p.die_at_x) < 1e-9:
            os._exit(1)
        if p.fail_at_x is not None and abs(p.x - p.fail_at_x) < 1e-9:
            raise ValueError(f"this trial fails on purpose at x={p.x}")
        if p.fail_always:
            raise ValueError("this plugin fails for every trial")
        if p.oom_at_x is not None and abs(p.x - p.oom_at_x) < 1e-9:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 1.00 GiB free)")
        reporter = self.runtime.tune_reporter
        name = "quality" if p.omit_metric else "score"
        weights = self.context.work_dir / "weights.json"
        weights.parent.mkdir(parents=True, exist_ok=True)
        score = 0.0
        for epoch in range(p.epochs):
            time.sleep(p.epoch_seconds)
            if p.curve is not None:
                score = p.curve[str(p.x)][epoch]
            else:
                score = p.constant_score if p.constant_score is not None else score_of(p.x, p.y, epoch, p.epochs)
            weights.write_text(json.dumps({"x": p.x, "y": p.y, "pid": os.getpid(), "trial_id": trial_id,
                                           "epoch": epoch}))
            run.log_metric("val", name, score, epoch=epoch)
            run.log_visualization("val", "score_curve", {"data": [{"y": [score]}], "layout": {}}, epoch=epoch)
            if reporter is not None:
                # Keep this epoch's weights on the backend first: a scheduler may stop the
                # trial at the report. The last epoch is reported after the model upload.
                reporter.keep_weights(weights)
                # "cost" grows with x: with score, a second objective that conflicts with it.
                reporter.report({name: score, "train/loss": 1.0 - score, "cost": p.x}, epoch=epoch,
                                last=epoch == p.epochs - 1)
        return {"weights_path": str(weights), name: score, "cost": p.x}
