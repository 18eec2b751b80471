"""Paging and small shared types."""

from __future__ import annotations

__all__ = ["NAME_PATTERN", "Page"]

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

# Names users type (projects, classes, datasets, experiments): printable, bounded.
NAME_PATTERN = r"^[^\x00-\x1f/\\]{1,200}$"


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items`` from ``offset``, ``total`` records in all.

    A page iterates over its items and its ``len()`` is theirs (``list(api.task.list())``
    is a list of tasks); ``total`` counts every record, on every page.

    Example:
        >>> page = Page[int](items=[1, 2], total=5, offset=0, limit=2)
        >>> page.has_more, list(page), len(page), page[0]
        (True, [1, 2], 2, 1)
    """

    items: list[T]
    total: int = Field(ge=0)
    offset: int = Field(ge=0)
    limit: int = Field(ge=1)

    @property
    def has_more(self) -> bool:
        """Whether records remain after this page."""
        return self.offset + len(self.items) < self.total

    # A page is read as the list it holds; pydantic's own iteration over (field, value)
    # pairs is still there as ``model_dump()`` / ``iter(page.__dict__.items())``.
    def __iter__(self) -> Iterator[T]:  # type: ignore[override]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:
        return self.items[index]
