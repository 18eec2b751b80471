"""The backend's gates, as plain ASGI middleware: the bearer token and the body size limits.

Both answer before any route runs: a request without the token never reaches a handler, and
a body over the limit is refused with 413 as soon as its size is known (from
``Content-Length``, or while it streams in).

Example:
    >>> is_open_path("GET", "/openapi.json"), is_open_path("GET", "/projects")
    (True, False)
"""

from __future__ import annotations

__all__ = [
    "ASGIApp", "BodyLimitMiddleware", "BodyTooLarge", "Message", "OPEN_PATHS", "Receive", "Scope", "Send",
    "TokenAuthMiddleware", "UPLOAD_SUFFIXES", "is_open_path",
]

import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The only routes open without the token: the API description and a bare liveness probe.
OPEN_PATHS = {("GET", "/openapi.json"), ("HEAD", "/openapi.json"), ("GET", "/health"), ("HEAD", "/health")}

# Routes that carry files: they get the upload limit instead of the JSON body limit.
UPLOAD_SUFFIXES = ("/items", "/files/content")


def is_open_path(method: str, path: str) -> bool:
    """Whether ``method path`` may be called without the token."""
    return (method.upper(), path) in OPEN_PATHS


def _is_upload(method: str, path: str) -> bool:
    if method not in ("POST", "PUT"):
        return False
    return path.endswith(UPLOAD_SUFFIXES) or path == "/models"


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": data})


class TokenAuthMiddleware:
    """Refuse every request without ``Authorization: Bearer <token>`` (401), except OPEN_PATHS."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_open_path(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        given = b""
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                given = value
                break
        # Constant-time comparison: the token must not leak through response timing.
        if not secrets.compare_digest(given, self._expected):
            reason = "missing" if not given else "wrong"
            await _send_json(
                send,
                401,
                {"detail": f"Authorization: a bearer token is required ({reason}); see <home>/server/token", "field": "Authorization"},
                headers=[(b"www-authenticate", b"Bearer")],
            )
            return
        await self.app(scope, receive, send)


class BodyTooLarge(HTTPException):
    """Raised while a body streams in past its limit; answered as 413."""


class BodyLimitMiddleware:
    """413 for a body over its limit: ``max_upload`` for file routes, ``max_body`` otherwise."""

    def __init__(self, app: ASGIApp, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload if _is_upload(scope["method"], scope["path"]) else self.max_body
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(send, 400, {"detail": "Content-Length: expected an integer", "field": "Content-Length"})
                    return
                if declared > limit:
                    await _send_json(
                        send, 413, {"detail": f"body: at most {limit} bytes on this route, got {declared}", "field": "body"}
                    )
                    return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(413, f"body: at most {limit} bytes on this route")
            return message

        await self.app(scope, limited_receive, send)
