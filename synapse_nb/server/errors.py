"""How the backend answers bad requests: a 4xx whose message names the field, never a 500.

Every error body is ``{"detail": "<field>: <what was expected>, got ...", "field": ...}``;
validation errors add the list of every problem under ``errors``. A 500 is left only for
real bugs, and its body says so without leaking internals.

Example:
    >>> err = ApiError(404, "project 7 does not exist", field="project_id")
    >>> err.status_code, err.detail
    (404, 'project 7 does not exist')
"""

from __future__ import annotations

__all__ = ["ApiError", "install_error_handlers", "not_found", "validation_message"]

import logging
import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("synapse_nb.server")


class ApiError(StarletteHTTPException):
    """A refusal with an HTTP status and a message naming the field at fault."""

    def __init__(self, status: int, detail: str, field: str | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.field = field

    def __str__(self) -> str:
        return self.detail


def not_found(kind: str, record_id: Any, field: str | None = None) -> ApiError:
    """A 404 for a missing record: ``not_found("project", 7)``."""
    return ApiError(404, f"{kind} {record_id} does not exist", field=field or f"{kind}_id")


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "classes", 0, "name")`` -> ``body.classes[0].name``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


def validation_message(errors: list[dict[str, Any]], prefix: str = "") -> tuple[str, str]:
    """The first problem as ``"<field>: <message>"`` and the field, from pydantic errors."""
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        # Its loc is ("body", <character position>), not a field.
        loc = tuple(first.get("loc", ()))
        position = loc[-1] if loc and isinstance(loc[-1], int) else "?"
        reason = (first.get("ctx") or {}).get("error", first.get("msg", "JSON decode error"))
        field = prefix or "body"
        return f"{field}: valid JSON, got an error at character {position} ({reason})", field
    field = _loc(tuple(first.get("loc", ())))
    if prefix:
        field = f"{prefix}.{field}" if field != "body" else prefix
    message = f"{field}: {first.get('msg', 'invalid value')}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return message, field


def _json_safe(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic error dicts without the parts JSON cannot carry (exceptions, raw bytes)."""
    safe = []
    for err in errors:
        safe.append({"loc": [str(p) if not isinstance(p, int) else p for p in err.get("loc", ())], "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))})
    return safe


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every anticipated failure into a clear 4xx."""

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        field = getattr(exc, "field", None)
        return JSONResponse({"detail": exc.detail, "field": field}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        message, field = validation_message(errors)
        return JSONResponse({"detail": message, "field": field, "errors": _json_safe(errors)}, status_code=422)

    @app.exception_handler(sqlite3.IntegrityError)
    async def _integrity_error(request: Request, exc: sqlite3.IntegrityError) -> JSONResponse:
        # Constraint names carry the table and column: "UNIQUE constraint failed: datasets.name".
        text = str(exc)
        field = text.split(":", 1)[1].strip() if ":" in text else None
        return JSONResponse({"detail": f"conflict with a stored record: {text}", "field": field}, status_code=409)

    @app.exception_handler(OverflowError)
    async def _overflow_error(request: Request, exc: OverflowError) -> JSONResponse:
        return JSONResponse(
            {"detail": f"a number in the request is too large to store (at most 2**63-1): {exc}", "field": None},
            status_code=422,
        )

    @app.exception_handler(UnicodeEncodeError)
    async def _unicode_error(request: Request, exc: UnicodeEncodeError) -> JSONResponse:
        return JSONResponse(
            {"detail": f"a text in the request is not valid Unicode (lone surrogate at {exc.start})", "field": None},
            status_code=422,
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error in %s %s", request.method, request.url.path)
        return JSONResponse(
            {"detail": f"internal error ({type(exc).__name__}); this is a bug in the backend, see its log", "field": None},
            status_code=500,
        )
