"""Counts the backend aggregates in SQL equal counting the listed items, edge cases included.

A project with items of no labels, several tags, several classes on one item, two datasets
and overlapping collections; the counts are checked after every kind of change (upload,
re-annotation, deletion, a new collection), and every split kind's cells and sizes against
the split run on the listed items.
"""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

import pytest
from PIL import Image

from synapse_nb.api import Api
from synapse_nb.errors import InputError
from synapse_nb.schemas import Item, LabelObject, Project, Rectangle
from synapse_nb.schemas.stats import ClassCount
from synapse_nb.splits import CollectionsSplit, DatasetsSplit, RandomSplit, TagsSplit


def _png(shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (shade, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def _box(name: str) -> LabelObject:
    return LabelObject(class_name=name, geometry=Rectangle(x1=1, y1=1, x2=4, y2=5))


# (tags, classes of the objects) per item; dataset "a" gets the first six, "b" the rest.
_ITEMS: list[tuple[list[str], list[str]]] = [
    ([], []),                                    # no labels, no tags
    (["train"], ["cat"]),
    (["train", "hard"], ["cat", "cat", "dog"]),  # several tags, one class twice
    (["val"], ["dog"]),
    (["train", "val"], []),                      # tagged both sides, no labels
    (["hard"], ["bird", "cat"]),
    (["val", "hard"], ["dog", "dog", "dog"]),
    ([], ["bird"]),
]


def _expected_stats(project: Project, items: list[Item], collections: dict[int, list[int]]) -> dict[str, Any]:
    objects: Counter[str] = Counter()
    holders: Counter[str] = Counter()
    for item in items:
        names = [o.class_name for o in item.objects]
        objects.update(names)
        holders.update(set(names))
    return {
        "project_id": project.id,
        "item_count": len(items),
        "unlabeled": sum(1 for i in items if not i.objects),
        "untagged": sum(1 for i in items if not i.tags),
        "classes": {n: ClassCount(objects=objects[n], items=holders[n]) for n in objects},
        "tags": dict(Counter(t for i in items for t in set(i.tags))),
        "datasets": dict(Counter(i.dataset_id for i in items)),
        "collections": {c: len(ids) for c, ids in collections.items()},
    }


def _assert_stats_match(api: Api, project_id: int) -> None:
    project = api.project.get(project_id)
    items = api.item.all(project_id)
    collections = {c.id: c.item_ids for c in api.collection.list(project_id)}
    stats = api.project.stats(project_id).model_dump(exclude={"content_version"})
    expected = _expected_stats(project, items, collections)
    expected["classes"] = {n: c.model_dump() for n, c in expected["classes"].items()}
    assert stats == expected


def _outcome(fn: Any) -> Any:
    """The result, or the field of the InputError it raised."""
    try:
        return fn()
    except InputError as exc:
        return ("error", exc.field, str(exc))


@pytest.fixture(scope="module")
def labelled(api: Api) -> dict[str, Any]:
    project = api.project.create("stats", classes=["cat", "dog", "bird"], tags=["train", "val", "hard"])
    first, second = api.dataset.create(project.id, "a"), api.dataset.create(project.id, "b")
    entries = [{"image": _png(i), "name": f"{i}.png", "tags": tags, "objects": [_box(c) for c in classes]}
               for i, (tags, classes) in enumerate(_ITEMS)]
    items = api.item.upload_batch(first.id, entries[:6]) + api.item.upload_batch(second.id, entries[6:])
    return {"project": project, "datasets": [first.id, second.id], "items": items}


def test_stats_equal_counting_the_items_through_every_change(api: Api, labelled: dict[str, Any]) -> None:
    project, items = labelled["project"], labelled["items"]
    _assert_stats_match(api, project.id)
    stats = api.project.stats(project.id)
    assert stats.unlabeled == 2 and stats.untagged == 2  # the edge cases are really there
    assert stats.classes["cat"] == ClassCount(objects=4, items=3)
    # Re-annotation moves the counts (the label tables follow the item in its transaction).
    api.item.set_annotation(items[0].id, [_box("bird"), _box("bird")], tags=["hard", "val"])
    api.item.set_annotation(items[2].id, [])
    _assert_stats_match(api, project.id)
    api.collection.create(project.id, "odd", [i.id for i in items[1::2]])
    api.collection.create(project.id, "low", [i.id for i in items[:4]])
    api.collection.create(project.id, "empty", [])
    _assert_stats_match(api, project.id)
    api.item.delete(items[5].id)
    _assert_stats_match(api, project.id)
    assert api.project.stats(project.id).item_count == len(items) - 1


def test_split_cells_and_sizes_equal_splitting_the_listed_items(api: Api, labelled: dict[str, Any]) -> None:
    project = labelled["project"]
    first, second = labelled["datasets"]
    items = api.item.all(project.id)
    collections = {c.name: c.id for c in api.collection.list(project.id)}
    if not collections:  # this test may run alone
        collections = {name: api.collection.create(project.id, name, [i.id for i in ids]).id
                       for name, ids in (("odd", items[1::2]), ("low", items[:4]), ("empty", []))}
    splits = [
        RandomSplit(percent=70, seed=3),
        RandomSplit(percent=99, split="val"),
        DatasetsSplit(train_datasets=[first], val_datasets=[second]),
        DatasetsSplit(train_datasets=[first, second], val_datasets=[second], allow_overlap=True),
        DatasetsSplit(train_datasets=[first], val_datasets=[999]),
        TagsSplit(),
        TagsSplit(allow_overlap=True, untagged_action="val"),
        TagsSplit(train_tag="hard", val_tag="val", untagged_action="ignore", allow_overlap=True),
        TagsSplit(train_tag="hard", val_tag="renamed", untagged_action="ignore"),
        CollectionsSplit(train_collections=[collections["odd"]], val_collections=[collections["low"]]),
        CollectionsSplit(train_collections=[collections["odd"]], val_collections=[collections["low"]], allow_overlap=True),
        CollectionsSplit(train_collections=[collections["low"]], val_collections=[collections["empty"]]),
    ]
    outcomes = []
    for split in splits:
        assert api.project.split_cells(project.id, split) == split.cells(items), split
        by_backend = _outcome(lambda: api.project.split_counts(project.id, split))
        by_items = _outcome(lambda: tuple(len(side) for side in split.split(items)))
        assert by_backend == by_items, split
        outcomes.append(by_backend)
        if by_backend[0] != "error":
            # ... and the objects of each class on each side, as the wizard's split chart shows them
            train_ids, val_ids = split.split(items)
            counted = api.project.split_class_counts(project.id, split)
            for side, ids in (("train", set(train_ids)), ("val", set(val_ids))):
                expected: dict[str, int] = {}
                for item in items:
                    if item.id in ids:
                        for obj in item.objects:
                            expected[obj.class_name] = expected.get(obj.class_name, 0) + 1
                assert getattr(counted, side) == expected, (split, side)
    # The cases cover both a working split and each refusal.
    assert {o[1] for o in outcomes if o[0] == "error"} >= {
        "train_val_split", "train_val_split.val", "train_val_split.val_tag"}
    assert sum(1 for o in outcomes if o[0] != "error") >= 5


def test_an_empty_project_and_a_missing_one(api: Api) -> None:
    project = api.project.create("empty-stats", classes=["cat"])
    stats = api.project.stats(project.id)
    assert (stats.item_count, stats.classes, stats.tags, stats.datasets) == (0, {}, {}, {})
    with pytest.raises(InputError, match="at least 2 items"):
        api.project.split_counts(project.id, RandomSplit())
    from synapse_nb.errors import NotFoundError

    with pytest.raises(NotFoundError):
        api.project.stats(10**9)
