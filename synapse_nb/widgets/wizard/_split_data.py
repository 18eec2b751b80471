"""How each class falls on each side of a train/val split, and the warnings a bad split earns.

Example:
    >>> counts = pd.DataFrame({"train": [8, 4, 4], "val": [2, 1, 0]}, index=["square", "circle", "star"])
    >>> split_warnings(counts)
    ['star has no objects in val']
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

# Beyond this gap between a class's share of the objects on the train side and on the val
# side, the val score no longer measures what training saw (e.g. 40% of train, 10% of val).
MAX_SHARE_GAP = 0.15


def split_class_counts(items: Iterable[object], train_ids: Iterable[int], val_ids: Iterable[int],
                       classes: Iterable[str]) -> pd.DataFrame:
    """Objects of each class on each side: index the classes (in the given order), columns
    ``train`` and ``val``. An item on both sides counts on both.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> items = [NS(id=1, objects=[NS(class_name="a"), NS(class_name="b")]), NS(id=2, objects=[NS(class_name="a")])]
        >>> split_class_counts(items, [1], [2], ["a", "b"]).to_dict("index")
        {'a': {'train': 1, 'val': 1}, 'b': {'train': 1, 'val': 0}}
    """
    names = list(classes)
    train, val = set(train_ids), set(val_ids)
    counts = {name: {"train": 0, "val": 0} for name in names}
    for item in items:
        sides = [side for side, ids in (("train", train), ("val", val)) if item.id in ids]
        if not sides:
            continue
        for obj in item.objects:
            row = counts.get(obj.class_name)
            if row is None:
                continue  # a class left out in the classes step
            for side in sides:
                row[side] += 1
    frame = pd.DataFrame.from_dict(counts, orient="index", columns=["train", "val"]).reindex(names)
    frame.index.name = "class"
    return frame.fillna(0).astype(int)


def class_count_frame(train: dict[str, int], val: dict[str, int], classes: Iterable[str]) -> pd.DataFrame:
    """The per-class table from counts per side (as the backend returns them): index the
    classes (in the given order, a class on neither side 0), columns ``train`` and ``val``.

    Example:
        >>> class_count_frame({"a": 2}, {"a": 1, "b": 4}, ["a", "b"]).to_dict("index")
        {'a': {'train': 2, 'val': 1}, 'b': {'train': 0, 'val': 4}}
    """
    names = list(classes)
    frame = pd.DataFrame({"train": [int(train.get(n, 0)) for n in names], "val": [int(val.get(n, 0)) for n in names]},
                         index=pd.Index(names, name="class"))
    return frame.astype(int)


def split_warnings(counts: pd.DataFrame, max_share_gap: float = MAX_SHARE_GAP) -> list[str]:
    """What is wrong with the split for training: a class with objects on one side and none
    on the other, or a class whose share of the objects differs between the sides by more
    than ``max_share_gap`` (a fraction; shares among the classes present on both sides).

    Example:
        >>> c = pd.DataFrame({"train": [50, 50], "val": [45, 5]}, index=["a", "b"])
        >>> split_warnings(c)[1]
        'b is 50% of the train objects but 10% of the val objects (more than 15 points apart)'
        >>> split_warnings(c, max_share_gap=0.5)
        []
    """
    found: list[str] = []
    # Shares among the classes present on both sides: a missing class is warned about on its
    # own and would otherwise shift every other class's share.
    both = counts[(counts["train"] > 0) & (counts["val"] > 0)]
    totals = {side: int(both[side].sum()) for side in ("train", "val")}
    for name, row in counts.iterrows():
        n_train, n_val = int(row["train"]), int(row["val"])
        if n_train == 0 and n_val == 0:
            continue
        if n_train == 0 or n_val == 0:
            found.append(f"{name} has no objects in {'train' if n_train == 0 else 'val'}")
            continue
        share_train, share_val = n_train / totals["train"], n_val / totals["val"]
        if abs(share_train - share_val) > max_share_gap:
            found.append(f"{name} is {share_train:.0%} of the train objects but {share_val:.0%} of the val "
                         f"objects (more than {max_share_gap * 100:.0f} points apart)")
    return found
