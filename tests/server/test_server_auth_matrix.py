"""Every route of the published OpenAPI schema, called with every role's token and with a
revoked one, against the table below: allowed routes are never refused (401/403), the
others are refused with 403, and a revoked token gets 401 everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from synapse_nb.server import BackgroundServer, ServerConfig
from tests.server.auth_helpers import Principals, headers, seed

ALL = {"admin", "user", "agent", "task"}
PEOPLE = {"admin", "user"}
AGENTS = {"admin", "agent"}
ADMIN = {"admin"}

# Who may call each write route; every GET not listed is open to every role.
WRITES: dict[tuple[str, str], set[str]] = {
    ("POST", "/projects"): PEOPLE,
    ("PATCH", "/projects/{project_id}/meta"): PEOPLE,
    ("DELETE", "/projects/{project_id}"): ADMIN,
    ("POST", "/projects/{project_id}/datasets"): PEOPLE,
    ("POST", "/datasets/{dataset_id}/items"): PEOPLE,
    ("PUT", "/items/{item_id}/annotation"): PEOPLE,
    ("DELETE", "/items/{item_id}"): ADMIN,
    ("POST", "/images/missing"): PEOPLE,
    ("POST", "/projects/{project_id}/collections"): PEOPLE,
    ("POST", "/collections/{collection_id}/items"): PEOPLE,
    ("POST", "/collections/{collection_id}/items/remove"): PEOPLE,
    ("DELETE", "/collections/{collection_id}"): ADMIN,
    ("POST", "/projects/{project_id}/split"): ALL,  # a read: the split travels as the body
    ("POST", "/projects/{project_id}/split/classes"): ALL,
    ("POST", "/agents"): AGENTS,
    ("POST", "/agents/{agent_id}/heartbeat"): AGENTS,
    ("POST", "/agents/{agent_id}/offline"): AGENTS,
    ("POST", "/tasks"): PEOPLE,
    ("POST", "/tasks/{task_id}/retry"): PEOPLE,
    ("POST", "/tasks/{task_id}/start"): PEOPLE,
    ("POST", "/tasks/{task_id}/stop"): PEOPLE,
    ("POST", "/tasks/claim"): AGENTS,
    ("POST", "/tasks/{task_id}/token"): AGENTS,
    ("PUT", "/tasks/{task_id}/status"): ALL,
    ("PUT", "/tasks/{task_id}/progress"): ALL,
    ("POST", "/tasks/{task_id}/logs"): ALL,
    ("POST", "/tasks/{task_id}/metrics"): ALL,
    ("POST", "/tasks/{task_id}/visualizations"): ALL,
    ("POST", "/tasks/{task_id}/trials"): ALL,
    ("PUT", "/tasks/{task_id}/best-trial"): ALL,
    ("PUT", "/tasks/{task_id}/files/content"): ALL,
    ("POST", "/models"): ALL,
    ("DELETE", "/models/{model_id}"): {"admin", "task"},  # a task: only its own models
    ("POST", "/tokens"): ADMIN,
    ("DELETE", "/tokens/{name}"): ADMIN,
}
ADMIN_READS = {("GET", "/tokens"), ("GET", "/audit")}
OPEN = {("GET", "/health"), ("GET", "/openapi.json")}
# Roles in this order: destructive calls come last, and only on records that don't exist.
ROLES = ["revoked", "task", "agent", "user", "admin"]


def allowed(method: str, path: str) -> set[str]:
    if method == "GET":
        return ADMIN if (method, path) in ADMIN_READS else ALL
    return WRITES[(method, path)]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BackgroundServer, Principals, list[tuple[str, str]]]]:
    home: Path = tmp_path_factory.mktemp("matrix-home")
    with BackgroundServer(ServerConfig(home=home, port=0)) as server:
        principals = seed(server, home)
        spec = httpx.get(f"{server.url}/openapi.json").json()
        routes = sorted((m.upper(), p) for p, ops in spec["paths"].items() for m in ops if (m.upper(), p) not in OPEN)
        yield server, principals, routes


def test_the_table_covers_every_published_route(matrix: tuple[BackgroundServer, Principals, list[tuple[str, str]]]) -> None:
    _, _, routes = matrix
    writes = {r for r in routes if r[0] != "GET"}
    assert writes == set(WRITES), "a write route was added or removed: decide who may call it"
    assert len(routes) >= 60


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(matrix: tuple[BackgroundServer, Principals, list[tuple[str, str]]], role: str) -> None:
    server, principals, routes = matrix
    wrong: list[str] = []
    # A sub-path of an agent id or task id that is this role's own: the binding checks pass.
    with httpx.Client(base_url=server.url, headers=headers(principals.tokens[role]), timeout=30) as http:
        for method, template in routes:
            path = template.format(**principals.ids)
            kwargs: dict[str, object] = {}
            if method in ("POST", "PUT", "PATCH"):
                kwargs["json"] = {}
            if template.endswith("/files/content"):
                kwargs["params"] = {"path": "nothing.bin"}
            status = http.request(method, path, **kwargs).status_code
            if role == "revoked":
                expected_ok = status == 401
            elif role in allowed(method, template):
                expected_ok = status not in (401, 403) and status < 500
            else:
                expected_ok = status == 403
            if not expected_ok:
                wrong.append(f"{role} {method} {template}: {status}")
    assert wrong == [], "\n".join(wrong)


def test_refusals_name_the_role_and_route(matrix: tuple[BackgroundServer, Principals, list[tuple[str, str]]]) -> None:
    server, principals, _ = matrix
    with httpx.Client(base_url=server.url, timeout=30) as http:
        reply = http.post("/tasks/claim", json={"agent_id": principals.ids["agent_id"]}, headers=headers(principals.tokens["user"]))
        assert reply.status_code == 403
        assert "user token 'alice'" in reply.json()["detail"] and "/tasks/claim" in reply.json()["detail"]
        revoked = http.get("/projects", headers=headers(principals.tokens["revoked"]))
        assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
