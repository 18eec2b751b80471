"""TrialReporter: how a trial reports each epoch to Ray Tune (so schedulers can stop it early)
and keeps its latest weights on the backend (so an early-stopped trial still has a model).

Example:
    >>> TrialReporter.flatten({"val/mAP50": 0.5, "train/box_loss": 1.0})
    {'val/mAP50': 0.5, 'mAP50': 0.5, 'train/box_loss': 1.0}
"""

from __future__ import annotations

import math
import shutil
import tempfile
from pathlib import Path
from typing import Any

TRIAL_FILES = "trials"


def trial_prefix(trial_id: str) -> str:
    """Where a trial's weights live among the task's files."""
    return f"{TRIAL_FILES}/{trial_id}"


class TrialReporter:
    """Reports results of one trial; remembers what it reported."""

    def __init__(self, api: Any, task_id: int, trial_id: str, report_checkpoints: bool = False) -> None:
        self.api = api
        self.task_id = task_id
        self.trial_id = trial_id
        self.report_checkpoints = report_checkpoints
        self.last: dict[str, float] = {}
        self.reports = 0

    @staticmethod
    def flatten(metrics: dict[str, Any]) -> dict[str, float]:
        """Numeric metrics as given (``val/mAP50``), plus validation quality metrics under their
        plain name too (``mAP50``), so a tune metric may be written either way."""
        flat: dict[str, float] = {}
        for name, value in metrics.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(float(value)):
                continue
            flat[name] = float(value)
            category, sep, key = name.partition("/")
            if sep and category == "val" and "loss" not in key:
                flat[key] = float(value)
        return flat

    def keep_weights(self, weights: Path | None) -> None:
        """Upload this trial's current weights to the task's files (synchronously, before the
        report: a scheduler may stop the trial right after it)."""
        if weights is None or not Path(weights).is_file():
            return
        with tempfile.TemporaryDirectory() as tmp:
            # ultralytics rewrites the file each epoch: upload a stable copy.
            snapshot = Path(tmp) / Path(weights).name
            shutil.copy2(weights, snapshot)
            self.api.task.upload_file(self.task_id, f"{trial_prefix(self.trial_id)}/{snapshot.name}", snapshot)

    def report(self, metrics: dict[str, Any], epoch: int | None = None, checkpoint_dir: Path | None = None) -> None:
        """Report one result (an epoch) to Ray Tune."""
        from ray import tune

        values = self.flatten(metrics)
        if epoch is not None:
            values["epoch"] = epoch
        self.last = dict(values)
        self.reports += 1
        if self.report_checkpoints and checkpoint_dir is not None and Path(checkpoint_dir).is_dir():
            tune.report(values, checkpoint=tune.Checkpoint.from_directory(str(checkpoint_dir)))
        else:
            tune.report(values)
