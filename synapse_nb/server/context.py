"""What every route works with: the config, the database, the file store, and small helpers
for time stamps, JSON columns and pages.

Example:
    >>> dumps_field({"a": 1}, "config")
    '{"a":1}'
"""

from __future__ import annotations

__all__ = [
    "Ctx", "Limit", "MAX_ID", "Offset", "RecordId", "ServerContext", "dumps_field", "get_context", "iso",
    "loads", "now", "page", "where",
]

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Query, Request

from synapse_nb.schemas import Page
from synapse_nb.server.config import ServerConfig
from synapse_nb.server.db import Database
from synapse_nb.server.errors import ApiError
from synapse_nb.server.queue_signal import QueueSignal
from synapse_nb.server.storage import Storage

T = TypeVar("T")

# SQLite integers are 64-bit; bounding ids in the schema turns a huge id into a 422.
MAX_ID = 2**63 - 1
RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=1000)]


@dataclass(frozen=True)
class ServerContext:
    """The backend's long-lived parts, shared by every request."""

    config: ServerConfig
    db: Database
    storage: Storage
    started_at: dt.datetime
    # Wakes agents waiting in a claim when a task is queued.
    queued: QueueSignal = field(default_factory=QueueSignal)


def get_context(request: Request) -> ServerContext:
    """FastAPI dependency: the context of the app serving this request."""
    return request.app.state.context  # type: ignore[no-any-return]


Ctx = Annotated[ServerContext, Depends(get_context)]


def now() -> str:
    """The current UTC time as ISO 8601 text (what every timestamp column holds)."""
    return dt.datetime.now(dt.timezone.utc).isoformat()


def iso(value: dt.datetime | None) -> str | None:
    """A datetime as UTC ISO text (naive values are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).isoformat()


def dumps_field(value: Any, field: str) -> str:
    """JSON text of ``value`` for a column; a value JSON cannot hold is a 422 naming ``field``."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    except (ValueError, TypeError) as exc:
        raise ApiError(422, f"{field}: a JSON value without NaN or Infinity ({exc})", field=field) from exc


def loads(text: str | None) -> Any:
    """Parse a JSON column (None stays None)."""
    return None if text is None else json.loads(text)


def page(
    conn: sqlite3.Connection,
    table_sql: str,
    params: Sequence[Any],
    offset: int,
    limit: int,
    convert: Callable[[sqlite3.Row], T],
    order: str = "id",
    select: str = "*",
) -> Page[T]:
    """A page of ``SELECT <select> <table_sql>``, with the total of the whole selection.

    ``table_sql`` is the ``FROM ... WHERE ...`` part, with ``?`` parameters.
    """
    total = conn.execute(f"SELECT COUNT(*) {table_sql}", params).fetchone()[0]
    rows = conn.execute(f"SELECT {select} {table_sql} ORDER BY {order} LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
    return Page[Any](items=[convert(r) for r in rows], total=total, offset=offset, limit=limit)


def where(conditions: dict[str, Any]) -> tuple[str, list[Any]]:
    """``WHERE a = ? AND b = ?`` for the conditions whose value is not None."""
    used = {k: v for k, v in conditions.items() if v is not None}
    if not used:
        return "", []
    return " WHERE " + " AND ".join(f"{k} = ?" for k in used), list(used.values())
