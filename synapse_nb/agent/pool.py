"""Warm workers: Ray actors that have already imported the training stack, reused across tasks.

A fresh Ray worker per task pays for importing torch and ultralytics (seconds) before the
first epoch; a warm worker has done that while the agent waited. Isolation stays:

- ``stop(task_id)`` kills the worker running the task at once (``ray.kill``) and starts a
  replacement, so ``task.stop()`` ends the run as fast as with a fresh worker;
- a task that crashes its worker (a segfault, ``os._exit``, an out-of-memory kill) fails
  alone: the dead worker is found when the task ends and replaced;
- a worker is replaced after ``max_tasks_per_worker`` tasks, or when its memory (resident
  set of the worker and its child processes, read with psutil) has grown past
  ``max_memory_mb`` after a task, so what one task leaked never piles up.

Workers hold the resource shape of a training task (``options``): a task of another shape,
or a search whose trials need those resources, runs outside the pool, and the agent frees
the idle workers first (:meth:`WorkerPool.release_idle`) so it never waits on them.

Example:
    >>> PoolConfig().size, PoolConfig(size=0).enabled
    (1, False)
"""

from __future__ import annotations

__all__ = ["DEFAULT_PRELOAD", "PoolConfig", "WarmWorker", "WorkerPool"]

import importlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger("synapse_nb.agent.pool")

DEFAULT_PRELOAD = ("synapse_nb.actions.runner", "torch", "ultralytics")


class PoolConfig(BaseModel):
    """How many warm workers an agent keeps, and when one is replaced."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: int = Field(default=1, ge=0, description="warm workers kept ready (0: a fresh worker per task)")
    max_tasks_per_worker: int = Field(default=20, ge=1, description="tasks a worker runs before it is replaced")
    max_memory_mb: float | None = Field(default=8192.0, gt=0,
                                        description="replace a worker whose memory after a task is past this (MiB)")
    preload: tuple[str, ...] = Field(default=DEFAULT_PRELOAD, description="modules a worker imports before its first task")
    health_timeout: float = Field(default=30.0, gt=0, description="seconds a worker may take to answer after a task")
    start_timeout: float = Field(default=600.0, gt=0, description="seconds a new worker may take to import `preload`")

    @property
    def enabled(self) -> bool:
        """Whether tasks run on warm workers at all."""
        return self.size > 0


def _memory_mb() -> float:
    """Resident memory of this process and its children, in MiB."""
    import psutil

    process = psutil.Process()
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # a child that ended (or is not ours to read) holds nothing we can count
    return total / 2**20


class WarmWorker:
    """The actor: imports ``preload`` once, then runs one function call per task."""

    def __init__(self, preload: tuple[str, ...]) -> None:
        for name in preload:
            importlib.import_module(name)
        self.tasks = 0

    def info(self) -> dict[str, Any]:
        """Process id, memory (MiB) and tasks run so far; answering also proves it is alive."""
        return {"pid": os.getpid(), "memory_mb": _memory_mb(), "tasks": self.tasks}

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run one task's function here."""
        self.tasks += 1
        return fn(*args)


@dataclass
class _Slot:
    actor: Any
    tasks: int = 0
    task_id: int | None = None


class WorkerPool:
    """Warm workers of one resource shape (``options``: ``num_cpus``, ``num_gpus``).

    Example:
        >>> pool = WorkerPool(PoolConfig(size=0), {"num_cpus": 1})
        >>> pool.submit(1, print) is None  # a pool of size 0 runs nothing: a fresh worker does
        True
    """

    def __init__(self, config: PoolConfig, options: dict[str, Any]) -> None:
        self.config = config
        self.options = dict(options)
        self._slots: list[_Slot] = []
        self._lock = threading.Lock()
        self._released = False
        self.replaced = 0  # workers replaced so far (stops, crashes, limits)

    # -- workers -----------------------------------------------------------------------------------

    def _spawn(self) -> _Slot:
        import ray

        actor_cls = ray.remote(max_restarts=0, max_task_retries=0)(WarmWorker)
        actor = actor_cls.options(**self.options).remote(tuple(self.config.preload))
        return _Slot(actor=actor)

    def fill(self) -> None:
        """Start workers up to ``size`` (they import in the background); undoes :meth:`release_idle`."""
        if not self.config.enabled:
            return
        with self._lock:
            self._released = False
            while len(self._slots) < self.config.size:
                self._slots.append(self._spawn())

    def fits(self, options: dict[str, Any]) -> bool:
        """Whether a task needing ``options`` can run on these workers."""
        return self.config.enabled and {k: float(v) for k, v in options.items()} == {
            k: float(v) for k, v in self.options.items()}

    def submit(self, task_id: int, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` for ``task_id`` on an idle warm worker; its ObjectRef, or None
        when every worker is busy (or the pool is empty)."""
        if not self.config.enabled:
            return None
        if self._released:
            self.fill()
        with self._lock:
            slot = next((s for s in self._slots if s.task_id is None), None)
            if slot is None:
                return None
            slot.task_id = task_id
        if not self._ready(slot):
            return None
        return slot.actor.call.remote(fn, *args)

    def _ready(self, slot: _Slot) -> bool:
        """Wait for ``slot``'s worker to finish importing. One that failed to start (a
        preload module that does not import here) turns the pool off, so tasks run on fresh
        workers instead of failing one after another."""
        import ray
        from ray.exceptions import RayError

        try:
            ray.get(slot.actor.info.remote(), timeout=self.config.start_timeout)
            return True
        except RayError as exc:  # GetTimeoutError included: a worker that never became ready
            log.error("a warm worker could not start (%s: %s); tasks run on fresh workers from now on",
                      type(exc).__name__, str(exc)[:300])
            self.config = self.config.model_copy(update={"size": 0})
            self.shutdown()
            return False

    def running(self, task_id: int) -> bool:
        """Whether ``task_id`` runs on a worker of this pool."""
        with self._lock:
            return any(s.task_id == task_id for s in self._slots)

    def stop(self, task_id: int) -> bool:
        """Kill the worker running ``task_id`` and start its replacement; False if none runs it."""
        with self._lock:
            slot = next((s for s in self._slots if s.task_id == task_id), None)
            if slot is None:
                return False
            self._replace(slot, f"task {task_id} stopped")
        return True

    def finished(self, task_id: int) -> None:
        """``task_id`` ended: keep its worker for the next task, or replace it when it died,
        ran ``max_tasks_per_worker`` tasks, or its memory grew past ``max_memory_mb``."""
        import ray
        from ray.exceptions import GetTimeoutError, RayError

        with self._lock:
            slot = next((s for s in self._slots if s.task_id == task_id), None)
        if slot is None:
            return
        slot.tasks += 1
        try:
            info = ray.get(slot.actor.info.remote(), timeout=self.config.health_timeout)
        except (RayError, GetTimeoutError) as exc:  # GetTimeoutError is a RayError too; named for the reader
            reason = f"its worker ended with task {task_id} ({type(exc).__name__})"
        else:
            limit = self.config.max_memory_mb
            if slot.tasks >= self.config.max_tasks_per_worker:
                reason = f"it ran {slot.tasks} tasks"
            elif limit is not None and info["memory_mb"] > limit:
                reason = f"its memory grew to {info['memory_mb']:.0f} MiB (limit {limit:g})"
            else:
                slot.task_id = None
                return
        with self._lock:
            if slot in self._slots:
                self._replace(slot, reason)

    def _replace(self, slot: _Slot, reason: str) -> None:
        """Kill ``slot``'s worker and put a fresh one in its place (called with the lock held)."""
        import ray

        log.info("replacing a warm worker: %s", reason)
        ray.kill(slot.actor, no_restart=True)
        index = self._slots.index(slot)
        if self._released:
            del self._slots[index]
        else:
            self._slots[index] = self._spawn()
        self.replaced += 1

    def release_idle(self) -> int:
        """Kill the idle workers so their resources are free for a task outside the pool;
        the pool fills again on :meth:`fill` or the next :meth:`submit`. Returns how many."""
        import ray

        with self._lock:
            self._released = True
            idle = [s for s in self._slots if s.task_id is None]
            for slot in idle:
                ray.kill(slot.actor, no_restart=True)
                self._slots.remove(slot)
        return len(idle)

    def workers(self) -> list[dict[str, Any]]:
        """``info()`` of every worker (pid, memory, tasks) and the task it runs; waits for
        workers still importing."""
        import ray

        with self._lock:
            slots = list(self._slots)
        infos = ray.get([s.actor.info.remote() for s in slots], timeout=600)
        return [{**info, "task_id": slot.task_id} for slot, info in zip(slots, infos)]

    def shutdown(self) -> None:
        """Kill every worker."""
        import ray

        with self._lock:
            slots, self._slots = self._slots, []
            self._released = True
        for slot in slots:
            ray.kill(slot.actor, no_restart=True)
