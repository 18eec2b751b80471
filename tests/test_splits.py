"""Train/val splits: each kind, the leakage guards, and the partition property."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import synapse_nb as snb
from synapse_nb.errors import InputError


def make_items(n: int, datasets: int = 2) -> list[dict]:
    items = []
    for i in range(n):
        tags = ["train"] if i % 3 == 0 else ["val"] if i % 3 == 1 else []
        items.append({"id": 100 + i, "dataset_id": 1 + i % datasets, "tags": tags, "collections": [10 + i % 2]})
    return items


def test_random_split_percent_belongs_to_the_named_side() -> None:
    items = make_items(50)
    train, val = snb.RandomSplit(percent=80, split="train").split(items)
    assert (len(train), len(val)) == (40, 10)
    train2, val2 = snb.RandomSplit(percent=20, split="val").split(items)
    assert (len(train2), len(val2)) == (40, 10)
    # Same percent on the same side and same seed -> the very same split.
    assert (train, val) == (train2, val2)


def test_random_split_is_seeded_and_order_independent() -> None:
    items = make_items(30)
    a = snb.RandomSplit(seed=1).split(items)
    b = snb.RandomSplit(seed=1).split(list(reversed(items)))
    c = snb.RandomSplit(seed=2).split(items)
    assert a == b
    assert a != c


def test_random_split_keeps_both_sides_non_empty_when_rounding() -> None:
    train, val = snb.RandomSplit(percent=99, split="train").split(make_items(3))
    assert len(train) == 2 and len(val) == 1


def test_random_split_rejects_out_of_range_percent_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="percent"):
        snb.RandomSplit(percent=100)
    with pytest.raises(ValidationError, match="split"):
        snb.RandomSplit(split="test")


def test_datasets_split_and_leakage_refused() -> None:
    train, val = snb.DatasetsSplit(train_datasets=[1], val_datasets=[2]).split(make_items(10))
    assert set(train).isdisjoint(val) and len(train) == 5 and len(val) == 5
    with pytest.raises(ValidationError, match="leakage"):
        snb.DatasetsSplit(train_datasets=[1, 2], val_datasets=[2])
    overlap = snb.DatasetsSplit(train_datasets=[1, 2], val_datasets=[2], allow_overlap=True)
    train, val = overlap.split(make_items(10))
    assert len(train) == 10 and len(val) == 5


def test_datasets_split_with_no_val_items_says_why() -> None:
    with pytest.raises(InputError, match=r"train_val_split.val.*datasets with items: \[1, 2\]"):
        snb.DatasetsSplit(train_datasets=[1], val_datasets=[7]).split(make_items(6))


def test_tags_split_untagged_actions() -> None:
    items = make_items(9)  # 3 train, 3 val, 3 untagged
    assert [len(s) for s in snb.TagsSplit(untagged_action="train").split(items)] == [6, 3]
    assert [len(s) for s in snb.TagsSplit(untagged_action="val").split(items)] == [3, 6]
    assert [len(s) for s in snb.TagsSplit(untagged_action="ignore").split(items)] == [3, 3]


def test_tags_split_item_tagged_both_is_an_error_unless_allowed() -> None:
    items = make_items(6)
    items[0]["tags"] = ["train", "val"]
    with pytest.raises(InputError, match="tagged both"):
        snb.TagsSplit().split(items)
    train, val = snb.TagsSplit(allow_overlap=True).split(items)
    assert items[0]["id"] in train and items[0]["id"] in val


def test_tags_split_with_a_renamed_tag_fails_loudly() -> None:
    # A tag that no item carries must not make the split silently do nothing.
    with pytest.raises(InputError, match=r"val_tag.*'validation'.*tags present: \['train', 'val'\]"):
        snb.TagsSplit(val_tag="validation", untagged_action="ignore").split(make_items(9))


def test_collections_split() -> None:
    train, val = snb.CollectionsSplit(train_collections=[10], val_collections=[11]).split(make_items(8))
    assert len(train) == 4 and len(val) == 4
    items = make_items(4)
    items[0]["collections"] = [10, 11]
    with pytest.raises(InputError, match="in both"):
        snb.CollectionsSplit(train_collections=[10], val_collections=[11]).split(items)


def test_items_may_be_objects_with_attributes() -> None:
    class Item:
        def __init__(self, i: int) -> None:
            self.id, self.dataset_id, self.tags, self.collections = i, 1, [], []

    train, val = snb.RandomSplit(percent=50).split([Item(i) for i in range(4)])
    assert len(train) == 2 and len(val) == 2


def test_splits_round_trip_through_json_with_their_kind() -> None:
    from pydantic import TypeAdapter

    from synapse_nb.splits import TrainValSplit

    adapter = TypeAdapter(TrainValSplit)
    for split in (
        snb.RandomSplit(percent=30, split="val", seed=5),
        snb.DatasetsSplit(train_datasets=[1], val_datasets=[2]),
        snb.TagsSplit(train_tag="a", val_tag="b", untagged_action="ignore"),
        snb.CollectionsSplit(train_collections=[1], val_collections=[2]),
    ):
        assert adapter.validate_json(adapter.dump_json(split)) == split


item_lists = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.integers(1, 10_000),
            "dataset_id": st.integers(1, 4),
            "tags": st.lists(st.sampled_from(["train", "val", "x"]), max_size=2, unique=True),
            "collections": st.lists(st.integers(1, 3), max_size=2, unique=True),
        }
    ),
    min_size=2,
    max_size=60,
    unique_by=lambda d: d["id"],
)


@settings(max_examples=150, deadline=None)
@given(items=item_lists, percent=st.integers(1, 99), side=st.sampled_from(["train", "val"]), seed=st.integers(0, 9))
def test_random_split_partitions_the_items(items: list[dict], percent: int, side: str, seed: int) -> None:
    train, val = snb.RandomSplit(percent=percent, split=side, seed=seed).split(items)
    assert set(train).isdisjoint(val)
    assert sorted(train + val) == sorted(i["id"] for i in items)
    assert train and val


@settings(max_examples=150, deadline=None)
@given(items=item_lists, action=st.sampled_from(["train", "val", "ignore"]))
def test_tags_split_never_leaks_and_covers_what_it_should(items: list[dict], action: str) -> None:
    split = snb.TagsSplit(untagged_action=action)
    try:
        train, val = split.split(items)
    except InputError:
        return  # an empty side, a missing tag, or an item tagged both: all reported, none leaked
    assert set(train).isdisjoint(val)
    ignored = {i["id"] for i in items if action == "ignore" and not {"train", "val"} & set(i["tags"])}
    assert set(train) | set(val) == {i["id"] for i in items} - ignored


def _sizes_or_error(fn) -> object:  # type: ignore[no-untyped-def]
    try:
        return fn()
    except InputError as exc:
        return ("error", exc.field, str(exc))


@settings(max_examples=150, deadline=None)
@given(
    items=st.one_of(st.just([]), item_lists),
    which=st.sampled_from(["random", "datasets", "tags", "collections"]),
    overlap=st.booleans(),
    action=st.sampled_from(["train", "val", "ignore"]),
)
def test_counting_from_cells_equals_splitting_the_items(items: list[dict], which: str, overlap: bool, action: str) -> None:
    # The backend sends only cells; sizes and errors from them must be those of split(items).
    split = {
        "random": lambda: snb.RandomSplit(percent=70, seed=1),
        "datasets": lambda: snb.DatasetsSplit(train_datasets=[1, 2], val_datasets=[2, 3] if overlap else [3],
                                              allow_overlap=overlap),
        "tags": lambda: snb.TagsSplit(untagged_action=action, allow_overlap=overlap),
        "collections": lambda: snb.CollectionsSplit(train_collections=[1], val_collections=[2], allow_overlap=overlap),
    }[which]()
    by_cells = _sizes_or_error(lambda: split.count(split.cells(items)))
    by_items = _sizes_or_error(lambda: tuple(len(side) for side in split.split(items)))
    assert by_cells == by_items


def test_cells_of_another_split_kind_are_refused() -> None:
    cells = snb.TagsSplit().cells([{"id": 1, "dataset_id": 1, "tags": ["train"]}])
    with pytest.raises(InputError, match="cells.kind"):
        snb.RandomSplit().count(cells)
