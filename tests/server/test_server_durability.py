"""Concurrent writers, restarts and the reaper: nothing lost, nothing left running."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import httpx

from synapse_nb.server import BackgroundServer, ServerConfig


def _client(server: BackgroundServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.token}"}, timeout=60)


def test_concurrent_metric_writers_lose_nothing(tmp_path: Path) -> None:
    threads, batches, per_batch = 4, 1000, 5
    with BackgroundServer(ServerConfig(home=tmp_path, port=0)) as server, _client(server) as http:
        task_id = http.post("/tasks", json={"state": {"data_path": "/data"}}).json()["id"]
        errors: list[str] = []

        def write(worker: int) -> None:
            with _client(server) as client:
                for b in range(batches):
                    points = [{"category": f"w{worker}", "key": "loss", "value": b + i / 10, "step": b * per_batch + i} for i in range(per_batch)]
                    reply = client.post(f"/tasks/{task_id}/metrics", json=points)
                    if reply.status_code != 200 or reply.json()["count"] != per_batch:
                        errors.append(reply.text)

        workers = [threading.Thread(target=write, args=(w,)) for w in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert errors == []
        for worker in range(threads):
            page = http.get(f"/tasks/{task_id}/metrics", params={"category": f"w{worker}", "limit": 1}).json()
            assert page["total"] == batches * per_batch
    # Count the rows in the database itself, after the backend closed it.
    with sqlite3.connect(tmp_path / "server" / "db.sqlite3") as conn:
        rows = conn.execute("SELECT COUNT(*), COUNT(DISTINCT category || '/' || step) FROM metrics WHERE task_id = ?", (task_id,)).fetchone()
    assert rows == (threads * batches * per_batch, threads * batches * per_batch)


def test_restart_between_two_writes_keeps_both(tmp_path: Path) -> None:
    config = ServerConfig(home=tmp_path, port=0)
    with BackgroundServer(config) as first, _client(first) as http:
        token = first.token
        project = http.post("/projects", json={"name": "before", "classes": [{"name": "a"}]}).json()
        task_id = http.post("/tasks", json={"state": {"data_path": "/data"}}).json()["id"]
        http.post(f"/tasks/{task_id}/logs", json=[{"message": "one"}])
    with BackgroundServer(config) as second, _client(second) as http:
        assert second.token == token  # the token survives restarts
        assert http.get(f"/projects/{project['id']}").json()["name"] == "before"
        http.post(f"/tasks/{task_id}/logs", json=[{"message": "two"}])
        http.post("/projects", json={"name": "after"})
    with BackgroundServer(config) as third, _client(third) as http:
        assert [p["name"] for p in http.get("/projects").json()["items"]] == ["before", "after"]
        assert [(line["seq"], line["message"]) for line in http.get(f"/tasks/{task_id}/logs").json()["items"]] == [(1, "one"), (2, "two")]


def test_reaper_marks_silent_agents_offline_and_fails_their_tasks(tmp_path: Path) -> None:
    with BackgroundServer(ServerConfig(home=tmp_path, port=0, heartbeat_timeout=0.6, reaper_interval=0.1)) as server, _client(server) as http:
        agent = http.post("/agents", json={"name": "flaky"}).json()
        task_id = http.post("/tasks", json={"state": {"data_path": "/data"}, "agent_id": agent["id"]}).json()["id"]
        assert http.post("/tasks/claim", json={"agent_id": agent["id"]}).json()["id"] == task_id
        # While it beats, it stays online.
        for _ in range(8):
            http.post(f"/agents/{agent['id']}/heartbeat", json={"running_task_ids": [task_id]})
            time.sleep(0.15)
        assert http.get(f"/agents/{agent['id']}").json()["status"] == "online"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and http.get(f"/agents/{agent['id']}").json()["status"] == "online":
            time.sleep(0.1)
        assert http.get(f"/agents/{agent['id']}").json()["status"] == "offline"
        task = http.get(f"/tasks/{task_id}").json()
        assert task["status"] == "failed"
        assert task["error"]["message"] == "agent flaky stopped sending heartbeats"
        # A heartbeat brings the agent back; the failed task stays failed.
        http.post(f"/agents/{agent['id']}/heartbeat", json={})
        assert http.get(f"/agents/{agent['id']}").json()["status"] == "online"
        assert http.get(f"/tasks/{task_id}").json()["status"] == "failed"
