"""The one place that looks inside Ray's trial session, and why.

A trial of ours must see the reports a plugin makes itself with ``ray.tune.report(...)``:
to check each for the tune metric (Ray would otherwise end the whole search over one bad
trial) and to keep the last as the trial's result when the plugin returns nothing. Ray has
no public hook for that inside a trial (its ``tune.Callback`` runs on the driver, after
Ray's own metric check), but it routes every ``ray.tune.report`` through the trial's
session object. While :func:`observing_reports` is open, that session's ``report`` first
hands the metrics to an observer, then does what it did. ``tests/test_library_workarounds.py``
fails as soon as Ray routes reports another way; this module then has to change, and
nothing else does.

Example:
    >>> with observing_reports(print) as observing:   # outside a trial: nothing to observe
    ...     observing
    False
"""

from __future__ import annotations

__all__ = ["observing_reports"]

import contextlib
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def observing_reports(observe: Callable[[dict[str, Any]], None]) -> Iterator[bool]:
    """While open, every ``ray.tune.report(metrics, ...)`` in this trial calls
    ``observe(metrics)`` first (an exception there fails the report, hence the trial).
    Yields whether reports are observed: False outside a trial, or with a Ray whose
    session lives elsewhere (then a plugin reports through ``run.tune_reporter``)."""
    try:
        from ray.train._internal.session import get_session
    except ImportError:
        yield False
        return
    session = get_session()
    if session is None:
        yield False
        return
    original = session.report

    def report(metrics: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        observe(metrics)
        return original(metrics, *args, **kwargs)

    session.report = report
    try:
        yield True
    finally:
        session.report = original
