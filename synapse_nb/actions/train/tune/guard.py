"""Ending a search that cannot succeed, with the reason.

:class:`SearchGuard` watches the search from the driver (a Ray Tune callback) and ends it
(through its :meth:`SearchGuard.stopper`) when:

* ``max_failed_trials`` trials have failed;
* ``max_consecutive_failures`` trials in a row have failed (KerasTuner's rule: a plugin
  that raises for every trial stops after a few, not after spending the whole budget);
* no trial has run for ``idle_timeout`` seconds while trials wait: the cluster cannot give
  a trial what it asks for.

The reason is written to the experiment folder (a restored search has its own unpickled
guard), where the driver reads it after ``fit()`` to fail the task with it.

Example:
    >>> guard = SearchGuard(Path("/tmp/x"), max_failed_trials=None, max_consecutive_failures=2, idle_timeout=600)
    >>> guard.count_failure("t1", Failure(code="plugin_error", message="ValueError: boom", remedy="r"))
    >>> guard.reason is None
    True
    >>> guard.count_failure("t2", Failure(code="plugin_error", message="ValueError: boom", remedy="r"))
    >>> guard.reason["code"], guard.reason["why"]
    ('plugin_error', '2 trials in a row failed (max_consecutive_failures=2)')
"""

from __future__ import annotations

__all__ = ["STOP_FILE", "SearchGuard", "StopInterrupt", "StopRequested", "clear_stop_reason", "error_text", "read_stop_reason", "stop_search_if_guarded"]

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from synapse_nb.actions.train.tune.failures import FAILURE_CODES, Failure
from synapse_nb.errors import BackendError

log = logging.getLogger("synapse_nb.tune")

try:
    from ray.tune import Callback, Stopper
except ImportError:  # pragma: no cover - ray is a dependency; this keeps import-time light paths safe
    Callback = object  # type: ignore[assignment,misc]
    Stopper = object  # type: ignore[assignment,misc]

STOP_FILE = ".synapse_nb_stop.json"


class _GuardStopper(Stopper):  # type: ignore[misc]
    """Ray's view of the guard: stop everything once the guard has a reason."""

    def __init__(self, guard: SearchGuard) -> None:
        self.guard = guard

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        return False

    def stop_all(self) -> bool:
        return self.guard.reason is not None


class StopInterrupt(Exception):
    """Raised inside Ray Tune's loop when the search's task is asked to stop."""


class StopRequested(Callback):  # type: ignore[misc]
    """Ends the search when its task is asked to stop (status ``stopping`` in the backend).

    It raises :class:`StopInterrupt` in Ray Tune's loop, which then ends the trials and frees
    their placement groups before the error leaves ``fit()``; the trials that were running stay
    unfinished in the saved experiment, so ``task.retry()`` runs them again. (A search driver
    killed instead would leave the placement groups, and the CPUs and GPUs they reserve, to the
    agent's Ray job until the agent exits.) It reads the task's binding and token from the
    search's context (``REPORT_BINDING``/``REPORT_TOKEN``), asks the backend at most every
    ``interval`` seconds, and pickles with neither (Ray Tune saves its callbacks).
    """

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._api: Any = None
        self._task_id: int | None = None
        self._asked_at = 0.0

    def __getstate__(self) -> dict[str, Any]:
        return {"interval": self.interval, "_api": None, "_task_id": None, "_asked_at": 0.0}

    def on_step_begin(self, iteration: int, trials: list[Any], **info: Any) -> None:
        if time.monotonic() - self._asked_at < self.interval:
            return
        self._asked_at = time.monotonic()
        try:
            api, task_id = self._client()
            stopping = api is not None and api.task.record(task_id).status == "stopping"
        except BackendError as exc:  # the backend away for a moment: asked again next time
            log.warning("could not read the search task's status: %s", exc)
            return
        if stopping:
            raise StopInterrupt(f"task {task_id} was asked to stop")

    def _client(self) -> tuple[Any, int | None]:
        if self._api is None:
            from synapse_nb.actions.train.tune.table import REPORT_BINDING, REPORT_TOKEN
            from synapse_nb.api import Api

            binding = REPORT_BINDING.get()
            token = REPORT_TOKEN.get()
            if binding is None or token is None:
                return None, None
            self._api = Api(binding["url"], token, verify=binding.get("verify", True))
            self._task_id = int(binding["task_id"])
        return self._api, self._task_id


class SearchGuard(Callback):  # type: ignore[misc]
    """Counts failed trials and idle time; sets :attr:`reason` when the search should end."""

    def __init__(self, experiment_dir: Path, max_failed_trials: int | None, max_consecutive_failures: int | None,
                 idle_timeout: float, resources: dict[str, float] | None = None) -> None:
        self.experiment_dir = Path(experiment_dir)
        self.max_failed_trials = max_failed_trials
        self.max_consecutive_failures = max_consecutive_failures
        self.idle_timeout = idle_timeout
        self.resources = dict(resources or {})
        self.failed: dict[str, Failure] = {}
        self.consecutive = 0
        self.reason: dict[str, Any] | None = None
        self._last_active: float | None = None

    def stopper(self) -> Stopper:
        """The Ray Tune stopper that ends the search when this guard says so."""
        return _GuardStopper(self)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        # A restored search (task.retry()) gets a fresh chance: its idle clock, the failures
        # in a row and the stop reason start afresh (the user may have fixed the cause).
        state.update(_last_active=None, consecutive=0, reason=None)
        return state

    # -- the rules -------------------------------------------------------------------------------

    def count_failure(self, trial_id: str, failure: Failure) -> None:
        """A trial failed for good (after its retry, if any)."""
        self.failed[trial_id] = failure
        self.consecutive += 1
        if self.max_consecutive_failures is not None and self.consecutive >= self.max_consecutive_failures:
            self._stop(failure, f"{self.consecutive} trials in a row failed "
                                f"(max_consecutive_failures={self.max_consecutive_failures})")
        elif self.max_failed_trials is not None and len(self.failed) >= self.max_failed_trials:
            self._stop(failure, f"{len(self.failed)} trials failed (max_failed_trials={self.max_failed_trials})")

    def count_success(self) -> None:
        """A trial finished: the failures are no longer in a row."""
        self.consecutive = 0

    def check_idle(self, statuses: list[str], now: float | None = None) -> None:
        """``statuses`` of every trial at this step of the search: end it when trials have
        waited ``idle_timeout`` seconds with none running."""
        now = time.monotonic() if now is None else now
        waiting = any(s == "PENDING" for s in statuses)
        if any(s == "RUNNING" for s in statuses) or not waiting or self._last_active is None:
            self._last_active = now
            return
        if now - self._last_active >= self.idle_timeout and self.reason is None:
            asked = ", ".join(f"{k}={v:g}" for k, v in self.resources.items()) or "its resources"
            available = _cluster_resources()
            self._stop(Failure(code="no_resources", message=f"no trial could be scheduled for {self.idle_timeout:g} s",
                               remedy=FAILURE_CODES["no_resources"]),
                       f"no trial could be scheduled for {self.idle_timeout:g} s: each trial waits for {asked}; "
                       f"the cluster has {available}")

    def _stop(self, failure: Failure, why: str) -> None:
        if self.reason is not None:
            return
        self.reason = {"code": failure.code, "why": why, "message": failure.message, "remedy": failure.remedy}
        self.experiment_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.experiment_dir / f".{STOP_FILE}.tmp"
        tmp.write_text(json.dumps(self.reason), encoding="utf-8")
        os.replace(tmp, self.experiment_dir / STOP_FILE)

    # -- Ray Tune events -------------------------------------------------------------------------

    def on_step_begin(self, iteration: int, trials: list[Any], **info: Any) -> None:
        self.check_idle([str(t.status) for t in trials])

    def on_trial_complete(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        self.count_success()

    def on_trial_error(self, iteration: int, trials: list[Any], trial: Any, **info: Any) -> None:
        from synapse_nb.actions.train.tune.failures import classify

        self.count_failure(trial.trial_id, classify(error_text(trial)))


def error_text(trial: Any) -> str:
    """The text of a failed trial's error (Ray's error file), or "error"."""
    path = getattr(trial, "error_file", None)
    if path and Path(path).is_file():
        return Path(path).read_text(errors="replace")
    return "error"


def stop_search_if_guarded(experiment_dir: Path, run: Any, log_table: Any) -> None:
    """Fail the task with the guard's reason, if it ended the search: the final trials table
    (``log_table()``) and the reason go to the task log first."""
    from synapse_nb.errors import SearchStopped

    reason = read_stop_reason(experiment_dir)
    if reason is None:
        return
    log_table()
    run.log(f"search stopped [{reason['code']}]: {reason['why']}; {reason['message']} ({reason['remedy']})",
            level="ERROR")
    raise SearchStopped(reason["code"], reason["why"], reason["remedy"], last_error=reason["message"])


def read_stop_reason(experiment_dir: Path) -> dict[str, Any] | None:
    """Why the guard ended the search in ``experiment_dir`` (None: it did not)."""
    path = Path(experiment_dir) / STOP_FILE
    if not path.is_file():
        return None
    return dict(json.loads(path.read_text(encoding="utf-8")))


def clear_stop_reason(experiment_dir: Path) -> None:
    """Forget an earlier attempt's reason (a retried search gets a fresh chance)."""
    (Path(experiment_dir) / STOP_FILE).unlink(missing_ok=True)


def _cluster_resources() -> str:
    try:
        import ray

        if not ray.is_initialized():
            return "unknown resources (Ray is not running here)"
        total = ray.cluster_resources()
    except ImportError:  # no Ray here: say nothing rather than guess
        return "unknown resources"
    shown = {k: v for k, v in total.items() if k in ("CPU", "GPU", "memory") or k.startswith("accelerator")}
    if "memory" in shown:
        shown["memory"] = round(shown["memory"] / 2**30, 1)
    return ", ".join(f"{k.lower()}={v:g}" + (" GiB" if k == "memory" else "") for k, v in sorted(shown.items()))
