"""The agent: registers with the backend, heartbeats, claims queued tasks and runs each on Ray.

One agent per machine (or per Ray cluster). Each claimed task runs as a Ray task in a fresh
worker process (``max_calls=1``): a task that crashes, even by killing its process, never
takes the agent down; ``task.stop()`` reaches the agent with the next heartbeat and the
worker is cancelled within seconds.

Example:
    >>> AgentConfig(name="gpu-box").poll_interval
    1.0
"""

from __future__ import annotations

__all__ = ["Agent", "AgentConfig"]

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from synapse_nb.errors import BackendError
from synapse_nb.schemas.task import TaskError

log = logging.getLogger("synapse_nb.agent")


class AgentConfig(BaseModel):
    """How an agent runs."""

    name: str = Field(default_factory=lambda: f"agent-{socket.gethostname()}")
    ray_address: str | None = None
    num_cpus: float | None = Field(default=None, gt=0, description="CPUs of a local Ray (default: all)")
    num_gpus: float | None = Field(default=None, ge=0)
    task_cpus: float | None = Field(default=None, gt=0, description="CPUs per training task (default: all of a local Ray, 1 on a cluster)")
    max_concurrent_tasks: int = Field(default=1, ge=1)
    poll_interval: float = Field(default=1.0, gt=0)
    heartbeat_interval: float = Field(default=2.0, gt=0)
    is_local: bool = False
    # Stop when the backend has been unreachable this long (an embedded agent follows its backend).
    exit_after_backend_lost: float | None = None
    # What payloads may make this agent execute (see synapse_nb.agent.trust).
    allowed_plugins: list[str] = Field(default_factory=lambda: _allowed_from_env())
    trust_uploaded_checkpoints: bool = False


def _allowed_from_env() -> list[str]:
    from synapse_nb.agent.trust import allowed_from_env

    return allowed_from_env()


@dataclass
class _Running:
    ref: Any
    started: float
    stop_requested: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Agent:
    """Claims tasks from the backend and runs them on Ray until :meth:`shutdown`."""

    def __init__(self, api: Any, config: AgentConfig) -> None:
        self.api = api
        self.config = config
        self.agent_id: int | None = None
        self.resources: dict[str, Any] = {}
        self._running: dict[int, _Running] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._backend_ok_at = time.monotonic()

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> int:
        """Start Ray and register; returns the agent id."""
        from synapse_nb.agent.capabilities import tensorrt_on_cluster
        from synapse_nb.agent.ray_runtime import init_ray

        self.resources = init_ray(self.config.ray_address, self.config.num_cpus, self.config.num_gpus)
        trt_ok, trt_reason = tensorrt_on_cluster(self.resources)
        self.resources.update({"tensorrt": trt_ok, "tensorrt_reason": trt_reason})
        agent = self.api.agent.register(
            self.config.name, self.resources, ray_address=self.config.ray_address,
            is_local=self.config.is_local, pid=os.getpid(), host=socket.gethostname(),
        )
        self.agent_id = agent.id
        threading.Thread(target=self._heartbeat_loop, name="agent-heartbeat", daemon=True).start()
        log.info("agent %s (id %s) ready with %s", self.config.name, self.agent_id, self.resources)
        return agent.id

    def serve_forever(self) -> None:
        """Claim and run tasks until :meth:`shutdown` (or the backend is gone for good)."""
        if self.agent_id is None:
            self.start()
        while not self._stop.is_set():
            try:
                self._reap_finished()
                if len(self._running) < self.config.max_concurrent_tasks:
                    self._claim_one()
                self._backend_ok_at = time.monotonic()
            except BackendError as exc:
                log.warning("backend unavailable: %s", exc)
                if self._backend_lost_too_long():
                    log.error("backend unreachable for too long: agent exits")
                    break
            except Exception:  # noqa: BLE001 - the agent must outlive any one bad task
                log.exception("agent loop error (continuing)")
            self._stop.wait(self.config.poll_interval)
        self._cancel_all("agent shut down")
        self._go_offline()

    def _go_offline(self) -> None:
        """Tell the backend at once (its tasks fail with the reason) rather than leaving it to
        notice the missing heartbeats."""
        if self.agent_id is None:
            return
        try:
            self.api.agent.offline(self.agent_id)
        except BackendError as exc:
            log.warning("could not tell the backend that agent %s goes offline: %s", self.agent_id, exc)

    def shutdown(self) -> None:
        """Ask :meth:`serve_forever` to return."""
        self._stop.set()

    # -- claiming and running ---------------------------------------------------------------------

    def _claim_one(self) -> None:
        assert self.agent_id is not None
        record = self.api.task.claim(self.agent_id)
        if record is None:
            return
        from synapse_nb.agent.trust import TaskRefused, check_task

        try:
            check_task(self.api, record, self.config.allowed_plugins, self.config.trust_uploaded_checkpoints)
        except TaskRefused as exc:
            log.warning("task %s refused: %s", record.id, exc)
            self._fail(record.id, str(exc), step="start")
            return
        try:
            self._submit(record)
        except Exception as exc:  # noqa: BLE001 - a task we can't even start fails, the agent goes on
            log.exception("task %s could not start", record.id)
            self._fail(record.id, f"the agent could not start the task: {type(exc).__name__}: {exc}", step="start")

    def _task_options(self, record: Any) -> dict[str, Any]:
        from synapse_nb.actions.runner import task_state

        state = task_state(record)
        cluster_cpus = float(self.resources.get("CPU", 1))
        cluster_gpus = float(self.resources.get("GPU", 0))
        if state.is_tune:
            # The tuning driver only schedules trials; each trial reserves its own resources.
            return {"num_cpus": 0, "num_gpus": 0}
        default_cpus = self.config.task_cpus or (cluster_cpus if not self.config.ray_address else 1)
        cpus = min(state.num_cpus or default_cpus, cluster_cpus)
        gpus = state.num_gpus if state.num_gpus is not None else (1 if cluster_gpus >= 1 else 0)
        return {"num_cpus": cpus, "num_gpus": min(gpus, cluster_gpus)}

    def _submit(self, record: Any) -> None:
        import ray

        from synapse_nb.agent.worker import run_task_in_worker

        options = self._task_options(record)
        remote = ray.remote(max_calls=1, max_retries=0)(run_task_in_worker).options(
            name=f"synapse_nb-task-{record.id}", **options)
        # The worker gets a token for this task only: the agent's own never enters Ray.
        task_token = self.api.tokens.for_task(record.id)
        ref = remote.remote(self.api.url, task_token, record.id, getattr(self.api, "verify", True))
        with self._lock:
            self._running[record.id] = _Running(ref=ref, started=time.monotonic())
        log.info("task %s started on Ray with %s", record.id, options)

    def _reap_finished(self) -> None:
        import ray

        with self._lock:
            items = list(self._running.items())
        if not items:
            return
        refs = [r.ref for _, r in items]
        done, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        done_set = set(done)
        for task_id, running in items:
            if running.ref not in done_set:
                continue
            with self._lock:
                self._running.pop(task_id, None)
            self._settle(task_id, running)

    def _settle(self, task_id: int, running: _Running) -> None:
        """Record how a finished Ray task ended when the task itself could not."""
        import ray
        from ray.exceptions import RayTaskError, TaskCancelledError

        try:
            ray.get(running.ref)
            return  # the task recorded its own success
        except TaskCancelledError:
            reason = "stopped"
        except RayTaskError as exc:
            reason = f"error: {exc.cause!r}" if getattr(exc, "cause", None) else "error"
        except Exception as exc:  # noqa: BLE001 - worker crash, OOM kill, node loss: all end the task
            reason = f"{type(exc).__name__}: {exc}"
        record = self.api.task.record(task_id)
        if record.is_final:
            return
        if running.stop_requested or record.status == "stopping":
            self.api.task.set_status(task_id, "stopped")
        else:
            self._fail(task_id, f"the task's worker ended unexpectedly ({reason[:500]})", step=None)

    def _fail(self, task_id: int, message: str, step: str | None) -> None:
        try:
            self.api.task.set_status(task_id, "failed", error=TaskError(step=step, message=message))
        except BackendError:
            log.exception("could not mark task %s failed", task_id)

    def _stop_tasks(self, task_ids: list[int]) -> None:
        import ray

        for task_id in task_ids:
            with self._lock:
                running = self._running.get(task_id)
            if running is None or running.stop_requested:
                continue
            running.stop_requested = True
            log.info("stopping task %s", task_id)
            ray.cancel(running.ref, force=True, recursive=True)

    def _cancel_all(self, reason: str) -> None:
        with self._lock:
            ids = list(self._running)
        self._stop_tasks(ids)

    # -- heartbeat ------------------------------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        while not self._stop.is_set():
            try:
                with self._lock:
                    running_ids = list(self._running)
                to_stop = self.api.agent.heartbeat(self.agent_id, running_task_ids=running_ids)
                self._backend_ok_at = time.monotonic()
                if to_stop:
                    self._stop_tasks(list(to_stop))
            except BackendError as exc:
                log.warning("heartbeat failed: %s", exc)
                if self._backend_lost_too_long():
                    self._stop.set()
            except Exception:  # noqa: BLE001 - keep heartbeating whatever one call did
                log.exception("heartbeat error")
            self._stop.wait(self.config.heartbeat_interval)

    def _backend_lost_too_long(self) -> bool:
        limit = self.config.exit_after_backend_lost
        return limit is not None and time.monotonic() - self._backend_ok_at > limit
