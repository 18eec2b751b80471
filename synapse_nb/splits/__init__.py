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

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field

from synapse_nb.splits._base import FIELD, SplitItem, _SplitBase
from synapse_nb.splits._groups import CollectionsSplit, DatasetsSplit, TagsSplit
from synapse_nb.splits._random import RandomSplit

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
