"""The agent: registers with the backend, heartbeats, claims queued tasks and runs each on Ray.

One agent per machine (or per Ray cluster). Each claimed task runs on a warm worker of the
agent's pool (a Ray actor that has imported the training stack, see
:mod:`synapse_nb.agent.pool`), or, when none fits, as a Ray task in a fresh worker process
(``max_calls=1``): a task that crashes, even by killing its process, never takes the agent
down; ``task.stop()`` reaches the agent with the next heartbeat and the worker is killed
(or cancelled) within seconds.

Example:
    >>> Agent.__name__
    'Agent'
"""

from __future__ import annotations

__all__ = ["Agent", "AgentAlreadyRunning", "AgentConfig", "acquire_local_lock"]

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from synapse_nb._home import sub_dir
from synapse_nb.agent.config import AgentConfig
from synapse_nb.agent.local_lock import AgentAlreadyRunning, acquire_local_lock
from synapse_nb.agent.pool import WorkerPool
from synapse_nb.agent.unsettled import Settlements
from synapse_nb.errors import BackendError

log = logging.getLogger("synapse_nb.agent")


@dataclass
class _Running:
    ref: Any
    started: float
    stop_requested: bool = False
    graceful_stop: bool = False  # a search: interrupt it first, kill it only after the grace period
    stop_requested_at: float | None = None
    killed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Agent:
    """Claims tasks from the backend and runs them on Ray until :meth:`shutdown`."""

    def __init__(self, api: Any, config: AgentConfig, local_lock: Any = None) -> None:
        self.api = api
        self.config = config
        self.agent_id: int | None = None
        self.resources: dict[str, Any] = {}
        self._running: dict[int, _Running] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._backend_ok_at = time.monotonic()
        # Tasks whose end the backend has not confirmed yet (kept in a file, so an agent
        # restarted meanwhile still records how they ended).
        self.settlements = Settlements(api, sub_dir("agent") / f"unsettled-{config.name}.json",
                                       config.settle_retry_for)
        self._node_ids: frozenset[str] = frozenset()
        self._local_lock: Any = local_lock
        self.pool: WorkerPool | None = None

    @property
    def worker_url(self) -> str:
        """The backend URL the workers (and trials) report to."""
        return self.config.worker_url or self.api.url

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> int:
        """Start Ray, check the cluster's settings, measure its nodes and register; returns the
        agent id. Raises :class:`AgentAlreadyRunning` for a second local agent of one home and
        ``InputError`` for storage or a worker URL the cluster cannot use."""
        import ray

        from synapse_nb.agent.cluster import check_storage, check_worker_url, cluster_nodes
        from synapse_nb.agent.ray_runtime import init_ray

        if self.config.is_local and self._local_lock is None:
            self._local_lock = acquire_local_lock()
        self.settlements.load()
        self.resources = init_ray(self.config.ray_address, self.config.num_cpus, self.config.num_gpus)
        nodes = cluster_nodes()
        addresses = [n.address for n in nodes]
        # Before any task is claimed: a cluster that cannot reach them fails every search.
        check_storage(self.config.storage, self.config.storage_shared, addresses)
        check_worker_url(self.worker_url, ray.util.get_node_ip_address(), addresses)
        self._measure(nodes)
        self.settlements.settle_pending()
        agent = self.api.agent.register(
            self.config.name, self.resources, ray_address=self.config.ray_address,
            is_local=self.config.is_local, pid=os.getpid(), host=socket.gethostname(),
            running_task_ids=self.settlements.task_ids(),
        )
        self.agent_id = agent.id
        if self.config.pool.enabled:
            # After the GPU probe above: the warm workers hold a training task's resources.
            self.pool = WorkerPool(self.config.pool, self._train_options())
            self.pool.fill()
        threading.Thread(target=self._heartbeat_loop, name="agent-heartbeat", daemon=True).start()
        log.info("agent %s (id %s) ready with %s", self.config.name, self.agent_id, self.resources)
        return agent.id

    def _measure(self, nodes: list[Any]) -> None:
        """GPUs and TensorRT of every node, measured there, into ``self.resources``."""
        import ray

        from synapse_nb.agent.cluster import cluster_summary, probe_nodes

        self._node_ids = frozenset(n.node_id for n in nodes)
        self.resources = {**dict(ray.cluster_resources()), **cluster_summary(probe_nodes(nodes))}

    def _nodes_changed(self) -> bool:
        """Re-measure when nodes joined or left; True when the resources changed."""
        from synapse_nb.agent.cluster import cluster_nodes

        nodes = cluster_nodes()
        if frozenset(n.node_id for n in nodes) == self._node_ids:
            return False
        log.info("the Ray cluster changed: %d nodes", len(nodes))
        self._measure(nodes)
        return True

    def serve_forever(self) -> None:
        """Claim and run tasks until :meth:`shutdown` (or the backend is gone for good)."""
        if self.agent_id is None:
            self.start()
        while not self._stop.is_set():
            round_started = time.monotonic()
            try:
                self.settlements.settle_pending()
                self._reap_finished()
                if len(self._running) < self.config.max_concurrent_tasks:
                    # The claim waits for a task the rest of this round: one queued meanwhile
                    # starts at once instead of at the next round.
                    self._claim_one(wait=self.config.poll_interval)
                self._backend_ok_at = time.monotonic()
            except BackendError as exc:
                log.warning("backend unavailable: %s", exc)
                if self._backend_lost_too_long():
                    log.error("backend unreachable for too long: agent exits")
                    break
            except Exception:  # noqa: BLE001 - the agent must outlive any one bad task
                log.exception("agent loop error (continuing)")
            # What the claim did not wait (a task came, or the backend does not wait).
            self._stop.wait(max(0.0, self.config.poll_interval - (time.monotonic() - round_started)))
        self._cancel_all("agent shut down")
        if self.pool is not None:
            self.pool.shutdown()
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

    def _claim_one(self, wait: float = 0.0) -> None:
        assert self.agent_id is not None
        record = self.api.task.claim(self.agent_id, wait=wait)
        if record is None:
            return
        from synapse_nb.agent.trust import TaskRefused, check_task

        try:
            check_task(self.api, record, self.config.allowed_plugins, self.config.trust_uploaded_checkpoints)
        except TaskRefused as exc:
            log.warning("task %s refused: %s", record.id, exc)
            self.settlements.fail(record.id, str(exc), step="start")
            return
        try:
            self._submit(record)
        except Exception as exc:  # noqa: BLE001 - a task we can't even start fails, the agent goes on
            log.exception("task %s could not start", record.id)
            self.settlements.fail(record.id, f"the agent could not start the task: {type(exc).__name__}: {exc}", step="start")

    def _task_options(self, record: Any) -> dict[str, Any]:
        from synapse_nb.schemas.task import task_state

        state = task_state(record)
        if state.is_tune:
            # The tuning driver only schedules trials; each trial reserves its own resources.
            return {"num_cpus": 0, "num_gpus": 0}
        return self._train_options(state.num_cpus, state.num_gpus)

    def _train_options(self, num_cpus: float | None = None, num_gpus: float | None = None) -> dict[str, Any]:
        """Ray resources of a training task (the defaults are the warm workers' shape)."""
        cluster_cpus = float(self.resources.get("CPU", 1))
        cluster_gpus = float(self.resources.get("GPU", 0))
        default_cpus = self.config.task_cpus or (cluster_cpus if not self.config.ray_address else 1)
        cpus = min(num_cpus or default_cpus, cluster_cpus)
        gpus = num_gpus if num_gpus is not None else (1 if cluster_gpus >= 1 else 0)
        return {"num_cpus": cpus, "num_gpus": min(gpus, cluster_gpus)}

    def _submit(self, record: Any) -> None:
        import ray

        from synapse_nb.agent.worker import run_task_in_worker

        from synapse_nb.schemas.task import task_state

        options = self._task_options(record)
        # The worker gets a token for this task only: the agent's own never enters Ray.
        task_token = self.api.tokens.for_task(record.id)
        args = (self.worker_url, task_token, record.id, getattr(self.api, "verify", True))
        is_search = task_state(record).is_tune
        # A search never runs on a warm worker: stopping it interrupts it (see _stop_tasks) rather
        # than killing its process, and a pooled task asks for nothing beyond CPUs and GPUs.
        poolable = self.pool is not None and not is_search and not self.config.task_resources
        ref = self.pool.submit(record.id, run_task_in_worker, *args) if poolable and self.pool.fits(options) else None
        pooled = ref is not None
        if not pooled:
            if self.pool is not None:
                self.pool.release_idle()  # idle warm workers hold what this task (or its trials) needs
            if self.config.task_resources:
                options["resources"] = dict(self.config.task_resources)
            if self.config.storage:
                # A search's driver runs in this worker: it stores the experiment there.
                from synapse_nb.agent.cluster import STORAGE_ENV

                options["runtime_env"] = {"env_vars": {STORAGE_ENV: self.config.storage}}
            remote = ray.remote(max_calls=1, max_retries=0)(run_task_in_worker).options(
                name=f"synapse_nb-task-{record.id}", **options)
            ref = remote.remote(*args)
        with self._lock:
            self._running[record.id] = _Running(ref=ref, started=time.monotonic(), graceful_stop=is_search,
                                                extra={"pooled": pooled})
        log.info("task %s started on Ray with %s%s", record.id, options, " (warm worker)" if pooled else "")

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
                self._kill_if_stop_overdue(task_id, running)
                continue
            outcome = self._outcome(running)
            if outcome is not None:
                # Kept until the backend confirms it, across restarts too: a task dropped
                # before that would stay "running" for ever.
                self.settlements.add(task_id, outcome)
            with self._lock:
                self._running.pop(task_id, None)
            if self.pool is not None and running.extra.get("pooled"):
                self.pool.finished(task_id)
        self.settlements.settle_pending()
        if self.pool is not None:
            with self._lock:
                outside = any(not r.extra.get("pooled") for r in self._running.values())
            if not outside:
                self.pool.fill()  # warm again once nothing outside the pool needs the resources

    @staticmethod
    def _outcome(running: _Running) -> dict[str, Any] | None:
        """How a finished Ray task ended, when the task itself may not have recorded it."""
        import ray
        from ray.exceptions import RayTaskError, TaskCancelledError

        try:
            ray.get(running.ref)
            return None  # the task recorded its own success
        except TaskCancelledError:
            reason = "stopped"
        except RayTaskError as exc:
            reason = f"error: {exc.cause!r}" if getattr(exc, "cause", None) else "error"
        except Exception as exc:  # noqa: BLE001 - worker crash, OOM kill, node loss: all end the task
            reason = f"{type(exc).__name__}: {exc}"
        return {"stop_requested": running.stop_requested,
                "message": f"the task's worker ended unexpectedly ({reason[:500]})"}

    def _stop_tasks(self, task_ids: list[int]) -> None:
        for task_id in task_ids:
            with self._lock:
                running = self._running.get(task_id)
            if running is None or running.stop_requested:
                continue
            running.stop_requested = True
            running.stop_requested_at = time.monotonic()
            if running.graceful_stop:
                # A search ends itself: its driver sees the task "stopping" in the backend and
                # has Ray Tune end the trials, which removes their placement groups. Killed,
                # the driver would leave those (and the CPUs and GPUs they reserve) to the
                # agent's Ray job until the agent exits: Ray frees a placement group made by a
                # task only with its job. Killed only when it has not ended after the grace.
                log.info("stopping search %s (it ends its trials itself)", task_id)
            elif running.extra.get("pooled"):
                # Its warm worker is killed and replaced (Ray cannot force-cancel an actor
                # call); a worker no longer running it has already ended it.
                log.info("stopping task %s", task_id)
                if self.pool is not None:
                    self.pool.stop(task_id)
            else:
                log.info("stopping task %s", task_id)
                self._kill(running)

    def _kill(self, running: _Running) -> None:
        import ray

        running.killed = True
        ray.cancel(running.ref, force=True, recursive=True)

    def _kill_if_stop_overdue(self, task_id: int, running: _Running) -> None:
        if not running.stop_requested or running.killed or running.stop_requested_at is None:
            return
        if time.monotonic() - running.stop_requested_at >= self.config.search_stop_grace:
            log.warning("search %s did not end %.0f s after it was interrupted: killing it",
                        task_id, self.config.search_stop_grace)
            self._kill(running)

    def _cancel_all(self, reason: str) -> None:
        # The agent's Ray job ends with the agent, and with it every placement group: kill at once.
        with self._lock:
            running = list(self._running.values())
        for item in running:
            item.stop_requested = True
            if item.extra.get("pooled"):
                continue  # the pool's shutdown kills its workers
            self._kill(item)

    # -- heartbeat ------------------------------------------------------------------------------

    def _heartbeat_loop(self) -> None:
        while not self._stop.is_set():
            try:
                with self._lock:
                    running_ids = list(self._running) + self.settlements.task_ids()
                changed = False
                try:
                    changed = self._nodes_changed()
                except Exception:  # noqa: BLE001 - a Ray hiccup must not cost a heartbeat
                    log.exception("could not list the Ray cluster's nodes")
                to_stop = self.api.agent.heartbeat(self.agent_id, resources=self.resources if changed else None,
                                                   running_task_ids=running_ids)
                self._backend_ok_at = time.monotonic()
                if to_stop:
                    self._stop_tasks(list(to_stop))
            except BackendError as exc:
                log.warning("heartbeat failed: %s", exc)
                if self._backend_lost_too_long():
                    log.error("backend unreachable for too long: agent exits")
                    self._stop.set()
            except Exception:  # noqa: BLE001 - keep heartbeating whatever one call did
                log.exception("heartbeat error")
            self._stop.wait(self.config.heartbeat_interval)

    def _backend_lost_too_long(self) -> bool:
        limit = self.config.exit_after_backend_lost
        return limit is not None and time.monotonic() - self._backend_ok_at > limit
