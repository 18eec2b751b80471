"""The warm worker pool on a real local Ray: workers are reused, a stop kills and replaces
one at once, a crash fails only its own task, and a worker is replaced after N tasks or
when its memory grows past the limit.

The workers preload only small modules here (the agent's default preloads torch and
ultralytics; the end-to-end agent tests run on that), so the module costs seconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from synapse_nb.agent.pool import PoolConfig, WorkerPool
from tests.agent.pool_helpers import leak, slow_answer, whoami

ray = pytest.importorskip("ray")
from ray.exceptions import RayActorError  # noqa: E402

LIGHT = ("wave",)  # a module a fresh Ray worker has not imported (the last test checks)


@pytest.fixture(scope="module", autouse=True)
def local_ray(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    import tempfile

    if ray.is_initialized():
        pytest.skip("Ray is already initialised in this process")
    temp = Path(tempfile.mkdtemp(prefix="snb-pool-"))  # short: Ray's socket paths have a length limit
    repo = Path(__file__).resolve().parents[2]  # the workers import the helpers by name
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False, _temp_dir=str(temp),
             runtime_env={"env_vars": {"PYTHONPATH": str(repo)}})
    yield
    ray.shutdown()


def _pool(**config: Any) -> WorkerPool:
    pool = WorkerPool(PoolConfig(preload=LIGHT, **config), {"num_cpus": 0.5, "num_gpus": 0})
    pool.fill()
    return pool


def _gone(pid: int, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.1)
    return False


def test_a_warm_worker_is_reused_then_replaced_after_max_tasks() -> None:
    pool = _pool(max_tasks_per_worker=2)
    try:
        runs = []
        for task_id in (1, 2, 3):
            ref = pool.submit(task_id, whoami)
            assert ref is not None
            runs.append(ray.get(ref, timeout=120))
            pool.finished(task_id)
        assert all(run["preloaded"] for run in runs), "the worker imported its preload before the task"
        assert runs[0]["pid"] == runs[1]["pid"], "the second task ran on the same warm worker"
        assert runs[2]["pid"] != runs[1]["pid"], "after 2 tasks the worker was replaced"
        assert pool.replaced == 1
    finally:
        pool.shutdown()


def test_stop_kills_the_worker_at_once_and_a_fresh_one_takes_the_next_task() -> None:
    pool = _pool()
    try:
        (worker,) = pool.workers()
        ref = pool.submit(7, time.sleep, 600)
        assert pool.running(7)
        assert pool.stop(7)
        with pytest.raises(RayActorError):
            ray.get(ref, timeout=60)  # ended by the kill, not by the 600 s sleep
        assert _gone(worker["pid"]), "the stopped task's process is gone"
        assert not pool.running(7) and not pool.stop(7)
        pool.finished(7)  # the agent reports it ended; nothing more to do
        after = ray.get(pool.submit(8, whoami), timeout=120)
        assert after["pid"] != worker["pid"] and after["preloaded"]
    finally:
        pool.shutdown()


def test_a_crash_fails_only_its_own_task() -> None:
    pool = _pool(size=2)
    try:
        crashed = pool.submit(1, os._exit, 3)  # the process dies, as an OOM kill or a segfault ends it
        other = pool.submit(2, slow_answer)
        assert crashed is not None and other is not None
        with pytest.raises(RayActorError):
            ray.get(crashed, timeout=60)
        pool.finished(1)
        assert ray.get(other, timeout=120) == "answered", "the other task's worker went on"
        pool.finished(2)
        assert pool.replaced == 1
        workers = pool.workers()
        assert len(workers) == 2 and all(w["task_id"] is None for w in workers)
    finally:
        pool.shutdown()


def test_a_worker_whose_memory_grew_past_the_limit_is_replaced() -> None:
    probe = _pool(max_memory_mb=None)
    try:
        (idle,) = probe.workers()
    finally:
        probe.shutdown()
    limit = idle["memory_mb"] + 150
    pool = _pool(max_memory_mb=limit)
    try:
        small = ray.get(pool.submit(1, whoami), timeout=120)
        pool.finished(1)
        assert ray.get(pool.submit(2, whoami), timeout=120)["pid"] == small["pid"], "under the limit: kept"
        pool.finished(2)
        leaked = ray.get(pool.submit(3, leak, 300), timeout=120)
        assert leaked == small["pid"]
        pool.finished(3)
        assert pool.replaced == 1, f"a worker past {limit:.0f} MiB was replaced"
        assert _gone(small["pid"])
        assert ray.get(pool.submit(4, whoami), timeout=120)["pid"] != small["pid"]
    finally:
        pool.shutdown()


def test_a_worker_that_cannot_start_turns_the_pool_off() -> None:
    pool = WorkerPool(PoolConfig(preload=("no_such_module_anywhere",), start_timeout=120), {"num_cpus": 0.5})
    pool.fill()
    assert pool.submit(1, whoami) is None, "the task goes to a fresh worker instead"
    assert not pool.config.enabled


def test_release_idle_frees_the_resources_and_fill_warms_again() -> None:
    pool = _pool(size=2)
    try:
        pool.workers()
        assert pool.release_idle() == 2
        # What the idle workers held is free again: a task needing the whole machine runs.
        assert ray.get(ray.remote(num_cpus=2)(whoami).remote(), timeout=120)["preloaded"] is False
        pool.fill()
        assert len(pool.workers()) == 2
    finally:
        pool.shutdown()
