"""Projects (with their class and tag metas) and the datasets in them.

A project's ``content_version`` goes up with every change of its meta, datasets, items,
annotations or collections, in the same transaction as the change.
"""

from __future__ import annotations

__all__ = [
    "bump_version", "create_dataset", "create_project", "delete_project", "fetch_dataset", "fetch_project",
    "get_dataset", "get_project", "list_datasets", "list_projects", "project_from_row", "update_meta",
]

import sqlite3

from fastapi import APIRouter, Response

from synapse_nb.schemas import Dataset, DatasetCreate, Page, Project, ProjectCreate
from synapse_nb.schemas.backend import ProjectMetaUpdate
from synapse_nb.server.annotations import check_name, load_meta
from synapse_nb.server.context import Ctx, Limit, Offset, RecordId, dumps_field, loads, now, page
from synapse_nb.server.errors import ApiError, not_found

router = APIRouter(tags=["projects"])

_PROJECT_SELECT = (
    "p.*, (SELECT COUNT(*) FROM items i WHERE i.project_id = p.id) AS item_count, "
    "(SELECT COUNT(*) FROM datasets d WHERE d.project_id = p.id) AS dataset_count"
)
_DATASET_SELECT = "d.*, (SELECT COUNT(*) FROM items i WHERE i.dataset_id = d.id) AS item_count"


def bump_version(conn: sqlite3.Connection, project_id: int) -> None:
    """Record that a project's content changed (the dataset cache keys on the version)."""
    conn.execute(
        "UPDATE projects SET content_version = content_version + 1, updated_at = ? WHERE id = ?", (now(), project_id)
    )


def project_from_row(row: sqlite3.Row) -> Project:
    """A Project from a row of ``_PROJECT_SELECT``."""
    data = dict(row)
    data["classes"] = loads(data["classes"])
    data["tags"] = loads(data["tags"])
    return Project.model_validate(data)


def fetch_project(conn: sqlite3.Connection, project_id: int) -> Project:
    """Project ``project_id`` or a 404."""
    row = conn.execute(f"SELECT {_PROJECT_SELECT} FROM projects p WHERE p.id = ?", (project_id,)).fetchone()
    if row is None:
        raise not_found("project", project_id)
    return project_from_row(row)


def fetch_dataset(conn: sqlite3.Connection, dataset_id: int) -> Dataset:
    """Dataset ``dataset_id`` or a 404."""
    row = conn.execute(f"SELECT {_DATASET_SELECT} FROM datasets d WHERE d.id = ?", (dataset_id,)).fetchone()
    if row is None:
        raise not_found("dataset", dataset_id)
    return Dataset.model_validate(dict(row))


@router.post("/projects", response_model=Project, status_code=201)
def create_project(body: ProjectCreate, ctx: Ctx) -> Project:
    """Create a project with its classes and tags."""
    stamp = now()
    with ctx.db.write() as conn:
        cur = conn.execute(
            "INSERT INTO projects (name, description, classes, tags, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                body.name,
                body.description,
                dumps_field([c.model_dump() for c in body.classes], "classes"),
                dumps_field([t.model_dump() for t in body.tags], "tags"),
                stamp,
                stamp,
            ),
        )
        return fetch_project(conn, int(cur.lastrowid or 0))


@router.get("/projects", response_model=Page[Project])
def list_projects(ctx: Ctx, offset: Offset = 0, limit: Limit = 100) -> Page[Project]:
    """Projects, oldest first."""
    with ctx.db.read() as conn:
        return page(conn, "FROM projects p", [], offset, limit, project_from_row, order="p.id", select=_PROJECT_SELECT)


@router.get("/projects/{project_id}", response_model=Project)
def get_project(project_id: RecordId, ctx: Ctx) -> Project:
    """One project."""
    with ctx.db.read() as conn:
        return fetch_project(conn, project_id)


@router.patch("/projects/{project_id}/meta", response_model=Project)
def update_meta(project_id: RecordId, body: ProjectMetaUpdate, ctx: Ctx) -> Project:
    """Add classes and tags to a project, or change their colour (matched by name).

    A class's shape may change only while no object of that class exists; nothing is removed,
    so no stored annotation can become invalid.
    """
    with ctx.db.write() as conn:
        meta = load_meta(conn, project_id)
        classes = {c.name: c for c in meta.classes}
        for index, cls in enumerate(body.classes or []):
            old = classes.get(cls.name)
            if old is not None and old.shape != cls.shape and _class_in_use(conn, project_id, cls.name):
                raise ApiError(
                    409,
                    f"classes[{index}].shape: objects of class {cls.name!r} exist as {old.shape!r}; "
                    "convert them before changing the class shape",
                    field=f"classes[{index}].shape",
                )
            classes[cls.name] = cls
        tags = {t.name: t for t in meta.tags}
        for tag in body.tags or []:
            tags[tag.name] = tag
        conn.execute(
            "UPDATE projects SET classes = ?, tags = ? WHERE id = ?",
            (
                dumps_field([c.model_dump() for c in classes.values()], "classes"),
                dumps_field([t.model_dump() for t in tags.values()], "tags"),
                project_id,
            ),
        )
        bump_version(conn, project_id)
        return fetch_project(conn, project_id)


def _class_in_use(conn: sqlite3.Connection, project_id: int, class_name: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM items, json_each(items.objects) AS o "
        "WHERE items.project_id = ? AND json_extract(o.value, '$.class_name') = ? LIMIT 1",
        (project_id, class_name),
    ).fetchone()
    return row is not None


@router.delete("/projects/{project_id}", status_code=204)
def delete_project(project_id: RecordId, ctx: Ctx) -> Response:
    """Delete a project with its datasets, items and collections (stored images stay shared)."""
    with ctx.db.write() as conn:
        cur = conn.execute("DELETE FROM projects WHERE id = ?", (project_id,))
        if cur.rowcount == 0:
            raise not_found("project", project_id)
    return Response(status_code=204)


@router.post("/projects/{project_id}/datasets", response_model=Dataset, status_code=201)
def create_dataset(project_id: RecordId, body: DatasetCreate, ctx: Ctx) -> Dataset:
    """Create a dataset in a project; names are unique within a project."""
    check_name(body.name, "name")
    with ctx.db.write() as conn:
        fetch_project(conn, project_id)
        if conn.execute("SELECT 1 FROM datasets WHERE project_id = ? AND name = ?", (project_id, body.name)).fetchone():
            raise ApiError(409, f"name: project {project_id} already has a dataset named {body.name!r}", field="name")
        cur = conn.execute(
            "INSERT INTO datasets (project_id, name, created_at) VALUES (?, ?, ?)", (project_id, body.name, now())
        )
        bump_version(conn, project_id)
        return fetch_dataset(conn, int(cur.lastrowid or 0))


@router.get("/projects/{project_id}/datasets", response_model=Page[Dataset])
def list_datasets(project_id: RecordId, ctx: Ctx, offset: Offset = 0, limit: Limit = 100) -> Page[Dataset]:
    """Datasets of a project, oldest first."""
    with ctx.db.read() as conn:
        fetch_project(conn, project_id)
        return page(
            conn,
            "FROM datasets d WHERE d.project_id = ?",
            [project_id],
            offset,
            limit,
            lambda r: Dataset.model_validate(dict(r)),
            order="d.id",
            select=_DATASET_SELECT,
        )


@router.get("/datasets/{dataset_id}", response_model=Dataset)
def get_dataset(dataset_id: RecordId, ctx: Ctx) -> Dataset:
    """One dataset."""
    with ctx.db.read() as conn:
        return fetch_dataset(conn, dataset_id)
