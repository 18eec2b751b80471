"""The TrainRun logger: nothing lost while the backend is down, batched, never in the caller's way.

These tests stop and restart a backend, so they use one of their own (their own home), never
the session's.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from synapse_nb.actions.train.run import TrainRun
from synapse_nb.api import Api
from synapse_nb.errors import BackendError
from synapse_nb.schemas.task import TaskCreate

POINTS_UP = 500
POINTS_DOWN = 2000
LINES_DOWN = 100


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A home with a backend of its own, stopped at the end."""
    home = tmp_path / "home"
    monkeypatch.setenv("SYNAPSE_NB_HOME", str(home))
    yield home
    Api.shutdown_embedded(home)


def _kill_backend(api: Api) -> None:
    """Kill the backend process outright (a crash, not a clean stop) and reap it."""
    pid = api.server_info().pid
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)  # this process started it: it is our child


def _metric_batches(home: Path, task_id: int) -> int:
    """How many metric requests the backend stored for the task (each batch has its own key)."""
    db = home / "server" / "db.sqlite3"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM request_keys WHERE key LIKE ?", (f"metrics:{task_id}:%",)).fetchone()
    return int(count)


def _wait_for(condition, what: str, timeout: float = 120.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what} after {timeout} s")
        time.sleep(0.05)


@pytest.mark.timeout(600)
def test_nothing_is_lost_while_the_backend_is_down(home: Path) -> None:
    # keep_alive=False: this client does not start the backend again by itself; we do, later.
    api = Api.from_env(start_agent=False, keep_alive=False)
    task = api.task.create(TaskCreate(payload={"action": "train", "params": {"data_path": str(home), "hyperparameter": {}}},
                                      autostart=False))
    run = TrainRun(api, task.id, flush_interval=0.05)

    for i in range(POINTS_UP):
        run.log_metric("train", "loss", i, epoch=i)
    assert run.flush(timeout=120)
    old_url = api.url

    _kill_backend(api)
    with pytest.raises(BackendError):
        api.health()
    # These calls return at once: if they waited for the backend, the restart below would never come.
    for i in range(POINTS_DOWN):
        run.log_metric("val", "mAP50", i / POINTS_DOWN, epoch=POINTS_UP + i)
    for i in range(LINES_DOWN):
        run.log(f"line {i}")
    run.set_progress(3, 4, "train")
    _wait_for(lambda: run.last_error is not None, "the logger to notice the backend is down")
    assert "unreachable" in run.last_error or "can't reach" in run.last_error
    assert run.pending() >= POINTS_DOWN, "everything is kept while the backend is down"

    restarted = Api.from_env(start_agent=False)  # starts this home's backend again (a new port)
    assert restarted.url != old_url
    assert run.flush(timeout=300), f"flushed after the restart (last error: {run.last_error})"
    run.close()
    assert api.url == restarted.url, "the logger's client found the restarted backend"

    points = restarted.task.metrics(task.id)
    assert [p.value for p in points if p.key == "loss"] == [float(i) for i in range(POINTS_UP)]
    assert [p.epoch for p in points if p.key == "mAP50"] == list(range(POINTS_UP, POINTS_UP + POINTS_DOWN))
    assert len(points) == POINTS_UP + POINTS_DOWN, "no point lost, none doubled"
    assert [line.message for line in restarted.task.logs(task.id)] == [f"line {i}" for i in range(LINES_DOWN)]
    assert restarted.task.record(task.id).progress["train"].fraction == 0.75
    batches = _metric_batches(home, task.id)
    assert 2 <= batches <= (POINTS_UP + POINTS_DOWN) // 20, f"{batches} requests for {POINTS_UP + POINTS_DOWN} points"


def test_a_record_the_backend_refuses_never_holds_up_the_rest(api: Api, tmp_path: Path) -> None:
    task = api.task.create(TaskCreate(payload={"action": "train", "params": {"data_path": str(tmp_path),
                                                                            "hyperparameter": {}}}, autostart=False))
    run = TrainRun(api, task.id, flush_interval=0.05)
    # A best trial that is not in the table: the backend refuses it (422) however often it is sent.
    run.log_trials(trials={"t1": {"status": "RUNNING"}}, best_trial="t9")
    checkpoint = tmp_path / "last.pt"
    checkpoint.write_bytes(b"weights")
    run.upload_file("checkpoints/last.pt", checkpoint)  # queued behind the table
    run.log_metric("train", "loss", 0.5, epoch=0)
    assert run.flush(timeout=120), f"the refused table blocked the queue ({run.last_error})"
    run.close()

    assert run.refused == 1
    assert api.task.trials(task.id) is None
    assert [f.path for f in api.task.list_files(task.id)] == ["checkpoints/last.pt"]
    assert [p.value for p in api.task.metrics(task.id)] == [0.5]
    warnings = [line.message for line in api.task.logs(task.id) if line.level == "WARNING"]
    assert any("refused trials table" in w and "best_trial" in w for w in warnings), "the run says what was dropped"


class _LosingReplies(httpx.BaseTransport):
    """Delivers every request to the real backend, but loses the reply of the first
    ``lose`` metric batches, as a dropped connection after the backend stored them would."""

    def __init__(self, lose: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.lose = lose
        self.keys: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path.endswith("/metrics"):
            self.keys.append(request.headers["Idempotency-Key"])
            if self.lose > 0:
                self.lose -= 1
                response.read()
                response.close()
                raise httpx.ReadTimeout("the reply was lost", request=request)
        return response


def test_a_batch_whose_replies_were_lost_is_stored_once(api: Api, tmp_path: Path) -> None:
    task = api.task.create(TaskCreate(payload={"action": "train", "params": {"data_path": str(tmp_path),
                                                                            "hyperparameter": {}}}, autostart=False))
    # One retry inside the client, so the third lost reply is the logger's own re-send.
    transport = _LosingReplies(lose=3)
    lossy = Api(api.url, api.token, transport=transport, retries=1)
    run = TrainRun(lossy, task.id, flush_interval=0.05)
    run.log_metric("train", "loss", 0.5, epoch=0)
    run.log_metric("train", "loss", 0.25, epoch=1)
    assert run.flush(timeout=120), run.last_error
    run.close()

    assert len(transport.keys) == 4 and len(set(transport.keys)) == 1, transport.keys
    assert [p.value for p in api.task.metrics(task.id)] == [0.5, 0.25], "every point stored exactly once"
