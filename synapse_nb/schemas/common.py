"""Paging and small shared types."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

# Names users type (projects, classes, datasets, experiments): printable, bounded.
NAME_PATTERN = r"^[^\x00-\x1f/\\]{1,200}$"


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items`` from ``offset``, ``total`` records in all.

    Example:
        >>> Page[int](items=[1, 2], total=5, offset=0, limit=2).has_more
        True
    """

    items: list[T]
    total: int = Field(ge=0)
    offset: int = Field(ge=0)
    limit: int = Field(ge=1)

    @property
    def has_more(self) -> bool:
        """Whether records remain after this page."""
        return self.offset + len(self.items) < self.total
