"""Who may call which route: one table, checked on every request by :func:`authorize`.

The table maps each route (method and path template) to the roles allowed on it; a route
missing from it is refused to everyone, so a new route is closed until someone decides.
Beyond the role, agent and task tokens are bound: an agent acts only as the agent it was
named for and only on tasks addressed to it; a task token writes only its own task (and takes
back only the models its own task registered).

Example:
    >>> sorted(ROUTE_ROLES[("DELETE", "/models/{model_id}")])
    ['admin', 'task']
    >>> "user" in ROUTE_ROLES[("POST", "/tasks/claim")]
    False
"""

from __future__ import annotations

__all__ = [
    "ADMIN", "AGENTS", "EVERYONE", "PEOPLE", "REPORTERS", "ROUTE_ROLES", "authorize", "principal_of",
    "route_key",
]

import json
import sqlite3
from typing import Any

from fastapi import Request

from synapse_nb.server.auth.principals import Principal
from synapse_nb.server.errors import ApiError
from synapse_nb.server.middleware import is_open_path

ADMIN = frozenset({"admin"})
PEOPLE = frozenset({"admin", "user"})
AGENTS = frozenset({"admin", "agent"})
# Reading is open to every principal (agents and tasks read projects, items and models).
EVERYONE = frozenset({"admin", "user", "agent", "task"})
# What a running task reports about itself: its agent, its own task token, or a person
# running the action in their own process (run_local).
REPORTERS = frozenset({"admin", "user", "agent", "task"})

ROUTE_ROLES: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/server"): EVERYONE,
    # projects, datasets, items, collections
    ("POST", "/projects"): PEOPLE,
    ("GET", "/projects"): EVERYONE,
    ("GET", "/projects/{project_id}"): EVERYONE,
    ("PATCH", "/projects/{project_id}/meta"): PEOPLE,
    ("DELETE", "/projects/{project_id}"): ADMIN,
    ("POST", "/projects/{project_id}/datasets"): PEOPLE,
    ("GET", "/projects/{project_id}/datasets"): EVERYONE,
    ("GET", "/datasets/{dataset_id}"): EVERYONE,
    ("POST", "/datasets/{dataset_id}/items"): PEOPLE,
    ("GET", "/items"): EVERYONE,
    ("GET", "/items/{item_id}"): EVERYONE,
    ("PUT", "/items/{item_id}/annotation"): PEOPLE,
    ("DELETE", "/items/{item_id}"): ADMIN,
    ("POST", "/images/missing"): PEOPLE,
    ("GET", "/images/{image_hash}"): EVERYONE,
    ("POST", "/projects/{project_id}/collections"): PEOPLE,
    ("GET", "/projects/{project_id}/collections"): EVERYONE,
    ("GET", "/projects/{project_id}/collections/summary"): EVERYONE,
    # counts aggregated by the backend; POST only because the split travels as a body
    ("GET", "/projects/{project_id}/stats"): EVERYONE,
    ("POST", "/projects/{project_id}/split"): EVERYONE,
    ("POST", "/projects/{project_id}/split/classes"): EVERYONE,
    ("GET", "/collections/{collection_id}"): EVERYONE,
    ("POST", "/collections/{collection_id}/items"): PEOPLE,
    ("POST", "/collections/{collection_id}/items/remove"): PEOPLE,
    ("DELETE", "/collections/{collection_id}"): ADMIN,
    # agents
    ("POST", "/agents"): AGENTS,
    ("GET", "/agents"): EVERYONE,
    ("GET", "/agents/{agent_id}"): EVERYONE,
    ("POST", "/agents/{agent_id}/heartbeat"): AGENTS,
    ("POST", "/agents/{agent_id}/offline"): AGENTS,
    # tasks
    ("POST", "/tasks"): PEOPLE,
    ("GET", "/tasks"): EVERYONE,
    ("GET", "/tasks/{task_id}"): EVERYONE,
    ("POST", "/tasks/{task_id}/retry"): PEOPLE,
    ("POST", "/tasks/{task_id}/start"): PEOPLE,
    ("POST", "/tasks/{task_id}/stop"): PEOPLE,
    ("POST", "/tasks/claim"): AGENTS,
    ("PUT", "/tasks/{task_id}/status"): REPORTERS,
    ("PUT", "/tasks/{task_id}/progress"): REPORTERS,
    ("POST", "/tasks/{task_id}/token"): AGENTS,
    ("POST", "/tasks/{task_id}/logs"): REPORTERS,
    ("GET", "/tasks/{task_id}/logs"): EVERYONE,
    ("POST", "/tasks/{task_id}/metrics"): REPORTERS,
    ("GET", "/tasks/{task_id}/metrics"): EVERYONE,
    ("POST", "/tasks/{task_id}/visualizations"): REPORTERS,
    ("GET", "/tasks/{task_id}/visualizations"): EVERYONE,
    ("POST", "/tasks/{task_id}/trials"): REPORTERS,
    ("GET", "/tasks/{task_id}/trials"): EVERYONE,
    ("GET", "/tasks/{task_id}/trials/history"): EVERYONE,
    ("PUT", "/tasks/{task_id}/best-trial"): REPORTERS,
    ("PUT", "/tasks/{task_id}/files/content"): REPORTERS,
    ("GET", "/tasks/{task_id}/files"): EVERYONE,
    ("GET", "/tasks/{task_id}/files/content"): EVERYONE,
    # models
    ("POST", "/models"): REPORTERS,
    ("GET", "/models"): EVERYONE,
    ("GET", "/models/{model_id}"): EVERYONE,
    ("GET", "/models/{model_id}/files/content"): EVERYONE,
    # A task takes back what it registered: a model whose run failed in a later step, a
    # trial's model superseded by the same trial's later one (bound below to its own task).
    ("DELETE", "/models/{model_id}"): frozenset({"admin", "task"}),
    ("GET", "/checkpoints/{sha256}"): EVERYONE,
    # principals and the audit trail
    ("POST", "/tokens"): ADMIN,
    ("GET", "/tokens"): ADMIN,
    ("DELETE", "/tokens/{name}"): ADMIN,
    ("GET", "/audit"): ADMIN,
}

# Routes on one task that only the task's own agent (or task token) may write to.
_TASK_WRITES = {
    (method, path) for (method, path), roles in ROUTE_ROLES.items()
    if method != "GET" and "{task_id}" in path and roles in (REPORTERS, AGENTS)
}


def principal_of(request: Request) -> Principal:
    """The principal the token gate found for this request."""
    principal = getattr(request.state, "principal", None)
    if principal is None:  # pragma: no cover - the gate runs before every route
        raise ApiError(401, "Authorization: a bearer token is required", field="Authorization")
    return principal  # type: ignore[no-any-return]


def route_key(request: Request) -> tuple[str, str]:
    """``(METHOD, path template)`` of the route serving ``request``."""
    route = request.scope.get("route")
    return request.method.upper(), getattr(route, "path", request.url.path)


def _refuse(principal: Principal, what: str) -> ApiError:
    return ApiError(403, f"Authorization: the {principal.role} token {principal.name!r} may not {what}", field="Authorization")


def _agent_id_of(conn: sqlite3.Connection, principal: Principal) -> int | None:
    row = conn.execute("SELECT id FROM agents WHERE name = ?", (principal.agent_name,)).fetchone()
    return None if row is None else int(row[0])


def _int(value: object) -> int | None:
    """A path id as an int; None for anything else (the route's validation answers 422)."""
    try:
        return int(str(value))
    except ValueError:
        return None


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}  # the route's own validation answers with a 422
    return body if isinstance(body, dict) else {}


async def authorize(request: Request) -> None:
    """FastAPI dependency on every route: the role table, then what a token is bound to."""
    method, path = route_key(request)
    if is_open_path(method, request.url.path):
        return
    principal = principal_of(request)
    roles = ROUTE_ROLES.get((method, path))
    if roles is None or principal.role not in roles:
        allowed = ", ".join(sorted(roles or ())) or "no role"
        raise _refuse(principal, f"call {method} {path} (allowed: {allowed})")
    if principal.role in ("admin", "user") or method == "GET":
        return
    conn = request.app.state.context.db.connection()
    params = request.path_params
    if principal.role == "task":
        task_id = _int(params.get("task_id"))
        if "task_id" in params and task_id is not None and task_id != principal.task_id:
            raise _refuse(principal, f"write to task {task_id} (it acts for task {principal.task_id} only)")
        model_id = _int(params.get("model_id"))
        if method == "DELETE" and model_id is not None and abs(model_id) < 2**63:
            row = conn.execute("SELECT task_id FROM models WHERE id = ?", (model_id,)).fetchone()
            if row is not None and row[0] != principal.task_id:
                raise _refuse(principal, f"delete model {model_id}, which task {principal.task_id} did not register")
        return
    # An agent token: it is the agent it was named for, and writes only to that agent's tasks.
    if path == "/agents":
        name = (await _json_body(request)).get("name")
        if name is not None and name != principal.agent_name:
            raise _refuse(principal, f"register as agent {name!r} (it is bound to {principal.agent_name!r})")
        return
    own = _agent_id_of(conn, principal)
    if "agent_id" in params and _int(params["agent_id"]) not in (None, own):
        raise _refuse(principal, f"act as agent {params['agent_id']} (it is bound to {principal.agent_name!r})")
    if path == "/tasks/claim":
        claimed_for = (await _json_body(request)).get("agent_id")
        if claimed_for is not None and claimed_for != own:
            raise _refuse(principal, f"claim tasks for agent {claimed_for} (it is bound to {principal.agent_name!r})")
    if (method, path) in _TASK_WRITES and (task := _int(params["task_id"])) is not None and abs(task) < 2**63:
        row = conn.execute("SELECT agent_id FROM tasks WHERE id = ?", (task,)).fetchone()
        if row is not None and row[0] != own:
            raise _refuse(principal, f"write to task {params['task_id']}, which is not addressed to agent {principal.agent_name!r}")
