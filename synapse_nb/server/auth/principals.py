"""Principals and their tokens: random 256-bit values shown once, stored only as SHA-256 hashes.

A token is looked up by its hash, so the database never holds anything that opens the
backend. (A slow password hash is not needed: a 256-bit random value can't be guessed from
its hash.) Revoking keeps the row, so the audit trail still names who it was.

Example:
    >>> import tempfile, pathlib
    >>> from synapse_nb.server.db import Database
    >>> store = PrincipalStore(Database(pathlib.Path(tempfile.mkdtemp()) / "db.sqlite3"))
    >>> created = store.create("alice", "user")
    >>> store.lookup(created.token).name, store.lookup("not-a-token")
    ('alice', None)
    >>> store.revoke("alice").revoked_at is not None, store.lookup(created.token)
    (True, None)
"""

from __future__ import annotations

__all__ = [
    "Principal", "PrincipalStore", "SCHEMA", "TASK_TOKEN_GRACE", "TOKEN_BYTES", "TOKEN_PREFIX", "hash_token",
    "new_token",
]

import datetime as dt
import hashlib
import secrets
import sqlite3
from dataclasses import dataclass

from synapse_nb.schemas.auth import TokenCreated, TokenInfo
from synapse_nb.server.db import Database
from synapse_nb.server.errors import ApiError

TOKEN_BYTES = 32  # 256 bits
TOKEN_PREFIX = "snb_"
# A task's token keeps working this long after the task ended, so the run's last log lines
# and its final flush still reach the backend; after that it is dead.
TASK_TOKEN_GRACE = dt.timedelta(minutes=5)

SCHEMA = """
CREATE TABLE IF NOT EXISTS principals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    agent_name TEXT,
    task_id INTEGER,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS trusted_files (
    sha256 TEXT PRIMARY KEY,
    model_id INTEGER,
    task_id INTEGER,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    principal TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    client TEXT,
    detail TEXT NOT NULL DEFAULT '{}'
);
"""


@dataclass(frozen=True)
class Principal:
    """Who sent a request: name, role, and what an agent or task token is bound to."""

    name: str
    role: str
    agent_name: str | None = None
    task_id: int | None = None


def hash_token(token: str) -> str:
    """The stored form of a token.

    Example:
        >>> len(hash_token("abc"))
        64
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random token (256 bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def _info(row: sqlite3.Row) -> TokenInfo:
    data = {k: row[k] for k in ("id", "name", "role", "agent_name", "task_id", "created_at", "revoked_at")}
    return TokenInfo.model_validate(data)


class PrincipalStore:
    """The principals of one backend, in its SQLite database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        conn = db.connection()
        conn.executescript(SCHEMA)

    def create(self, name: str, role: str, agent_name: str | None = None) -> TokenCreated:
        """A new principal and its token (the only time the token is seen)."""
        token = new_token()
        if role == "agent" and agent_name is None:
            agent_name = name
        with self.db.write() as conn:
            if conn.execute("SELECT 1 FROM principals WHERE name = ?", (name,)).fetchone() is not None:
                raise ApiError(409, f"name: a token named {name!r} exists already (revoke it or pick another name)", field="name")
            cur = conn.execute(
                "INSERT INTO principals (name, role, agent_name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                (name, role, agent_name, hash_token(token), _now()),
            )
            row = conn.execute("SELECT * FROM principals WHERE id = ?", (cur.lastrowid,)).fetchone()
        return TokenCreated(**_info(row).model_dump(), token=token)

    def adopt(self, name: str, role: str, token: str) -> None:
        """Register an existing token (the embedded backend's token file) unless it is known.

        A token that was revoked stays revoked: adopting never brings it back.
        """
        digest = hash_token(token)
        with self.db.write() as conn:
            if conn.execute("SELECT 1 FROM principals WHERE token_hash = ?", (digest,)).fetchone() is not None:
                return
            taken = conn.execute("SELECT 1 FROM principals WHERE name = ?", (name,)).fetchone() is not None
            conn.execute(
                "INSERT INTO principals (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                (f"{name}-{digest[:8]}" if taken else name, role, digest, _now()),
            )

    def task_token(self, task_id: int) -> str:
        """A token acting for ``task_id`` only (a new one each call)."""
        token = new_token()
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO principals (name, role, task_id, token_hash, created_at) VALUES (?, 'task', ?, ?, ?)",
                (f"task-{task_id}-{secrets.token_hex(4)}", task_id, hash_token(token), _now()),
            )
        return token

    def list(self, include_task_tokens: bool = False) -> list[TokenInfo]:
        """Every principal, oldest first (task tokens only when asked)."""
        clause = "" if include_task_tokens else " WHERE role != 'task'"
        with self.db.read() as conn:
            rows = conn.execute(f"SELECT * FROM principals{clause} ORDER BY id").fetchall()
        return [_info(r) for r in rows]

    def revoke(self, name: str) -> TokenInfo:
        """Revoke the token named ``name``: it stops working at once."""
        with self.db.write() as conn:
            row = conn.execute("SELECT * FROM principals WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise ApiError(404, f"name: no token named {name!r}", field="name")
            if row["revoked_at"] is None:
                conn.execute("UPDATE principals SET revoked_at = ? WHERE id = ?", (_now(), row["id"]))
            row = conn.execute("SELECT * FROM principals WHERE id = ?", (row["id"],)).fetchone()
        return _info(row)

    def lookup(self, token: str) -> Principal | None:
        """The live principal holding ``token``, or None (unknown, revoked, or its task ended)."""
        if not token:
            return None
        conn = self.db.connection()
        row = conn.execute(
            "SELECT p.name, p.role, p.agent_name, p.task_id, p.revoked_at, t.status, t.finished_at "
            "FROM principals p LEFT JOIN tasks t ON t.id = p.task_id WHERE p.token_hash = ?",
            (hash_token(token),),
        ).fetchone()
        if row is None or row["revoked_at"] is not None:
            return None
        if row["role"] == "task" and not _task_alive(row["status"], row["finished_at"]):
            return None
        return Principal(name=row["name"], role=row["role"], agent_name=row["agent_name"], task_id=row["task_id"])


def _task_alive(status: str | None, finished_at: str | None) -> bool:
    if status is None:
        return False  # the task was deleted
    if finished_at is None:
        return status not in ("finished", "failed", "stopped")
    ended = dt.datetime.fromisoformat(finished_at)
    return dt.datetime.now(dt.timezone.utc) - ended < TASK_TOKEN_GRACE
