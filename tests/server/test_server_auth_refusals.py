"""What each kind of token is refused, the audit trail, and that a revoked token dies at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from synapse_nb.api import Api
from synapse_nb.errors import BackendError
from synapse_nb.server import BackgroundServer, ServerConfig
from synapse_nb.server.auth.principals import PrincipalStore
from synapse_nb.server.db import Database
from tests.server.auth_helpers import Principals, headers, seed


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("refusals-home")


@pytest.fixture(scope="module")
def served(home: Path) -> Iterator[tuple[BackgroundServer, Principals]]:
    with BackgroundServer(ServerConfig(home=home, port=0)) as server:
        yield server, seed(server, home)


def _model(api: Api, tmp: Path, name: str, task_id: int | None = None) -> int:
    weights = tmp / f"{name}.pt"
    weights.write_bytes(b"not really weights " + name.encode())
    meta = {"name": name, "framework": "YOLO", "weights": "best.pt", "task_id": task_id}
    return api.model.create(meta, {"best.pt": weights}).id


def test_an_agent_token_cannot_delete_a_model(served: tuple[BackgroundServer, Principals], tmp_path: Path) -> None:
    server, principals = served
    admin = Api(server.url, principals.tokens["admin"])
    model_id = _model(admin, tmp_path, "keep-me")
    agent = Api(server.url, principals.tokens["agent"])
    with pytest.raises(BackendError) as refused:
        agent.model.delete(model_id)
    assert refused.value.status == 403 and "agent token 'gpu-1'" in str(refused.value)
    assert admin.model.get(model_id).name == "keep-me"
    admin.model.delete(model_id)
    entry = admin.audit.list(action="model.delete").items[0]
    assert (entry.principal, entry.target) == (admin.audit.list().items[0].principal, f"model:{model_id}")


def test_a_task_token_takes_back_only_the_models_its_task_registered(served: tuple[BackgroundServer, Principals],
                                                                     tmp_path: Path) -> None:
    server, principals = served
    admin = Api(server.url, principals.tokens["admin"])
    task = Api(server.url, principals.tokens["task"])
    own = _model(task, tmp_path, "own", task_id=int(principals.ids["task_id"]))
    other_task = admin.task.create({"state": {"data_path": "/d"}, "agent_id": int(principals.ids["agent_id"])})
    foreign = _model(admin, tmp_path, "foreign", task_id=other_task.id)
    unowned = _model(admin, tmp_path, "unowned")
    for model_id in (foreign, unowned):
        with pytest.raises(BackendError) as refused:
            task.model.delete(model_id)
        assert refused.value.status == 403 and f"delete model {model_id}" in str(refused.value)
        assert admin.model.get(model_id).id == model_id
    task.model.delete(own)
    assert own not in {m.id for m in admin.model.all()}


def test_a_user_token_cannot_claim_a_task(served: tuple[BackgroundServer, Principals]) -> None:
    server, principals = served
    user = Api(server.url, principals.tokens["user"])
    with pytest.raises(BackendError) as refused:
        user.task.claim(int(principals.ids["agent_id"]))  # type: ignore[arg-type]
    assert refused.value.status == 403 and "/tasks/claim" in str(refused.value)


def test_an_agent_acts_only_as_itself(served: tuple[BackgroundServer, Principals]) -> None:
    server, principals = served
    admin = Api(server.url, principals.tokens["admin"])
    other = admin.agent.register("someone-else", {})
    with httpx.Client(base_url=server.url, headers=headers(principals.tokens["agent"]), timeout=30) as http:
        assert http.post("/agents", json={"name": "someone-else"}).status_code == 403
        assert http.post(f"/agents/{other.id}/heartbeat", json={}).status_code == 403
        assert http.post("/tasks/claim", json={"agent_id": other.id}).status_code == 403
        # A task addressed to another agent can't be written to.
        task = admin.task.create({"state": {"data_path": "/d"}, "agent_id": other.id})
        assert http.put(f"/tasks/{task.id}/progress", json={"category": "train", "current": 1, "total": 2}).status_code == 403


def test_a_task_token_writes_only_its_task_and_dies_with_it(served: tuple[BackgroundServer, Principals]) -> None:
    server, principals = served
    task_id = principals.ids["task_id"]
    with httpx.Client(base_url=server.url, headers=headers(principals.tokens["task"]), timeout=30) as http:
        assert http.post("/projects", json={"name": "x"}).status_code == 403
        assert http.put(f"/tasks/{task_id}/progress", json={"category": "train", "current": 1, "total": 2}).status_code == 204
        assert http.put("/tasks/999999/progress", json={"category": "train", "current": 1, "total": 2}).status_code == 403
        assert http.put(f"/tasks/{task_id}/status", json={"status": "finished", "result": {}}).status_code == 200
    # Past the grace period after the end the token is dead; seen through the store's clock.
    store = PrincipalStore(Database(server.config.db_path))
    with store.db.write() as conn:
        conn.execute("UPDATE tasks SET finished_at = '2000-01-01T00:00:00+00:00' WHERE id = ?", (task_id,))
    assert store.lookup(principals.tokens["task"]) is None
    assert httpx.get(f"{server.url}/projects", headers=headers(principals.tokens["task"])).status_code == 401


def test_revoking_takes_effect_at_once_even_from_the_cli_store(served: tuple[BackgroundServer, Principals]) -> None:
    server, principals = served
    admin = Api(server.url, principals.tokens["admin"])
    created = admin.tokens.create("bob", "user")
    bob = Api(server.url, created.token)
    assert bob.project.list().total >= 1
    PrincipalStore(Database(server.config.db_path)).revoke("bob")
    with pytest.raises(BackendError) as refused:
        bob.project.list()
    assert refused.value.status == 401
    listed = {t.name: t for t in admin.tokens.list()}
    assert listed["bob"].revoked_at is not None and "token" not in listed["bob"].model_dump()


def test_tokens_are_stored_only_as_hashes(served: tuple[BackgroundServer, Principals]) -> None:
    server, principals = served
    raw = server.config.db_path.read_bytes() + b"".join(
        p.read_bytes() for p in server.config.server_dir.glob("db.sqlite3-wal") if p.is_file())
    for role in ("user", "agent", "task"):
        assert principals.tokens[role].encode() not in raw
    assert len(principals.tokens["user"]) >= 43  # 256 bits, url-safe base64


def test_the_audit_trail_names_who_what_and_from_where_and_survives_a_restart(home: Path, served: tuple[BackgroundServer, Principals]) -> None:
    server, principals = served
    user = Api(server.url, principals.tokens["user"])
    task = user.task.record(int(principals.ids["task_id"]))  # type: ignore[arg-type]
    assert task.is_final  # ended by the task-token test above
    retried = user.task.retry(task.id)
    admin = Api(server.url, principals.tokens["admin"])
    created = [e for e in admin.audit.list(principal="alice").items if e.action == "task.create"]
    assert created and created[-1].target == f"task:{task.id}" and created[-1].client.startswith("127.0.0.1")
    assert [e.action for e in admin.audit.list(action="token.revoke").items][-1] == "token.revoke"
    with pytest.raises(BackendError) as refused:
        user.audit.list()
    assert refused.value.status == 403
    server.stop()
    with BackgroundServer(ServerConfig(home=home, port=0)) as again:
        later = Api(again.url, principals.tokens["admin"]).audit.list(principal="alice")
        assert any(e.action == "task.create" and e.target == f"task:{task.id}" for e in later.items)
        assert any(e.action == "task.retry" and e.target == f"task:{retried.id}" for e in later.items)
