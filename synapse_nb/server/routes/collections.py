"""Collections: named sets of items of one project (a CollectionsSplit draws on them)."""

from __future__ import annotations

__all__ = [
    "add_items", "create_collection", "delete_collection", "fetch_collection", "get_collection",
    "list_collections", "remove_items", "summarise_collections",
]

import sqlite3

from fastapi import APIRouter, Response

from synapse_nb.schemas import Collection, CollectionCreate, CollectionSummary, Page
from synapse_nb.schemas.backend import ItemIds
from synapse_nb.server.annotations import check_name
from synapse_nb.server.context import Ctx, Limit, Offset, RecordId, now
from synapse_nb.server.errors import ApiError, not_found
from synapse_nb.server.routes.projects import bump_version, fetch_project

router = APIRouter(tags=["collections"])


def _members(conn: sqlite3.Connection, collection_id: int) -> list[int]:
    return [r[0] for r in conn.execute("SELECT item_id FROM collection_items WHERE collection_id = ? ORDER BY item_id", (collection_id,))]


def fetch_collection(conn: sqlite3.Connection, collection_id: int) -> Collection:
    """Collection ``collection_id`` with its item ids, or a 404."""
    row = conn.execute("SELECT * FROM collections WHERE id = ?", (collection_id,)).fetchone()
    if row is None:
        raise not_found("collection", collection_id)
    return Collection.model_validate({**dict(row), "item_ids": _members(conn, collection_id)})


def _check_items(conn: sqlite3.Connection, project_id: int, item_ids: list[int], field: str) -> list[int]:
    """The distinct ids, each an item of the project (else a 422 naming the first stranger)."""
    unique = list(dict.fromkeys(item_ids))
    for start in range(0, len(unique), 900):
        chunk = unique[start : start + 900]
        marks = ",".join("?" * len(chunk))
        found = {r[0] for r in conn.execute(f"SELECT id FROM items WHERE project_id = ? AND id IN ({marks})", [project_id, *chunk])}
        strangers = [i for i in chunk if i not in found]
        if strangers:
            index = item_ids.index(strangers[0])
            raise ApiError(
                422, f"{field}[{index}]: an item of project {project_id}, got {strangers[0]}", field=f"{field}[{index}]"
            )
    return unique


@router.post("/projects/{project_id}/collections", response_model=Collection, status_code=201)
def create_collection(project_id: RecordId, body: CollectionCreate, ctx: Ctx) -> Collection:
    """Create a collection of items of a project; names are unique within a project."""
    check_name(body.name, "name")
    with ctx.db.write() as conn:
        fetch_project(conn, project_id)
        if conn.execute("SELECT 1 FROM collections WHERE project_id = ? AND name = ?", (project_id, body.name)).fetchone():
            raise ApiError(409, f"name: project {project_id} already has a collection named {body.name!r}", field="name")
        item_ids = _check_items(conn, project_id, body.item_ids, "item_ids")
        cur = conn.execute("INSERT INTO collections (project_id, name, created_at) VALUES (?, ?, ?)", (project_id, body.name, now()))
        collection_id = int(cur.lastrowid or 0)
        conn.executemany("INSERT INTO collection_items (collection_id, item_id) VALUES (?, ?)", [(collection_id, i) for i in item_ids])
        bump_version(conn, project_id)
        return fetch_collection(conn, collection_id)


@router.get("/projects/{project_id}/collections", response_model=Page[Collection])
def list_collections(project_id: RecordId, ctx: Ctx, offset: Offset = 0, limit: Limit = 100) -> Page[Collection]:
    """Collections of a project, oldest first."""
    with ctx.db.read() as conn:
        fetch_project(conn, project_id)
        total = conn.execute("SELECT COUNT(*) FROM collections WHERE project_id = ?", (project_id,)).fetchone()[0]
        ids = [r[0] for r in conn.execute("SELECT id FROM collections WHERE project_id = ? ORDER BY id LIMIT ? OFFSET ?", (project_id, limit, offset))]
        return Page[Collection](items=[fetch_collection(conn, i) for i in ids], total=total, offset=offset, limit=limit)


@router.get("/projects/{project_id}/collections/summary", response_model=Page[CollectionSummary])
def summarise_collections(project_id: RecordId, ctx: Ctx, offset: Offset = 0, limit: Limit = 100) -> Page[CollectionSummary]:
    """Collections of a project with their sizes instead of their members, oldest first."""
    with ctx.db.read() as conn:
        fetch_project(conn, project_id)
        total = conn.execute("SELECT COUNT(*) FROM collections WHERE project_id = ?", (project_id,)).fetchone()[0]
        rows = conn.execute(
            "SELECT c.id, c.project_id, c.name, c.created_at, COUNT(ci.item_id) AS item_count FROM collections c "
            "LEFT JOIN collection_items ci ON ci.collection_id = c.id WHERE c.project_id = ? "
            "GROUP BY c.id ORDER BY c.id LIMIT ? OFFSET ?", (project_id, limit, offset)).fetchall()
        return Page[CollectionSummary](items=[CollectionSummary.model_validate(dict(r)) for r in rows], total=total,
                                       offset=offset, limit=limit)


@router.get("/collections/{collection_id}", response_model=Collection)
def get_collection(collection_id: RecordId, ctx: Ctx) -> Collection:
    """One collection with its item ids."""
    with ctx.db.read() as conn:
        return fetch_collection(conn, collection_id)


@router.post("/collections/{collection_id}/items", response_model=Collection)
def add_items(collection_id: RecordId, body: ItemIds, ctx: Ctx) -> Collection:
    """Add items (of the collection's project) to a collection; ones already in it are kept."""
    with ctx.db.write() as conn:
        collection = fetch_collection(conn, collection_id)
        item_ids = _check_items(conn, collection.project_id, body.item_ids, "item_ids")
        conn.executemany(
            "INSERT OR IGNORE INTO collection_items (collection_id, item_id) VALUES (?, ?)", [(collection_id, i) for i in item_ids]
        )
        bump_version(conn, collection.project_id)
        return fetch_collection(conn, collection_id)


@router.post("/collections/{collection_id}/items/remove", response_model=Collection)
def remove_items(collection_id: RecordId, body: ItemIds, ctx: Ctx) -> Collection:
    """Remove items from a collection (ids not in it are ignored)."""
    with ctx.db.write() as conn:
        collection = fetch_collection(conn, collection_id)
        conn.executemany(
            "DELETE FROM collection_items WHERE collection_id = ? AND item_id = ?", [(collection_id, i) for i in body.item_ids]
        )
        bump_version(conn, collection.project_id)
        return fetch_collection(conn, collection_id)


@router.delete("/collections/{collection_id}", status_code=204)
def delete_collection(collection_id: RecordId, ctx: Ctx) -> Response:
    """Delete a collection (its items stay)."""
    with ctx.db.write() as conn:
        collection = fetch_collection(conn, collection_id)
        conn.execute("DELETE FROM collections WHERE id = ?", (collection_id,))
        bump_version(conn, collection.project_id)
    return Response(status_code=204)
