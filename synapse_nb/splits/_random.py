"""The random split: a fixed shuffle of the item ids by a seed."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import ConfigDict, Field

from synapse_nb.errors import InputError
from synapse_nb.schemas.stats import SplitCells
from synapse_nb.splits._base import FIELD, _as_split_items, _check_sides, _SplitBase


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
