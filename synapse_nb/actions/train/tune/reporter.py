"""TrialReporter: how a trial reports each epoch to Ray Tune (so schedulers can stop it early)
and keeps its latest weights on the backend (so an early-stopped trial still has a model).

Example:
    >>> TrialReporter.flatten({"val/mAP50": 0.5, "train/box_loss": 1.0})
    {'val/mAP50': 0.5, 'mAP50': 0.5, 'train/box_loss': 1.0}
"""

from __future__ import annotations

__all__ = ["MODEL_CONFIG_FILE", "NODE_KEY", "TRIAL_FILES", "TrialReporter", "this_node", "trial_prefix"]

import contextlib
import json
import math
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synapse_nb._ray_reports import observing_reports

TRIAL_FILES = "trials"
# Facts for a trial's model kept beside its weights (e.g. the trainer's own arguments).
MODEL_CONFIG_FILE = "model_config.json"
# What a trial reports beside its metrics: the node it runs on (the trials table's column).
NODE_KEY = "node"


def this_node() -> str:
    """The label of the Ray node this process runs on (see ``NodeCapabilities.label``)."""
    import ray

    from synapse_nb.schemas.agent import node_label

    return node_label(ray.util.get_node_ip_address(), ray.get_runtime_context().get_node_id())


def trial_prefix(trial_id: str) -> str:
    """Where a trial's weights live among the task's files."""
    return f"{TRIAL_FILES}/{trial_id}"


class TrialReporter:
    """Reports results of one trial; remembers what it reported.

    A trial's last planned epoch is held back (``report(..., last=True)``) and sent by
    :meth:`finish` once the trial has registered its model: a scheduler stops a trial at
    its final report (ASHA/HyperBand at ``max_t``), and a stopped trial runs no further code.
    """

    def __init__(self, api: Any, task_id: int, trial_id: str, report_checkpoints: bool = False,
                 metric: str | None = None, objectives: list[str] | None = None,
                 keep_weights_at: list[int] | None = None) -> None:
        self.api = api
        self.task_id = task_id
        self.trial_id = trial_id
        self.report_checkpoints = report_checkpoints
        self.metric = metric
        # Every metric the search optimises (several in a multi-objective search).
        self.objectives = list(objectives or ([metric] if metric else []))
        # The reports the scheduler may stop this trial at (None: any of them).
        self.keep_weights_at = None if keep_weights_at is None else frozenset(keep_weights_at)
        self.last: dict[str, float] = {}
        self.reports = 0
        self.weights_kept = 0
        # Set once the trial's final result is on its way: a stop after it is the normal end.
        self.finished = False
        self._held: tuple[dict[str, float], Path | None] | None = None
        self._sending = False

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

    @property
    def stoppable_next(self) -> bool:
        """Whether the scheduler may stop this trial at its next report.

        Example:
            >>> TrialReporter(None, 1, "t1", keep_weights_at=[1, 4]).stoppable_next
            True
            >>> TrialReporter(None, 1, "t1", keep_weights_at=[]).stoppable_next
            False
        """
        return self.keep_weights_at is None or self.reports + 1 in self.keep_weights_at

    @property
    def stoppable_at_all(self) -> bool:
        """Whether the scheduler may stop this trial before its end at any report."""
        return self.keep_weights_at is None or bool(self.keep_weights_at)

    def keep_weights(self, weights: Path | None) -> None:
        """Upload this trial's current weights to the task's files before a report the
        scheduler may stop the trial at (synchronously: a stopped trial runs no further code).

        Before any other report it does nothing: a trial that reaches its end uploads its
        model itself, so its intermediate weights would only cost the trial time."""
        if weights is None or not Path(weights).is_file() or not self.stoppable_next:
            return
        self.weights_kept += 1
        with tempfile.TemporaryDirectory() as tmp:
            # ultralytics rewrites the file each epoch: upload a stable copy.
            snapshot = Path(tmp) / Path(weights).name
            shutil.copy2(weights, snapshot)
            self.api.task.upload_file(self.task_id, f"{trial_prefix(self.trial_id)}/{snapshot.name}", snapshot)

    def keep_model_config(self, config: dict[str, Any]) -> None:
        """Keep facts for this trial's model (e.g. the arguments the trainer ran with) on the
        backend, so a trial the scheduler stops still registers them with its model (nothing
        to keep when the scheduler never stops a trial early)."""
        if not self.stoppable_at_all:
            return
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / MODEL_CONFIG_FILE
            path.write_text(json.dumps(config, default=str), encoding="utf-8")
            self.api.task.upload_file(self.task_id, f"{trial_prefix(self.trial_id)}/{MODEL_CONFIG_FILE}", path)

    def report(self, metrics: dict[str, Any], epoch: int | None = None, checkpoint_dir: Path | None = None,
               last: bool = False) -> None:
        """Report one result (an epoch) to Ray Tune; ``last``: the trial's final planned epoch,
        held back until :meth:`finish`.

        A result without the tune metric fails this trial, naming what it did report (Ray
        would otherwise end the whole search over it).
        """
        values = self._checked(metrics, epoch)
        self.last = dict(values)
        if last:
            self._held = (values, checkpoint_dir)
            return
        self._send(values, checkpoint_dir)

    def _checked(self, metrics: dict[str, Any], epoch: int | None = None) -> dict[str, float]:
        values = self.flatten(metrics)
        if epoch is not None:
            values["epoch"] = epoch
        missing = [m for m in self.objectives if m not in values]
        if missing:
            from synapse_nb.errors import InputError

            raise InputError("tune_config.metric", f"the metric {missing[0]!r} in the trial's results",
                             got=f"metrics reported: {sorted(values)}")
        return values

    @contextlib.contextmanager
    def seeing_direct_reports(self) -> Iterator[None]:
        """While open, a plugin's own ``ray.tune.report(...)`` calls count as this trial's
        reports: checked for the tune metric, and the last one is the trial's result when the
        plugin returns nothing. Ray has no public hook for this: see :mod:`synapse_nb._ray_reports`."""

        def observe(metrics: dict[str, Any]) -> None:
            if not self._sending:
                self.last = self._checked(metrics)
                self.reports += 1

        with observing_reports(observe):
            yield

    def finish(self, final: dict[str, float]) -> None:
        """The trial's last report: the held final epoch, or ``final`` when nothing was reported."""
        self.finished = True
        if self._held is not None:
            values, checkpoint_dir = self._held
            self._held = None
            self._send(values, checkpoint_dir)
        elif self.reports == 0:
            self._send(final, None)

    def _send(self, values: dict[str, float], checkpoint_dir: Path | None) -> None:
        from ray import tune

        self.reports += 1
        self._sending = True
        # The node beside the metrics: the trials table shows where each trial ran.
        values = {**values, NODE_KEY: this_node()}
        try:
            if self.report_checkpoints and checkpoint_dir is not None and Path(checkpoint_dir).is_dir():
                tune.report(values, checkpoint=tune.Checkpoint.from_directory(str(checkpoint_dir)))
            else:
                tune.report(values)
        finally:
            self._sending = False
