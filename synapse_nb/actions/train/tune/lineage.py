"""Which search a tuning task continues: its own, a retried one, or an extended one.

Tasks form chains through ``retry_of``. A plain retry (same ``num_samples``) resumes the
Ray Tune experiment of the task it retries; an extension (``task.extend(n)``: more samples)
starts a new experiment that keeps the trials of the search it extends. Following the
chain back gives:

* ``root``: the first task of the chain; every attempt works in its folder;
* ``origin``: the task whose experiment this attempt runs or restores (the latest task of
  the chain that was not a plain retry);
* ``extends``: the finished search whose trials ``origin`` adds to (None for a new search);
* ``attempts``: the tasks from ``origin`` to this one, whose trial models all belong to
  this experiment.

Example:
    >>> SearchLineage(root=1, origin=3, extends=2, attempts=[3, 4]).restoring
    True
"""

from __future__ import annotations

__all__ = ["SearchLineage", "search_lineage"]

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SearchLineage:
    """Where a tuning task sits in its chain of retries and extensions (task ids)."""

    root: int
    origin: int
    extends: int | None = None
    attempts: list[int] = field(default_factory=list)

    @property
    def restoring(self) -> bool:
        """Whether this task continues an experiment an earlier attempt started."""
        return len(self.attempts) > 1

    @property
    def experiment(self) -> str:
        """The Ray Tune experiment's folder name (one per origin)."""
        return f"search-{self.origin}"


def _num_samples(record: Any) -> int:
    from synapse_nb.actions.runner import task_state

    config = task_state(record).tune_config
    return config.num_samples if config is not None else 1


def search_lineage(api: Any, record: Any) -> SearchLineage:
    """Follow ``record``'s ``retry_of`` chain on the backend."""
    attempts = [record.id]
    current = record
    origin: int | None = None
    extends: int | None = None
    while current.retry_of:
        previous = api.task.record(current.retry_of)
        if origin is None and _num_samples(current) > _num_samples(previous):
            origin, extends = current.id, previous.id
        if origin is None:
            attempts.insert(0, previous.id)
        current = previous
    return SearchLineage(root=current.id, origin=origin if origin is not None else current.id, extends=extends,
                         attempts=attempts)
