"""Task lifecycle, claims, retries and reports through the real backend."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_helpers import make_project

from synapse_nb.server import BackgroundServer, ServerConfig

STATE = {"data_path": "/data/shapes-yolo", "model": "YOLO/yolo11n-det"}


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[BackgroundServer]:
    """A backend of its own per test: queued tasks of one test must not be claimable in another."""
    with BackgroundServer(ServerConfig(home=tmp_path, port=0)) as server:
        yield server


@pytest.fixture
def http(backend: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=backend.url, headers={"Authorization": f"Bearer {backend.token}"}, timeout=30) as client:
        yield client


def make_agent(http: httpx.Client, name: str) -> dict[str, Any]:
    reply = http.post("/agents", json={"name": name, "resources": {"CPU": 2}})
    assert reply.status_code == 201, reply.text
    return reply.json()


def make_task(http: httpx.Client, **fields: Any) -> dict[str, Any]:
    reply = http.post("/tasks", json={"state": STATE, **fields})
    assert reply.status_code == 201, reply.text
    return reply.json()


def status(http: httpx.Client, task_id: int, value: str, **extra: Any) -> httpx.Response:
    return http.put(f"/tasks/{task_id}/status", json={"status": value, **extra})


def test_create_validates_state_and_payload(http: httpx.Client) -> None:
    bad_state = http.post("/tasks", json={"state": {"model": "yolo11n"}})
    assert bad_state.status_code == 422 and bad_state.json()["detail"].startswith("state")
    missing_project = http.post("/tasks", json={"state": {"project_id": 987654}})
    assert missing_project.status_code == 422 and "state.project_id" in missing_project.json()["detail"]
    project = make_project(http)
    payload = {"action": "train", "params": {"dataset": project["id"], "name": "exp:1", "hyperparameter": {"epochs": 1}}}
    task = http.post("/tasks", json={"payload": payload}).json()
    assert task["project_id"] == project["id"] and task["experiment_name"] == "exp:1" and task["status"] == "queued"
    assert task["payload"] == payload
    # Sent together, the payload is what the state was parsed from: kept as sent beside it.
    both = http.post("/tasks", json={"state": STATE, "payload": payload})
    assert both.status_code == 201, both.text
    assert both.json()["payload"] == payload and both.json()["state"]["model"] == STATE["model"]
    neither = http.post("/tasks", json={"autostart": True})
    assert neither.status_code == 422 and "state" in neither.json()["detail"]
    no_agent = http.post("/tasks", json={"state": STATE, "agent_id": 424242})
    assert no_agent.status_code == 422 and "agent_id" in no_agent.json()["detail"]


def test_lifecycle_and_transitions(http: httpx.Client) -> None:
    agent = make_agent(http, "lifecycle")
    task = make_task(http, autostart=False, agent_id=agent["id"])
    assert task["status"] == "created"
    assert http.post("/tasks/claim", json={"agent_id": agent["id"]}).json() is None
    assert http.post(f"/tasks/{task['id']}/start").json()["status"] == "queued"
    claimed = http.post("/tasks/claim", json={"agent_id": agent["id"]}).json()
    assert claimed["id"] == task["id"] and claimed["status"] == "running" and claimed["started_at"]
    assert http.put(f"/tasks/{task['id']}/progress", json={"category": "train", "current": 3, "total": 10, "overall": 0.25}).status_code == 204
    record = http.get(f"/tasks/{task['id']}").json()
    assert record["progress"]["train"]["current"] == 3 and record["overall_progress"] == 0.25
    no_error = status(http, task["id"], "failed")
    assert no_error.status_code == 422 and "error" in no_error.json()["detail"]
    done = status(http, task["id"], "finished", result={"model_id": 3})
    assert done.status_code == 200 and done.json()["finished_at"] and done.json()["result"] == {"model_id": 3}
    again = status(http, task["id"], "running")
    assert again.status_code == 409 and "finished is final" in again.json()["detail"]
    # Repeating the same final report (a retried PUT) is harmless; changing it is not.
    assert status(http, task["id"], "finished").status_code == 200
    assert status(http, task["id"], "finished", result={"model_id": 4}).status_code == 409
    assert http.post(f"/tasks/{task['id']}/stop").status_code == 409


def test_stop_waiting_and_running_tasks(http: httpx.Client) -> None:
    agent = make_agent(http, "stopper")
    waiting = make_task(http, agent_id=agent["id"], autostart=False)
    assert http.post(f"/tasks/{waiting['id']}/stop").json()["status"] == "stopped"
    running = make_task(http, agent_id=agent["id"])
    assert http.post("/tasks/claim", json={"agent_id": agent["id"]}).json()["id"] == running["id"]
    assert http.post(f"/tasks/{running['id']}/stop").json()["status"] == "stopping"
    beat = http.post(f"/agents/{agent['id']}/heartbeat", json={"running_task_ids": [running["id"]]}).json()
    assert beat["stop_task_ids"] == [running["id"]]
    assert status(http, running["id"], "stopped").json()["status"] == "stopped"
    assert http.post(f"/agents/{agent['id']}/heartbeat", json={}).json()["stop_task_ids"] == []


def test_claims_are_atomic_and_respect_agent_id(http: httpx.Client, backend: Any) -> None:
    agents = [make_agent(http, f"claimer-{i}") for i in range(4)]
    pinned = make_task(http, agent_id=agents[0]["id"])
    free = [make_task(http)["id"] for _ in range(30)]
    claims: dict[int, list[int]] = {a["id"]: [] for a in agents}

    def claim_until_empty(agent_id: int) -> None:
        with httpx.Client(base_url=backend.url, headers={"Authorization": f"Bearer {backend.token}"}, timeout=30) as client:
            while True:
                record = client.post("/tasks/claim", json={"agent_id": agent_id}).json()
                if record is None:
                    return
                claims[agent_id].append(record["id"])

    threads = [threading.Thread(target=claim_until_empty, args=(a["id"],)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [task_id for ids in claims.values() for task_id in ids]
    assert len(every) == len(set(every)), "a task was claimed twice"
    assert set(free) <= set(every)
    assert pinned["id"] in claims[agents[0]["id"]]
    for task_id in free:
        assert http.get(f"/tasks/{task_id}").json()["status"] == "running"


def test_a_waiting_claim_gets_the_task_queued_while_it_waits(http: httpx.Client, backend: Any) -> None:
    agent = make_agent(http, "waiter")
    got: list[Any] = []

    def claim() -> None:
        with httpx.Client(base_url=backend.url, headers={"Authorization": f"Bearer {backend.token}"}, timeout=60) as client:
            got.append(client.post("/tasks/claim", params={"wait": 20}, json={"agent_id": agent["id"]}).json())

    waiting = threading.Thread(target=claim)
    waiting.start()
    waiting.join(timeout=1.0)
    assert waiting.is_alive(), "with nothing queued the claim waits"
    created = make_task(http)  # queued while the claim waits: it gets this task
    waiting.join(timeout=30)
    assert not waiting.is_alive() and got and got[0]["id"] == created["id"] and got[0]["status"] == "running"
    # A task made without autostart wakes the claim when it is started.
    later = make_task(http, autostart=False)
    waiting = threading.Thread(target=claim)
    waiting.start()
    waiting.join(timeout=1.0)
    assert waiting.is_alive()
    http.post(f"/tasks/{later['id']}/start")
    waiting.join(timeout=30)
    assert got[-1]["id"] == later["id"]
    # Nothing queued: null once the wait is over; a wait past the limit is refused, naming it.
    assert http.post("/tasks/claim", params={"wait": 0.2}, json={"agent_id": agent["id"]}).json() is None
    refused = http.post("/tasks/claim", params={"wait": 3600}, json={"agent_id": agent["id"]})
    assert refused.status_code == 422 and "wait" in refused.text


def test_retry_copies_state_files_and_counts_attempts(http: httpx.Client) -> None:
    agent = make_agent(http, "retrier")
    task = make_task(http, agent_id=agent["id"])
    assert http.post(f"/tasks/{task['id']}/retry").status_code == 409  # still queued
    http.post("/tasks/claim", json={"agent_id": agent["id"]})
    put = http.put(f"/tasks/{task['id']}/files/content", params={"path": "checkpoints/last.pt"}, content=b"weights-v1")
    assert put.status_code == 200 and put.json()["size"] == 10
    status(http, task["id"], "failed", error={"step": "train", "message": "out of memory"})
    retry = http.post(f"/tasks/{task['id']}/retry")
    assert retry.status_code == 201
    second = retry.json()
    assert second["attempt"] == 2 and second["retry_of"] == task["id"] and second["state"] == task["state"]
    assert second["agent_id"] == agent["id"] and second["status"] == "queued"
    files = http.get(f"/tasks/{second['id']}/files").json()["items"]
    assert [f["path"] for f in files] == ["checkpoints/last.pt"]
    assert http.get(f"/tasks/{second['id']}/files/content", params={"path": "checkpoints/last.pt"}).content == b"weights-v1"
    # A new upload to the retry doesn't change the original's file (shared by link, replaced by rename).
    http.put(f"/tasks/{second['id']}/files/content", params={"path": "checkpoints/last.pt"}, content=b"weights-v2")
    assert http.get(f"/tasks/{task['id']}/files/content", params={"path": "checkpoints/last.pt"}).content == b"weights-v1"
    via_create = http.post("/tasks", json={"retry_of": task["id"]}).json()
    assert via_create["attempt"] == 2


def test_logs_metrics_and_idempotent_batches(http: httpx.Client) -> None:
    task = make_task(http)
    first = http.post(f"/tasks/{task['id']}/logs", json=[{"message": "a"}, {"message": "b", "level": "WARNING"}])
    assert first.json() == {"count": 2, "duplicate": False}
    lines = http.get(f"/tasks/{task['id']}/logs").json()["items"]
    assert [(l["seq"], l["message"]) for l in lines] == [(1, "a"), (2, "b")]
    assert [l["message"] for l in http.get(f"/tasks/{task['id']}/logs", params={"after_seq": 1}).json()["items"]] == ["b"]

    points = [{"category": "train", "key": "loss", "value": 1.0 / (e + 1), "epoch": e} for e in range(5)]
    key = {"Idempotency-Key": "batch-1"}
    assert http.post(f"/tasks/{task['id']}/metrics", json=points, headers=key).json()["count"] == 5
    assert http.post(f"/tasks/{task['id']}/metrics", json=points, headers=key).json() == {"count": 5, "duplicate": True}
    stored = http.get(f"/tasks/{task['id']}/metrics").json()
    assert stored["total"] == 5
    cursor = stored["items"][2]["seq"]
    newer = http.get(f"/tasks/{task['id']}/metrics", params={"after": cursor}).json()["items"]
    assert [p["epoch"] for p in newer] == [3, 4]
    nan = http.post(f"/tasks/{task['id']}/metrics", content=b'[{"category": "t", "key": "k", "value": NaN}]', headers={"Content-Type": "application/json"})
    assert nan.status_code == 422


def test_trial_tables_keep_history_and_best_trial(http: httpx.Client) -> None:
    task = make_task(http)
    assert http.get(f"/tasks/{task['id']}/trials").json() is None
    assert http.put(f"/tasks/{task['id']}/best-trial", json={"trial_id": "t1"}).status_code == 409
    table = {"trials": {"t1": {"status": "RUNNING", "lr0": 0.01}}, "hyperparameters": ["lr0"], "metrics": ["mAP50"]}
    assert http.post(f"/tasks/{task['id']}/trials", json=table).json()["seq"] == 1
    table["trials"]["t2"] = {"status": "TERMINATED", "lr0": 0.001, "mAP50": 0.5}
    http.post(f"/tasks/{task['id']}/trials", json=table)
    assert set(http.get(f"/tasks/{task['id']}/trials").json()["trials"]) == {"t1", "t2"}
    unknown = http.put(f"/tasks/{task['id']}/best-trial", json={"trial_id": "t9"})
    assert unknown.status_code == 422 and "t9" in unknown.json()["detail"]
    best = http.put(f"/tasks/{task['id']}/best-trial", json={"trial_id": "t2"}).json()
    assert best["best_trial"] == "t2" and best["seq"] == 3
    history = http.get(f"/tasks/{task['id']}/trials/history").json()
    assert [t["seq"] for t in history["items"]] == [1, 2, 3]
    viz = http.post(f"/tasks/{task['id']}/visualizations", json={"category": "train", "key": "pr", "data": {"data": []}})
    assert viz.status_code == 201
    assert http.get(f"/tasks/{task['id']}/visualizations").json()["total"] == 1


@pytest.mark.parametrize("field", ["status", "agent_id"])
def test_task_list_filters(http: httpx.Client, field: str) -> None:
    agent = make_agent(http, f"lister-{field}")
    made = make_task(http, agent_id=agent["id"], autostart=False)
    params = {"status": "created"} if field == "status" else {"agent_id": agent["id"]}
    page = http.get("/tasks", params=params).json()
    assert made["id"] in [t["id"] for t in page["items"]]
    assert all(t[field] == params[field] for t in page["items"])
