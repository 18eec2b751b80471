"""The backend's SQLite store: one connection per thread, WAL mode, explicit transactions.

Writes run in ``BEGIN IMMEDIATE`` transactions, so two writers never interleave and a
failed request leaves nothing half-written; reads run in a deferred transaction, so a page
and its total come from one snapshot.

Example:
    >>> import tempfile, pathlib
    >>> db = Database(pathlib.Path(tempfile.mkdtemp()) / "db.sqlite3")
    >>> with db.write() as conn:
    ...     _ = conn.execute("INSERT INTO projects (name, created_at, updated_at) VALUES ('p', 'now', 'now')")
    >>> with db.read() as conn:
    ...     conn.execute("SELECT COUNT(*) FROM projects").fetchone()[0]
    1
    >>> db.close()
"""

from __future__ import annotations

__all__ = ["Database", "SCHEMA", "SCHEMA_VERSION"]

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA_VERSION = 3

SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    classes TEXT NOT NULL DEFAULT '[]',
    tags TEXT NOT NULL DEFAULT '[]',
    content_version INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (project_id, name)
);
CREATE TABLE IF NOT EXISTS images (
    hash TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    image_hash TEXT NOT NULL REFERENCES images(hash),
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    objects TEXT NOT NULL DEFAULT '[]',
    source_id INTEGER,
    updated_at TEXT NOT NULL,
    UNIQUE (dataset_id, name)
);
CREATE INDEX IF NOT EXISTS items_project ON items (project_id, id);
CREATE INDEX IF NOT EXISTS items_dataset ON items (dataset_id);
-- The classes and tags of every item, one row each, kept by triggers in the same
-- transaction as the item: counts per class and tag are then an indexed GROUP BY, not a
-- parse of every item's JSON (which grows with the project).
CREATE TABLE IF NOT EXISTS item_classes (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL,
    class_name TEXT NOT NULL,
    objects INTEGER NOT NULL,
    PRIMARY KEY (item_id, class_name)
);
CREATE INDEX IF NOT EXISTS item_classes_project ON item_classes (project_id, class_name);
CREATE TABLE IF NOT EXISTS item_tags (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (item_id, tag)
);
CREATE INDEX IF NOT EXISTS item_tags_project ON item_tags (project_id, tag, item_id);
CREATE TRIGGER IF NOT EXISTS items_labels_insert AFTER INSERT ON items BEGIN
    INSERT INTO item_classes (item_id, project_id, class_name, objects)
        SELECT NEW.id, NEW.project_id, json_extract(o.value, '$.class_name'), COUNT(*)
        FROM json_each(NEW.objects) AS o GROUP BY 3;
    INSERT OR IGNORE INTO item_tags (item_id, project_id, tag)
        SELECT NEW.id, NEW.project_id, t.value FROM json_each(NEW.tags) AS t;
END;
CREATE TRIGGER IF NOT EXISTS items_labels_update AFTER UPDATE OF objects, tags ON items BEGIN
    DELETE FROM item_classes WHERE item_id = NEW.id;
    DELETE FROM item_tags WHERE item_id = NEW.id;
    INSERT INTO item_classes (item_id, project_id, class_name, objects)
        SELECT NEW.id, NEW.project_id, json_extract(o.value, '$.class_name'), COUNT(*)
        FROM json_each(NEW.objects) AS o GROUP BY 3;
    INSERT OR IGNORE INTO item_tags (item_id, project_id, tag)
        SELECT NEW.id, NEW.project_id, t.value FROM json_each(NEW.tags) AS t;
END;
CREATE TABLE IF NOT EXISTS collections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (project_id, name)
);
CREATE TABLE IF NOT EXISTS collection_items (
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    PRIMARY KEY (collection_id, item_id)
);
CREATE INDEX IF NOT EXISTS collection_items_item ON collection_items (item_id);
CREATE TABLE IF NOT EXISTS agents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    resources TEXT NOT NULL DEFAULT '{}',
    ray_address TEXT,
    host TEXT,
    pid INTEGER,
    is_local INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    last_heartbeat REAL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    project_id INTEGER,
    status TEXT NOT NULL,
    state TEXT,
    payload TEXT,
    experiment_name TEXT,
    progress TEXT NOT NULL DEFAULT '{}',
    overall_progress REAL NOT NULL DEFAULT 0,
    result TEXT,
    error TEXT,
    retry_of INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
    attempt INTEGER NOT NULL DEFAULT 1,
    log_seq INTEGER NOT NULL DEFAULT 0,
    trial_seq INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_status ON tasks (status, id);
CREATE TABLE IF NOT EXISTS task_logs (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    time TEXT NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    trial_id TEXT,
    PRIMARY KEY (task_id, seq)
);
CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    category TEXT NOT NULL,
    key TEXT NOT NULL,
    value REAL NOT NULL,
    step INTEGER,
    epoch INTEGER,
    trial_id TEXT,
    time TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_task ON metrics (task_id, id);
CREATE TABLE IF NOT EXISTS visualizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS visualizations_task ON visualizations (task_id, id);
CREATE TABLE IF NOT EXISTS trial_tables (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (task_id, seq)
);
CREATE TABLE IF NOT EXISTS task_files (
    task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (task_id, path)
);
CREATE TABLE IF NOT EXISTS models (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    project_id INTEGER,
    task_id INTEGER,
    body TEXT NOT NULL,
    files TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS models_task ON models (task_id);
CREATE TABLE IF NOT EXISTS request_keys (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
"""

_BACKFILL_LABELS = """
BEGIN IMMEDIATE;
INSERT OR IGNORE INTO item_classes (item_id, project_id, class_name, objects)
    SELECT i.id, i.project_id, json_extract(o.value, '$.class_name'), COUNT(*)
    FROM items AS i, json_each(i.objects) AS o GROUP BY i.id, 3;
INSERT OR IGNORE INTO item_tags (item_id, project_id, tag)
    SELECT i.id, i.project_id, t.value FROM items AS i, json_each(i.tags) AS t;
COMMIT;
"""


class Database:
    """SQLite at ``path``, one connection per thread (opened on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # Every connection, so close() can close those opened by worker threads too.
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._migrate()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=60.0)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across process crashes in WAL mode; only a power cut may lose the
        # last transactions, never corrupt the file.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=60000")
        with self._lock:
            self._all.append(conn)
        return conn

    def connection(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _migrate(self) -> None:
        conn = self.connection()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            conn.executescript(SCHEMA)
            # Version 2: items keep the id they had in the file they were imported from.
            columns = {row[1] for row in conn.execute("PRAGMA table_info(items)")}
            if "source_id" not in columns:
                conn.execute("ALTER TABLE items ADD COLUMN source_id INTEGER")
            if version < 3:
                # Version 3: the label tables; a store made before them fills them once here.
                conn.executescript(_BACKFILL_LABELS)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed on success, rolled back on any exception."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees one snapshot."""
        conn = self.connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        """Close every connection this database opened."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()
