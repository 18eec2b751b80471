"""A database written before items kept their source id opens, and keeps its items."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from synapse_nb.server.db import SCHEMA, SCHEMA_VERSION, Database


def test_a_version_1_database_gains_the_source_id_column(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    old_schema = SCHEMA.replace("    source_id INTEGER,\n", "")
    conn = sqlite3.connect(path)
    conn.executescript(old_schema)
    conn.execute("PRAGMA user_version=1")
    conn.close()
    db = Database(path)
    try:
        columns = {row[1] for row in db.connection().execute("PRAGMA table_info(items)")}
        assert "source_id" in columns
        assert db.connection().execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    finally:
        db.close()
