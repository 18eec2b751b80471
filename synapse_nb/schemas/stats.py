"""Counts the backend aggregates over a project's items, so no client lists every item.

``ProjectStats`` holds the counts per class, tag, dataset and collection; ``SplitCells`` the
four cells a train/val split sorts items into (train only, val only, both, neither). The
backend computes both in SQL; :meth:`synapse_nb.splits.RandomSplit.count` and its siblings
turn the cells into train/val sizes with the same checks as ``split(items)``.

Example:
    >>> cells = SplitCells(kind="tags", total=10, train=6, val=3, both=0, neither=1, present=["train", "val"])
    >>> cells.train + cells.val + cells.both + cells.neither == cells.total
    True
"""

from __future__ import annotations

__all__ = ["ClassCount", "ProjectStats", "SplitCells", "SplitClassCounts"]

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ClassCount(BaseModel):
    """How often one class occurs: its objects, and the items holding at least one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    objects: int = Field(ge=0)
    items: int = Field(ge=0)


class ProjectStats(BaseModel):
    """A project's item counts, aggregated where the items are.

    ``classes`` has every class found on objects (meta or not), ``tags`` every tag found on
    items; a class or tag no item uses is absent. ``unlabeled`` counts items without objects,
    ``untagged`` items without tags.

    Example:
        >>> ProjectStats(project_id=1, content_version=3, item_count=2, datasets={1: 2}).datasets[1]
        2
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_id: int
    content_version: int = 0
    item_count: int = Field(ge=0)
    unlabeled: int = Field(default=0, ge=0)
    untagged: int = Field(default=0, ge=0)
    classes: dict[str, ClassCount] = Field(default_factory=dict)
    tags: dict[str, int] = Field(default_factory=dict, description="items per tag")
    datasets: dict[int, int] = Field(default_factory=dict, description="items per dataset id")
    collections: dict[int, int] = Field(default_factory=dict, description="items per collection id")


class SplitCells(BaseModel):
    """The items of a project as one split sorts them: ``train`` only, ``val`` only, on
    ``both`` sides, or on ``neither`` (untagged, or outside the chosen datasets/collections).

    For a random split only ``total`` matters. ``present`` lists what the split kind could
    have chosen from (dataset ids, tags or collection ids that items carry), ``both_ids`` the
    first ten items on both sides, for the error that names them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["random", "datasets", "tags", "collections"]
    total: int = Field(ge=0)
    train: int = Field(default=0, ge=0)
    val: int = Field(default=0, ge=0)
    both: int = Field(default=0, ge=0)
    neither: int = Field(default=0, ge=0)
    both_ids: list[int] = Field(default_factory=list, max_length=10)
    present: list[int | str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _adds_up(self) -> SplitCells:
        if self.kind != "random" and self.train + self.val + self.both + self.neither != self.total:
            raise ValueError(
                f"cells train {self.train} + val {self.val} + both {self.both} + neither {self.neither} "
                f"must add up to total {self.total}"
            )
        return self


class SplitClassCounts(BaseModel):
    """Objects of each class on each side of a split (an item on both sides counts on both),
    counted by the backend: the wizard's per-class split chart at any project size.

    Example:
        >>> SplitClassCounts(train={"square": 12}, val={"square": 3}).val["square"]
        3
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    train: dict[str, int] = Field(default_factory=dict)
    val: dict[str, int] = Field(default_factory=dict)
