"""What every benchmark module shares: the result record and a timer.

A benchmark module is ``bench/bench_<topic>.py`` with a ``TITLE`` string, a ``DESCRIPTION``
(how it is measured, what the baseline is) and ``run(quick: bool) -> list[BenchResult]``.
Ratios compare against a baseline measured in the same run on the same data, never against
a number from another day or machine.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field


class BenchResult(BaseModel):
    """One measured quantity, with its same-run baseline and goal where there is one."""

    name: str
    value: float
    unit: str
    baseline_name: str | None = None
    baseline_value: float | None = None
    # value / baseline_value (or as defined in `notes`), and the goal it is held against.
    ratio: float | None = None
    goal: str | None = None
    met: bool | None = None
    notes: str = ""
    extra: dict[str, Any] = Field(default_factory=dict)


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Median wall-clock seconds of ``repeat`` calls of ``fn``, and the last return value."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result
