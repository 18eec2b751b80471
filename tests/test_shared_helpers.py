"""The shared helpers every part uses: one atomic write, one file lock (filelock), one pid
check (psutil), one retry policy (tenacity) for the client, TrainRun and the poller."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from synapse_nb._atomic import atomic_path, atomic_write_text
from synapse_nb._locks import file_lock
from synapse_nb._process import pid_alive, stop_process
from synapse_nb._retry import pauses
from synapse_nb.api._http import Http
from synapse_nb.errors import BackendError
from synapse_nb.widgets.dashboard._poller import Poller


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = atomic_write_text(tmp_path / "manifest.json", "old")
    with pytest.raises(OSError), atomic_path(target) as tmp:
        tmp.write_text("half of the new")
        raise OSError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_the_file_lock_excludes_another_holder_until_released(tmp_path: Path) -> None:
    lock = tmp_path / "cache.lock"
    order: list[str] = []
    held = threading.Event()

    def other() -> None:
        held.wait(5)
        with file_lock(lock):
            order.append("other")

    thread = threading.Thread(target=other)
    thread.start()
    with file_lock(lock):
        held.set()
        thread.join(0.5)  # the other holder is waiting on the lock, not done
        order.append("first")
    thread.join(5)
    assert order == ["first", "other"]


def test_an_unreaped_exited_process_is_not_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    while child.poll() is None and pid_alive(child.pid):
        time.sleep(0.05)  # poll() reaps it; until then it is a zombie, and counts as gone too
    assert not pid_alive(child.pid)


def test_stop_process_ends_and_reaps_a_child() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert pid_alive(child.pid)
    assert stop_process(child.pid, timeout=10)
    assert not pid_alive(child.pid)
    assert stop_process(child.pid) is False, "nothing left to stop"


def test_the_policy_doubles_the_pause_up_to_its_longest() -> None:
    assert pauses(0.25, 5.0, 7) == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert pauses(1.0, 10.0, 5) == [1.0, 2.0, 4.0, 8.0, 10.0]


def test_the_client_retries_5xx_for_safe_requests_only() -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) < 3:
            return httpx.Response(503, json={"detail": "busy"})
        return httpx.Response(200, json={"ok": True})

    http = Http("http://backend.invalid", "token", transport=httpx.MockTransport(answer), retries=3, backoff=0.0)
    assert http.json("GET", "/health") == {"ok": True}
    assert calls == ["GET"] * 3
    calls.clear()
    with pytest.raises(BackendError) as refused:
        http.json("POST", "/projects", json={"name": "x"})
    assert calls == ["POST"] and refused.value.status == 503, "a create is never sent twice"
    calls.clear()
    always_busy = Http("http://backend.invalid", "token", retries=2, backoff=0.0,
                       transport=httpx.MockTransport(lambda r: calls.append(r.method) or httpx.Response(503, text="busy")))
    with pytest.raises(BackendError) as gave_up:
        always_busy.json("GET", "/health")
    assert len(calls) == 3 and gave_up.value.status == 503, "out of tries: the backend's own reply is raised"


def test_the_poller_waits_by_the_policy_while_the_backend_is_away() -> None:
    results: list[object] = [BackendError(0, "can't reach the backend"), BackendError(0, "can't reach the backend"),
                             True, False]
    said: list[str] = []

    def refresh() -> bool:
        value = results.pop(0)
        if isinstance(value, Exception):
            raise value
        return bool(value)

    poller = Poller(refresh, interval=0.01, on_error=said.append)
    poller.start()
    poller.join(30)
    assert not poller.running and results == []
    assert [m.rsplit("retrying in ", 1)[1] for m in said] == ["1 s", "2 s"]


def test_stopping_the_poller_ends_its_pause() -> None:
    def refresh() -> bool:
        raise BackendError(0, "can't reach the backend")

    said: list[str] = []
    poller = Poller(refresh, interval=0.01, on_error=said.append)
    poller.start()
    while not said:
        time.sleep(0.01)
    poller.stop()
    poller.join(5)
    assert not poller.running and len(said) == 1
