"""Splits by what items belong to: their dataset, their tags, their collections. An item
that would land on both sides is leakage, an error unless ``allow_overlap``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field, model_validator

from synapse_nb.errors import InputError
from synapse_nb.schemas.stats import SplitCells
from synapse_nb.splits._base import FIELD, _as_split_items, _check_counts, _check_sides, _SplitBase


def _refuse_shared(kind: str, train: list[int], val: list[int], allow_overlap: bool) -> None:
    """A group named on both sides is train/val leakage: refused unless ``allow_overlap``."""
    both = sorted(set(train) & set(val))
    if both and not allow_overlap:
        raise ValueError(f"{kind} {both} are on both the train and the val side (train/val leakage); "
                         "pass allow_overlap=True if that is intended")


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
        _refuse_shared("datasets", self.train_datasets, self.val_datasets, self.allow_overlap)
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
        _refuse_shared("collections", self.train_collections, self.val_collections, self.allow_overlap)
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
