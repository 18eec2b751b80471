"""A backend with one principal of every role, and records each role can act on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from synapse_nb.server import BackgroundServer

AGENT_NAME = "matrix-agent"


@dataclass
class Principals:
    """Tokens by role, and the records the role matrix fills its paths with."""

    tokens: dict[str, str]
    ids: dict[str, object]


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def seed(server: BackgroundServer, tmp: Path) -> Principals:
    """admin (the token file), a user, an agent, a revoked user, and a task token of a running task."""
    admin = server.token
    with httpx.Client(base_url=server.url, headers=headers(admin), timeout=30) as http:
        user = http.post("/tokens", json={"name": "alice", "role": "user"}).json()["token"]
        agent = http.post("/tokens", json={"name": "gpu-1", "role": "agent", "agent_name": AGENT_NAME}).json()["token"]
        revoked = http.post("/tokens", json={"name": "mallory", "role": "user"}).json()["token"]
        assert http.delete("/tokens/mallory").status_code == 200
        project = http.post("/projects", json={"name": "matrix", "classes": [{"name": "a"}]}).json()
        dataset = http.post(f"/projects/{project['id']}/datasets", json={"name": "d"}).json()
        collection = http.post(f"/projects/{project['id']}/collections", json={"name": "c"}).json()
    with httpx.Client(base_url=server.url, headers=headers(agent), timeout=30) as http:
        registered = http.post("/agents", json={"name": AGENT_NAME})
        assert registered.status_code == 201, registered.text
        agent_id = registered.json()["id"]
    with httpx.Client(base_url=server.url, headers=headers(user), timeout=30) as http:
        task = http.post("/tasks", json={"state": {"data_path": "/data"}, "agent_id": agent_id})
        assert task.status_code == 201, task.text
    with httpx.Client(base_url=server.url, headers=headers(agent), timeout=30) as http:
        claimed = http.post("/tasks/claim", json={"agent_id": agent_id}).json()
        assert claimed["id"] == task.json()["id"]
        task_token = http.post(f"/tasks/{claimed['id']}/token").json()["token"]
    ids: dict[str, object] = {
        "project_id": project["id"], "dataset_id": dataset["id"], "collection_id": collection["id"],
        "agent_id": agent_id, "task_id": claimed["id"], "item_id": 999_999, "model_id": 999_999,
        "image_hash": "0" * 64, "sha256": "0" * 64, "name": "nobody",
    }
    tokens = {"admin": admin, "user": user, "agent": agent, "task": task_token, "revoked": revoked}
    return Principals(tokens=tokens, ids=ids)
