"""What every split shares: the item fields a split reads, the checks on its two sides,
and the base class with its cells and code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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
