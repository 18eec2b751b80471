"""Counts over a project's items, aggregated in SQL: per class, tag, dataset and collection,
and the cells a train/val split sorts the items into.

Each query is an indexed GROUP BY over the label tables the item triggers keep
(``item_classes``, ``item_tags``), so a client never lists every item to learn how many
there are of what, and the pre-flight and the wizard cost the same at 100 or 100,000 items.
"""

from __future__ import annotations

__all__ = ["project_stats", "split_cells", "split_class_counts"]

import json
import sqlite3
from typing import Any

from fastapi import APIRouter
from synapse_nb.schemas.stats import ClassCount, ProjectStats, SplitCells, SplitClassCounts
from synapse_nb.server.context import Ctx, RecordId
from synapse_nb.server.routes.projects import fetch_project
from synapse_nb.errors import InputError
from synapse_nb.splits import CollectionsSplit, DatasetsSplit, SplitItem, TagsSplit, TrainValSplit

router = APIRouter(tags=["stats"])


@router.get("/projects/{project_id}/stats", response_model=ProjectStats)
def project_stats(project_id: RecordId, ctx: Ctx) -> ProjectStats:
    """Items per class, tag, dataset and collection of a project (one snapshot)."""
    with ctx.db.read() as conn:
        project = fetch_project(conn, project_id)
        classes = {
            r["class_name"]: ClassCount(objects=r["objects"], items=r["items"])
            for r in conn.execute(
                "SELECT class_name, SUM(objects) AS objects, COUNT(*) AS items FROM item_classes "
                "WHERE project_id = ? GROUP BY class_name ORDER BY class_name",
                (project_id,),
            )
        }
        tags = dict(conn.execute(
            "SELECT tag, COUNT(*) FROM item_tags WHERE project_id = ? GROUP BY tag ORDER BY tag", (project_id,)).fetchall())
        datasets = dict(conn.execute(
            "SELECT dataset_id, COUNT(*) FROM items WHERE project_id = ? GROUP BY dataset_id", (project_id,)).fetchall())
        collections = dict(conn.execute(
            "SELECT c.id, COUNT(ci.item_id) FROM collections AS c LEFT JOIN collection_items AS ci "
            "ON ci.collection_id = c.id WHERE c.project_id = ? GROUP BY c.id", (project_id,)).fetchall())
        labeled = conn.execute(
            "SELECT COUNT(DISTINCT item_id) FROM item_classes WHERE project_id = ?", (project_id,)).fetchone()[0]
        tagged = conn.execute(
            "SELECT COUNT(DISTINCT item_id) FROM item_tags WHERE project_id = ?", (project_id,)).fetchone()[0]
    total = project.item_count
    return ProjectStats(
        project_id=project_id, content_version=project.content_version, item_count=total,
        unlabeled=total - labeled, untagged=total - tagged,
        classes=classes, tags=tags, datasets=datasets, collections=collections,
    )


def _marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))


def _cells(conn: sqlite3.Connection, project_id: int, kind: str, members: str, train: list[Any], val: list[Any],
           total: int, present: list[Any]) -> SplitCells:
    """Cells from ``members``: a query of ``item_id`` rows, with the train values bound first
    and then the val values, each side's set chosen by ``IN (...)``."""
    t, v = _marks(train), _marks(val)
    sql = (
        f"WITH tr AS ({members.format(side=t)}), va AS ({members.format(side=v)}) "
        "SELECT (SELECT COUNT(*) FROM tr) AS n_train, (SELECT COUNT(*) FROM va) AS n_val, "
        "(SELECT COUNT(*) FROM tr WHERE item_id IN va) AS n_both"
    )
    params = [project_id, *train, project_id, *val]
    row = conn.execute(sql, params).fetchone()
    both = row["n_both"]
    both_ids = [r[0] for r in conn.execute(
        f"WITH tr AS ({members.format(side=t)}), va AS ({members.format(side=v)}) "
        "SELECT item_id FROM tr WHERE item_id IN va ORDER BY item_id LIMIT 10", params)] if both else []
    train_only, val_only = row["n_train"] - both, row["n_val"] - both
    return SplitCells(kind=kind, total=total, train=train_only, val=val_only, both=both,  # type: ignore[arg-type]
                      neither=total - train_only - val_only - both, both_ids=both_ids, present=present)


# Each yields the distinct ids of the project's items on one side; ``{side}`` is that side's marks.
_MEMBERS = {
    "datasets": "SELECT id AS item_id FROM items WHERE project_id = ? AND dataset_id IN ({side})",
    "tags": "SELECT DISTINCT item_id FROM item_tags WHERE project_id = ? AND tag IN ({side})",
    "collections": "SELECT DISTINCT ci.item_id FROM collection_items AS ci JOIN collections AS c "
                   "ON c.id = ci.collection_id WHERE c.project_id = ? AND ci.collection_id IN ({side})",
}
_PRESENT = {
    "datasets": "SELECT DISTINCT dataset_id FROM items WHERE project_id = ? ORDER BY 1",
    "tags": "SELECT DISTINCT tag FROM item_tags WHERE project_id = ? ORDER BY 1",
    "collections": "SELECT DISTINCT ci.collection_id FROM collection_items AS ci JOIN collections AS c "
                   "ON c.id = ci.collection_id WHERE c.project_id = ? ORDER BY 1",
}


@router.post("/projects/{project_id}/split", response_model=SplitCells)
def split_cells(project_id: RecordId, body: TrainValSplit, ctx: Ctx) -> SplitCells:
    """How a train/val split sorts the project's items: train only, val only, both, neither.

    The body is the split as ``TrainState.train_val_split`` serialises it (with ``kind``);
    the client turns the cells into sizes with the split's own checks.
    """
    sides: dict[str, tuple[list[Any], list[Any]]] = {}
    if isinstance(body, DatasetsSplit):
        sides["datasets"] = (list(body.train_datasets), list(body.val_datasets))
    elif isinstance(body, TagsSplit):
        sides["tags"] = ([body.train_tag], [body.val_tag])
    elif isinstance(body, CollectionsSplit):
        sides["collections"] = (list(body.train_collections), list(body.val_collections))
    with ctx.db.read() as conn:
        project = fetch_project(conn, project_id)
        if not sides:
            return SplitCells(kind="random", total=project.item_count)
        ((kind, (train, val)),) = sides.items()
        present = [r[0] for r in conn.execute(_PRESENT[kind], (project_id,))]
        return _cells(conn, project_id, kind, _MEMBERS[kind], train, val, project.item_count, present)


def _split_items(conn: sqlite3.Connection, project_id: int) -> list[SplitItem]:
    """What a split looks at of every item (ids, dataset, tags, collections), without the
    items' annotations: a few integers and short strings per item."""
    tags: dict[int, list[str]] = {}
    for item_id, tag in conn.execute("SELECT item_id, tag FROM item_tags WHERE project_id = ?", (project_id,)):
        tags.setdefault(item_id, []).append(tag)
    collections: dict[int, list[int]] = {}
    for item_id, collection_id in conn.execute(
            "SELECT ci.item_id, ci.collection_id FROM collection_items AS ci JOIN collections AS c "
            "ON c.id = ci.collection_id WHERE c.project_id = ?", (project_id,)):
        collections.setdefault(item_id, []).append(collection_id)
    return [SplitItem(id=item_id, dataset_id=dataset_id, tags=tags.get(item_id, []),
                      collections=collections.get(item_id, []))
            for item_id, dataset_id in conn.execute("SELECT id, dataset_id FROM items WHERE project_id = ?", (project_id,))]


_CLASSES_OF = ("SELECT class_name, SUM(objects) FROM item_classes WHERE project_id = ? "
               "AND item_id IN (SELECT value FROM json_each(?)) GROUP BY class_name")


@router.post("/projects/{project_id}/split/classes", response_model=SplitClassCounts)
def split_class_counts(project_id: RecordId, body: TrainValSplit, ctx: Ctx) -> SplitClassCounts:
    """Objects of each class on each side of the split, as ``split(items)`` sorts them (the
    same code the client and the agent run); a split that describes none is a 422 naming
    its field."""
    with ctx.db.read() as conn:
        fetch_project(conn, project_id)
        items = _split_items(conn, project_id)
        try:
            train_ids, val_ids = body.split(items)
        except InputError as exc:
            from fastapi import HTTPException

            raise HTTPException(422, detail=str(exc)) from None
        sides = {}
        for side, ids in (("train", train_ids), ("val", val_ids)):
            rows = conn.execute(_CLASSES_OF, (project_id, json.dumps(list(ids)))).fetchall()
            sides[side] = {name: int(count) for name, count in rows}
    return SplitClassCounts(**sides)
