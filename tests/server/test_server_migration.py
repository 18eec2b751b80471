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
        assert db.connection().execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    finally:
        db.close()


def test_a_version_2_database_fills_the_label_tables_for_its_items(tmp_path: Path) -> None:
    # A store made before the label tables: its items' classes and tags are counted on open.
    path = tmp_path / "v2.sqlite"
    head, _, rest = SCHEMA.partition("-- The classes and tags")
    v2_schema = head + rest[rest.index("CREATE TABLE IF NOT EXISTS collections"):]
    conn = sqlite3.connect(path)
    conn.executescript(v2_schema)
    conn.execute("INSERT INTO projects (name, created_at, updated_at) VALUES ('p', 'now', 'now')")
    conn.execute("INSERT INTO datasets (project_id, name, created_at) VALUES (1, 'd', 'now')")
    conn.execute("INSERT INTO images (hash, size, width, height, created_at) VALUES ('h', 1, 8, 8, 'now')")
    objects = '[{"class_name": "cat"}, {"class_name": "cat"}, {"class_name": "dog"}]'
    conn.execute("INSERT INTO items (project_id, dataset_id, name, image_hash, width, height, tags, objects, updated_at) "
                 "VALUES (1, 1, 'a', 'h', 8, 8, '[\"train\", \"hard\"]', ?, 'now')", (objects,))
    conn.execute("INSERT INTO items (project_id, dataset_id, name, image_hash, width, height, updated_at) "
                 "VALUES (1, 1, 'b', 'h', 8, 8, 'now')")
    conn.execute("PRAGMA user_version=2")
    conn.commit()
    conn.close()
    db = Database(path)
    try:
        def read(sql: str) -> list[tuple[object, ...]]:
            return [tuple(row) for row in db.connection().execute(sql)]

        assert read("SELECT class_name, objects FROM item_classes ORDER BY 1") == [("cat", 2), ("dog", 1)]
        assert read("SELECT item_id, tag FROM item_tags ORDER BY 2") == [(1, "hard"), (1, "train")]
        # and the triggers keep them from now on
        read("UPDATE items SET tags = '[\"val\"]' WHERE name = 'b'")
        assert read("SELECT tag FROM item_tags WHERE item_id = 2") == [("val",)]
    finally:
        db.close()
