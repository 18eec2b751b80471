"""The live trials table: a Ray Tune callback that logs a snapshot of every trial's status,
hyperparameters and up to four metrics on each result, completion and error, and drives
the progress bar by the real number of trials.

The callback is pickled with the experiment (Ray saves it to resume a search): it keeps no
live connection, only the path of a small binding file that the driver rewrites on every
(re)start with the task to report to.

Example:
    >>> snapshot_row("TERMINATED", {"lr0": 0.01, "x": 1}, {"mAP50": 0.5}, ["lr0"], ["mAP50"])
    {'status': 'TERMINATED', 'lr0': 0.01, 'mAP50': 0.5}
"""

from __future__ import annotations

__all__ = [
    "BASE_COLUMNS", "BINDING_FILE", "FINISHED", "MAX_METRIC_COLUMNS", "REPORT_BINDING", "REPORT_TOKEN",
    "TRIAL_DIR_PREFIX", "TrialTableCallback", "metric_columns", "snapshot_row", "trial_dirname", "trial_node",
    "write_binding",
]

import json
import time
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from synapse_nb._atomic import atomic_write_text
from synapse_nb.actions.train.tune.reporter import NODE_KEY

try:
    from ray.tune import Callback
except ImportError:  # pragma: no cover - ray is a dependency; this keeps import-time light paths safe
    Callback = object  # type: ignore[assignment,misc]

BINDING_FILE = ".synapse_nb_binding.json"
FINISHED = ("TERMINATED", "ERROR")
TRIAL_DIR_PREFIX = "trial_"
MAX_METRIC_COLUMNS = 4
# The trials table's first columns; ``node`` is the Ray node that ran the trial.
BASE_COLUMNS = ("status", "iterations", "node")

_PREFERRED_METRICS = ("mAP50-95", "mAP50", "precision", "recall", "fitness")


def trial_dirname(trial: Any) -> str:
    """A trial's folder name, ``trial_<trial id>``: short, and the id can be read back from it
    (a trial that fails before reporting has no result to carry its id)."""
    return f"{TRIAL_DIR_PREFIX}{trial.trial_id}"


def trial_node(result: dict[str, Any]) -> str | None:
    """The node a trial's result came from: the label the trial reported, else the node's
    address Ray adds to every result (enough where each node is its own machine).

    Example:
        >>> trial_node({"node": "10.0.0.2/0a1b2c3d", "node_ip": "10.0.0.2"}), trial_node({"node_ip": "10.0.0.2"})
        ('10.0.0.2/0a1b2c3d', '10.0.0.2')
    """
    value = result.get(NODE_KEY) or result.get("node_ip")
    return str(value) if value else None


def metric_columns(metric: str | list[str], results: list[dict[str, Any]]) -> list[str]:
    """The metric columns of the trials table: the tune metric (every objective of a
    multi-objective search) first, then quality metrics, then losses, at most four.

    Example:
        >>> metric_columns("mAP50", [{"mAP50": 0.1, "val/box_loss": 2.0, "recall": 0.3, "epoch": 1}])
        ['mAP50', 'recall', 'val/box_loss']
        >>> metric_columns(["mAP50", "size"], [{"mAP50": 0.1, "recall": 0.3, "size": 4.0}])
        ['mAP50', 'size', 'recall']
    """
    numeric = {k for r in results for k, v in r.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    columns = [metric] if isinstance(metric, str) else list(metric)[:MAX_METRIC_COLUMNS]
    for key in [k for k in _PREFERRED_METRICS if k in numeric] + sorted(k for k in numeric if "loss" in k):
        if key not in columns and len(columns) < MAX_METRIC_COLUMNS:
            columns.append(key)
    return columns


# The token the callback reports with. It is never written into the binding file or the
# pickled experiment: the driver sets it (context-local, not process-wide) around fit(),
# whose loop calls the callbacks in the same thread.
REPORT_TOKEN: ContextVar[str | None] = ContextVar("synapse_nb_report_token", default=None)
# The binding of this (re)start, set beside the token: a search restored by another agent,
# from shared storage, carries the first agent's binding folder, which this machine lacks.
REPORT_BINDING: ContextVar[dict[str, Any] | None] = ContextVar("synapse_nb_report_binding", default=None)


def write_binding(experiment_dir: Path, url: str, task_id: int, offset: int = 0, verify: bool | str = True) -> None:
    """Tell the (possibly restored) callback which task it reports to (no token); 0600, atomic."""
    experiment_dir.mkdir(parents=True, exist_ok=True)
    binding = {"url": url, "task_id": task_id, "offset": offset, "verify": verify}
    atomic_write_text(experiment_dir / BINDING_FILE, json.dumps(binding), mode=0o600)


def snapshot_row(status: str, config: dict[str, Any], result: dict[str, Any], hyperparameters: list[str],
                 metrics: list[str]) -> dict[str, Any]:
    """One row of the trials table."""
    row: dict[str, Any] = {"status": status}
    row.update({h: config.get(h) for h in hyperparameters})
    for m in metrics:
        value = result.get(m)
        row[m] = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return row


class TrialTableCallback(Callback):  # type: ignore[misc]
    """Logs trial-table snapshots and trial progress for one search."""

    def __init__(self, binding_dir: Path, hyperparameters: list[str], metric: str | list[str], total_trials: int,
                 extra_rows: dict[str, dict[str, Any]] | None = None, min_interval: float = 1.0) -> None:
        self.binding_dir = Path(binding_dir)
        self.hyperparameters = list(hyperparameters)
        self.metric = metric
        self.metrics: list[str] = [metric] if isinstance(metric, str) else list(metric)[:MAX_METRIC_COLUMNS]
        self.total_trials = total_trials
        self.extra_rows = dict(extra_rows or {})
        self.min_interval = min_interval
        self._run: Any = None
        self._last_sent = 0.0
        self.rows: dict[str, dict[str, Any]] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_run"] = None  # a live connection is never pickled with the experiment
        return state

    # -- Ray Tune events -------------------------------------------------------------------------

    def on_trial_start(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._snapshot(trials, force=False)

    def on_trial_result(self, iteration: int, trials: list[Any], trial: Any, result: dict[str, Any],
                        **info: Any) -> None:
        self._learn_metrics(result)
        self._snapshot(trials, force=False)

    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._snapshot(trials, force=True)

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self._snapshot(trials, force=True)
        from synapse_nb.actions.train.tune.failures import raised_by_trial
        from synapse_nb.actions.train.tune.guard import error_text

        if not raised_by_trial(error_text(trial)):
            # It failed outside its own code (a lost worker, Ray Tune's restore of it): the
            # trial could not log why, so the driver does, beside the table's error column.
            self.run().log(f"trial {trial.trial_id} failed: {_failure(trial).describe()}", level="ERROR")

    def on_experiment_end(self, trials: list[Any], **info: Any) -> None:
        self._snapshot(trials, force=True)
        if self._run is not None:
            self._run.flush(timeout=30)

    # -- internals ---------------------------------------------------------------------------------

    def run(self) -> Any:
        """The TrainRun of the bound task (created on first use after a (re)start)."""
        if self._run is None:
            from synapse_nb.actions.train.run import TrainRun
            from synapse_nb.api import Api

            binding = REPORT_BINDING.get() or json.loads((self.binding_dir / BINDING_FILE).read_text())
            token = REPORT_TOKEN.get()
            if token is None:
                raise RuntimeError("the trial table callback runs outside the search that set its token")
            self._run = TrainRun(Api(binding["url"], token, verify=binding.get("verify", True)), binding["task_id"])
        return self._run

    def _learn_metrics(self, result: dict[str, Any]) -> None:
        if len(self.metrics) >= MAX_METRIC_COLUMNS:
            return
        for key in metric_columns(self.metric, [result]):
            if key not in self.metrics and len(self.metrics) < MAX_METRIC_COLUMNS:
                self.metrics.append(key)

    def _row(self, trial: Any) -> dict[str, Any]:
        row = snapshot_row(str(trial.status), trial.config or {}, trial.last_result or {}, self.hyperparameters,
                           self.metrics)
        row["iterations"] = (trial.last_result or {}).get("training_iteration")
        row["node"] = trial_node(trial.last_result or {})
        if str(trial.status) == "ERROR":
            failure = _failure(trial)
            row["error"], row["failure"] = failure.describe()[:500], failure.code
        return row

    def _snapshot(self, trials: list[Any], force: bool) -> None:
        now = time.monotonic()
        self.rows = {**self.extra_rows, **{t.trial_id: self._row(t) for t in trials}}
        done = sum(1 for r in self.rows.values() if r["status"] in FINISHED)
        run = self.run()
        total = max(self.total_trials, len(self.rows))
        # Tune mode's proportions: dataset 20 %, trials 75 %, model upload 5 %.
        run.set_progress(done, total, "train", overall=0.20 + 0.75 * done / total)
        if not force and now - self._last_sent < self.min_interval:
            return
        self._last_sent = now
        run.log_trials(trials=self.rows, base=list(BASE_COLUMNS), hyperparameters=self.hyperparameters,
                       metrics=self.metrics, best_trial="")


def _failure(trial: Any) -> Any:
    from synapse_nb.actions.train.tune.failures import classify
    from synapse_nb.actions.train.tune.guard import error_text

    return classify(error_text(trial))
