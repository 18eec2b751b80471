"""Train/val splits: Random, Datasets, Tags and Collections.

Every split is a pure, deterministic function of the items it is given:
``split.split(items) -> (train_ids, val_ids)``. Items carry ``id``, ``dataset_id``,
``tags`` and ``collections`` (dicts, pydantic models or any object with those attributes).

Unlike the tools our users come from, a split never silently leaks: an item or dataset that
would land on both sides is an error unless ``allow_overlap=True``, an empty side is an
error that says why, and a tag that no item carries is an error that lists the tags present.

Example:
    >>> items = [{"id": i, "dataset_id": 1, "tags": [], "collections": []} for i in range(10)]
    >>> train, val = RandomSplit(percent=80, split="train", seed=0).split(items)
    >>> len(train), len(val)
    (8, 2)
"""

from __future__ import annotations

__all__ = [
    "CollectionsSplit", "DatasetsSplit", "FIELD", "RandomSplit", "SPLIT_KINDS", "SplitItem", "TagsSplit",
    "TrainValSplit", "split_counts",
]

import random
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from synapse_nb.errors import InputError
from synapse_nb.schemas.stats import SplitCells

FIELD = "train_val_split"


class SplitItem(BaseModel):
    """The part of an item a split looks at."""

    model_config = ConfigDict(extra="ignore", from_attributes=True)

    id: int
    dataset_id: int
    tags: list[str] = Field(default_factory=list)
    collections: list[int] = Field(default_factory=list)


def _as_split_items(items: Iterable[Any]) -> list[SplitItem]:
    result = []
    for item in items:
        if isinstance(item, SplitItem):
            result.append(item)
        elif isinstance(item, dict):
            result.append(SplitItem.model_validate(item))
        else:
            result.append(SplitItem.model_validate(item, from_attributes=True))
    return result


def _check_sides(kind: str, train: list[int], val: list[int], total: int, why: str) -> tuple[list[int], list[int]]:
    if not train:
        raise InputError(f"{FIELD}.train", f"at least one train item from the {kind} split", got=0, hint=why)
    if not val:
        raise InputError(f"{FIELD}.val", f"at least one val item from the {kind} split", got=0, hint=why)
    return sorted(train), sorted(val)


def _check_counts(kind: str, n_train: int, n_val: int, why: str) -> tuple[int, int]:
    """:func:`_check_sides` on sizes: the same errors, without the ids."""
    if not n_train:
        raise InputError(f"{FIELD}.train", f"at least one train item from the {kind} split", got=0, hint=why)
    if not n_val:
        raise InputError(f"{FIELD}.val", f"at least one val item from the {kind} split", got=0, hint=why)
    return n_train, n_val


class _SplitBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def split(self, items: Iterable[Any]) -> tuple[list[int], list[int]]:  # pragma: no cover
        """Split ``items`` into sorted ``(train_ids, val_ids)``."""
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover
        """A one-line summary for people."""
        raise NotImplementedError

    def cells(self, items: Iterable[Any]) -> SplitCells:  # pragma: no cover
        """How this split sorts ``items`` (the backend computes the same in SQL)."""
        raise NotImplementedError

    def count(self, cells: SplitCells) -> tuple[int, int]:  # pragma: no cover
        """``(n_train, n_val)`` from the cells, with the same checks and errors as :meth:`split`."""
        raise NotImplementedError

    def _cells_of(self, kind: str, flags: Iterable[tuple[int, bool, bool]], present: list[Any]) -> SplitCells:
        """Cells from ``(id, in_train, in_val)`` of every item."""
        counts = {"train": 0, "val": 0, "both": 0, "neither": 0}
        both_ids: list[int] = []
        for item_id, in_train, in_val in flags:
            cell = "both" if in_train and in_val else "train" if in_train else "val" if in_val else "neither"
            counts[cell] += 1
            if cell == "both":
                both_ids.append(item_id)
        return SplitCells(kind=kind, total=sum(counts.values()), both_ids=sorted(both_ids)[:10],  # type: ignore[arg-type]
                          present=present, **counts)

    def _check_kind(self, cells: SplitCells, kind: str) -> None:
        if cells.kind != kind:
            raise InputError("cells.kind", f"cells of a {kind} split", got=cells.kind)

    def to_code(self) -> str:
        """Python source that builds this split, e.g. ``snb.RandomSplit(percent=80, ...)``."""
        args = ", ".join(
            f"{name}={value!r}"
            for name, value in self.model_dump(exclude={"kind"}).items()
            if value != type(self).model_fields[name].get_default(call_default_factory=True)
        )
        return f"snb.{type(self).__name__}({args})"


class RandomSplit(_SplitBase):
    """Random split. ``percent`` belongs to the side named by ``split``.

    ``RandomSplit(percent=80, split="train")`` puts 80 % of the items in train;
    ``RandomSplit(percent=20, split="val")`` is the same split. The order is a fixed shuffle
    of the item ids by ``seed``, so the same project and seed always give the same split.

    Example:
        >>> RandomSplit(percent=25, split="val").describe()
        'random: 75% train / 25% val (seed 0)'
    """

    kind: Literal["random"] = "random"
    percent: int = Field(default=80, ge=1, le=99, description="percent of items on the side named by `split`")
    split_side: Literal["train", "val"] = Field(default="train", alias="split")
    seed: int = 0

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)

    @property
    def train_percent(self) -> int:
        """Percent of items that go to train."""
        return self.percent if self.split_side == "train" else 100 - self.percent

    def split(self, items: Iterable[Any]) -> tuple[list[int], list[int]]:
        """Shuffle the ids with ``seed`` and cut at ``train_percent``."""
        ids = sorted({item.id for item in _as_split_items(items)})
        n_train = self._n_train(len(ids))  # never an empty side from rounding
        random.Random(self.seed).shuffle(ids)
        return _check_sides("random", ids[:n_train], ids[n_train:], len(ids), "")

    def _n_train(self, total: int) -> int:
        if total < 2:
            raise InputError(FIELD, "at least 2 items for a random split", got=total)
        n_train = round(total * self.train_percent / 100)
        return min(max(n_train, 1), total - 1)

    def cells(self, items: Iterable[Any]) -> SplitCells:
        return SplitCells(kind="random", total=len({item.id for item in _as_split_items(items)}))

    def count(self, cells: SplitCells) -> tuple[int, int]:
        """``(n_train, n_val)`` from the item count alone.

        Example:
            >>> RandomSplit(percent=80).count(SplitCells(kind="random", total=10))
            (8, 2)
        """
        self._check_kind(cells, "random")
        n_train = self._n_train(cells.total)
        return n_train, cells.total - n_train

    def describe(self) -> str:
        train = self.train_percent
        return f"random: {train:g}% train / {100 - train:g}% val (seed {self.seed})"

    def to_code(self) -> str:
        return f"snb.RandomSplit(percent={self.percent!r}, split={self.split_side!r}, seed={self.seed!r})"


class DatasetsSplit(_SplitBase):
    """Split by dataset ids: items of ``train_datasets`` train, of ``val_datasets`` validate.

    A dataset on both sides is train/val leakage and an error unless ``allow_overlap``.

    Example:
        >>> DatasetsSplit(train_datasets=[1], val_datasets=[2]).describe()
        'datasets: train [1] / val [2]'
    """

    kind: Literal["datasets"] = "datasets"
    train_datasets: list[int] = Field(min_length=1)
    val_datasets: list[int] = Field(min_length=1)
    allow_overlap: bool = False

    @model_validator(mode="after")
    def _no_leak(self) -> DatasetsSplit:
        both = sorted(set(self.train_datasets) & set(self.val_datasets))
        if both and not self.allow_overlap:
            raise ValueError(
                f"datasets {both} are on both the train and the val side (train/val leakage); "
                "pass allow_overlap=True if that is intended"
            )
        return self

    def split(self, items: Iterable[Any]) -> tuple[list[int], list[int]]:
        parsed = _as_split_items(items)
        present = sorted({i.dataset_id for i in parsed})
        train = [i.id for i in parsed if i.dataset_id in self.train_datasets]
        val = [i.id for i in parsed if i.dataset_id in self.val_datasets]
        return _check_sides("datasets", train, val, len(parsed), f"datasets with items: {present}")

    def cells(self, items: Iterable[Any]) -> SplitCells:
        parsed = _as_split_items(items)
        train, val = set(self.train_datasets), set(self.val_datasets)
        return self._cells_of("datasets", ((i.id, i.dataset_id in train, i.dataset_id in val) for i in parsed),
                              sorted({i.dataset_id for i in parsed}))

    def count(self, cells: SplitCells) -> tuple[int, int]:
        """``(n_train, n_val)``; a dataset on both sides (``allow_overlap``) counts on both.

        Example:
            >>> DatasetsSplit(train_datasets=[1], val_datasets=[2]).count(
            ...     SplitCells(kind="datasets", total=5, train=3, val=2, present=[1, 2]))
            (3, 2)
        """
        self._check_kind(cells, "datasets")
        return _check_counts("datasets", cells.train + cells.both, cells.val + cells.both,
                             f"datasets with items: {cells.present}")

    def describe(self) -> str:
        return f"datasets: train {self.train_datasets} / val {self.val_datasets}"


class TagsSplit(_SplitBase):
    """Split by item tags. Untagged items go to ``untagged_action`` ("train", "val", "ignore").

    An item tagged both ``train_tag`` and ``val_tag`` is an error unless ``allow_overlap``
    (then it is on both sides). A tag that no item carries is an error listing the tags that
    are present, so a renamed tag can't make the split silently do nothing.

    Example:
        >>> TagsSplit(train_tag="train", val_tag="val", untagged_action="ignore").describe()
        "tags: 'train' -> train, 'val' -> val, untagged ignored"
    """

    kind: Literal["tags"] = "tags"
    train_tag: str = Field(default="train", min_length=1)
    val_tag: str = Field(default="val", min_length=1)
    untagged_action: Literal["train", "val", "ignore"] = "train"
    allow_overlap: bool = False

    @model_validator(mode="after")
    def _distinct(self) -> TagsSplit:
        if self.train_tag == self.val_tag:
            raise ValueError(f"train_tag and val_tag must differ, both are {self.train_tag!r}")
        return self

    def split(self, items: Iterable[Any]) -> tuple[list[int], list[int]]:
        parsed = _as_split_items(items)
        present = sorted({t for i in parsed for t in i.tags})
        for side, tag, filled_by_untagged in (
            ("train_tag", self.train_tag, self.untagged_action == "train"),
            ("val_tag", self.val_tag, self.untagged_action == "val"),
        ):
            # A side that only its tag can fill must find that tag on some item.
            if tag not in present and not filled_by_untagged:
                raise InputError(f"{FIELD}.{side}", "a tag that items carry", got=tag, hint=f"tags present: {present}")
        train: list[int] = []
        val: list[int] = []
        both: list[int] = []
        for item in parsed:
            in_train = self.train_tag in item.tags
            in_val = self.val_tag in item.tags
            if in_train and in_val:
                both.append(item.id)
                if not self.allow_overlap:
                    continue
            if in_train:
                train.append(item.id)
            if in_val:
                val.append(item.id)
            if not in_train and not in_val:
                if self.untagged_action == "train":
                    train.append(item.id)
                elif self.untagged_action == "val":
                    val.append(item.id)
        if both and not self.allow_overlap:
            raise InputError(
                FIELD,
                f"each item tagged at most one of {self.train_tag!r} and {self.val_tag!r}",
                got=f"{len(both)} items tagged both (ids {sorted(both)[:10]})",
                hint="untag them, or pass allow_overlap=True to use them on both sides",
            )
        return _check_sides("tags", train, val, len(parsed), f"tags present: {present}")

    def cells(self, items: Iterable[Any]) -> SplitCells:
        parsed = _as_split_items(items)
        return self._cells_of("tags", ((i.id, self.train_tag in i.tags, self.val_tag in i.tags) for i in parsed),
                              sorted({t for i in parsed for t in i.tags}))

    def count(self, cells: SplitCells) -> tuple[int, int]:
        """``(n_train, n_val)`` with the checks of :meth:`split`: each tag carried, no item
        tagged both (unless ``allow_overlap``), no empty side.

        Example:
            >>> TagsSplit(untagged_action="val").count(
            ...     SplitCells(kind="tags", total=10, train=6, val=3, neither=1, present=["train", "val"]))
            (6, 4)
        """
        self._check_kind(cells, "tags")
        present = cells.present
        for side, tag, filled_by_untagged in (
            ("train_tag", self.train_tag, self.untagged_action == "train"),
            ("val_tag", self.val_tag, self.untagged_action == "val"),
        ):
            if tag not in present and not filled_by_untagged:
                raise InputError(f"{FIELD}.{side}", "a tag that items carry", got=tag, hint=f"tags present: {present}")
        if cells.both and not self.allow_overlap:
            raise InputError(
                FIELD,
                f"each item tagged at most one of {self.train_tag!r} and {self.val_tag!r}",
                got=f"{cells.both} items tagged both (ids {cells.both_ids})",
                hint="untag them, or pass allow_overlap=True to use them on both sides",
            )
        both = cells.both if self.allow_overlap else 0
        n_train = cells.train + both + (cells.neither if self.untagged_action == "train" else 0)
        n_val = cells.val + both + (cells.neither if self.untagged_action == "val" else 0)
        return _check_counts("tags", n_train, n_val, f"tags present: {present}")

    def describe(self) -> str:
        untagged = "ignored" if self.untagged_action == "ignore" else f"-> {self.untagged_action}"
        return f"tags: {self.train_tag!r} -> train, {self.val_tag!r} -> val, untagged {untagged}"


class CollectionsSplit(_SplitBase):
    """Split by collection ids: items in ``train_collections`` train, in ``val_collections``
    validate. An item in both is an error unless ``allow_overlap``.

    Example:
        >>> CollectionsSplit(train_collections=[1], val_collections=[2]).describe()
        'collections: train [1] / val [2]'
    """

    kind: Literal["collections"] = "collections"
    train_collections: list[int] = Field(min_length=1)
    val_collections: list[int] = Field(min_length=1)
    allow_overlap: bool = False

    @model_validator(mode="after")
    def _no_shared(self) -> CollectionsSplit:
        both = sorted(set(self.train_collections) & set(self.val_collections))
        if both and not self.allow_overlap:
            raise ValueError(f"collections {both} are on both sides (train/val leakage); pass allow_overlap=True if intended")
        return self

    def split(self, items: Iterable[Any]) -> tuple[list[int], list[int]]:
        parsed = _as_split_items(items)
        present = sorted({c for i in parsed for c in i.collections})
        train_set, val_set = set(self.train_collections), set(self.val_collections)
        train, val, both = [], [], []
        for item in parsed:
            cols = set(item.collections)
            in_train, in_val = bool(cols & train_set), bool(cols & val_set)
            if in_train and in_val:
                both.append(item.id)
                if not self.allow_overlap:
                    continue
            if in_train:
                train.append(item.id)
            if in_val:
                val.append(item.id)
        if both and not self.allow_overlap:
            raise InputError(
                FIELD,
                "each item in a train collection or a val collection, not both",
                got=f"{len(both)} items in both (ids {sorted(both)[:10]})",
                hint="pass allow_overlap=True to use them on both sides",
            )
        return _check_sides("collections", train, val, len(parsed), f"collections with items: {present}")

    def cells(self, items: Iterable[Any]) -> SplitCells:
        parsed = _as_split_items(items)
        train, val = set(self.train_collections), set(self.val_collections)
        return self._cells_of(
            "collections", ((i.id, bool(set(i.collections) & train), bool(set(i.collections) & val)) for i in parsed),
            sorted({c for i in parsed for c in i.collections}))

    def count(self, cells: SplitCells) -> tuple[int, int]:
        """``(n_train, n_val)`` with the checks of :meth:`split`.

        Example:
            >>> CollectionsSplit(train_collections=[1], val_collections=[2]).count(
            ...     SplitCells(kind="collections", total=9, train=4, val=2, neither=3, present=[1, 2]))
            (4, 2)
        """
        self._check_kind(cells, "collections")
        if cells.both and not self.allow_overlap:
            raise InputError(
                FIELD,
                "each item in a train collection or a val collection, not both",
                got=f"{cells.both} items in both (ids {cells.both_ids})",
                hint="pass allow_overlap=True to use them on both sides",
            )
        both = cells.both if self.allow_overlap else 0
        return _check_counts("collections", cells.train + both, cells.val + both,
                             f"collections with items: {cells.present}")

    def describe(self) -> str:
        return f"collections: train {self.train_collections} / val {self.val_collections}"


TrainValSplit = Annotated[RandomSplit | DatasetsSplit | TagsSplit | CollectionsSplit, Field(discriminator="kind")]
"""Any of the four split kinds; JSON carries ``kind`` to tell them apart."""

SPLIT_KINDS: dict[str, type[_SplitBase]] = {
    "random": RandomSplit,
    "datasets": DatasetsSplit,
    "tags": TagsSplit,
    "collections": CollectionsSplit,
}


def split_counts(split: _SplitBase, items: Sequence[Any]) -> tuple[int, int]:
    """``(n_train, n_val)`` for live counts in the wizard; raises like :meth:`split`."""
    train, val = split.split(items)
    return len(train), len(val)
