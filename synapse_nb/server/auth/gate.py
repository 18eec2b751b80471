"""The token gate: every request but the open ones must carry a live token of a principal.

It runs before any route (as ASGI middleware), so a request without a valid token never
reaches a handler or has its body read. It puts the principal on ``request.state`` for the
per-route check, and after a successful request writes the audit entry of audited actions
and records the files of models uploaded by tasks as trusted.

Example:
    >>> bearer([(b"authorization", b"Bearer abc")])
    'abc'
"""

from __future__ import annotations

__all__ = ["TokenGateMiddleware", "bearer"]

import json
import logging
from typing import Any

from synapse_nb.server.auth import audit
from synapse_nb.server.auth.principals import PrincipalStore
from synapse_nb.server.middleware import ASGIApp, Message, Receive, Scope, Send, _send_json, is_open_path

log = logging.getLogger("synapse_nb.server.auth")


def bearer(headers: list[tuple[bytes, bytes]]) -> str:
    """The bearer token of a request's headers ('' when there is none)."""
    for name, value in headers:
        if name == b"authorization":
            text = value.decode("latin-1")
            return text[7:].strip() if text[:7].lower() == "bearer " else ""
    return ""


class TokenGateMiddleware:
    """401 for a request without a live token (unknown, revoked, or of an ended task)."""

    def __init__(self, app: ASGIApp, store: PrincipalStore) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_open_path(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        token = bearer(scope.get("headers", []))
        principal = self.store.lookup(token) if token else None
        if principal is None:
            reason = "missing" if not token else "unknown, revoked or expired"
            await _send_json(
                send,
                401,
                {"detail": f"Authorization: a valid bearer token is required ({reason}); "
                           "ask an admin for one (synapse-nb token create)", "field": "Authorization"},
                headers=[(b"www-authenticate", b"Bearer")],
            )
            return
        scope.setdefault("state", {})["principal"] = principal
        status: dict[str, Any] = {"code": 0, "body": b""}

        async def watching_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            elif message["type"] == "http.response.body" and _interesting(scope, principal.role):
                status["body"] += message.get("body", b"")
            await send(message)

        await self.app(scope, receive, watching_send)
        if 200 <= status["code"] < 300:
            self._after(scope, principal, status["body"])

    def _after(self, scope: Scope, principal: Any, raw: bytes) -> None:
        key = _key(scope)
        if key is None:
            return
        db = self.store.db
        body = _loads(raw)
        if key == ("POST", "/models") and principal.role in ("agent", "task"):
            audit.trust_uploaded_files(db, body)
        action = audit.AUDITED.get(key)
        if action is None:
            return
        client = scope.get("client")
        where = f"{client[0]}:{client[1]}" if client else None
        audit.record(db, principal, action, audit.target_of(action, scope.get("path_params", {}), body), where)


def _key(scope: Scope) -> tuple[str, str] | None:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return None if path is None else (scope["method"].upper(), path)


def _interesting(scope: Scope, role: str) -> bool:
    key = _key(scope)
    return key is not None and (key in audit.AUDITED or (key == ("POST", "/models") and role in ("agent", "task")))


def _loads(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
