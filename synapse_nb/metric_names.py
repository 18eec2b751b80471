"""Metric names as users give them: ours (``val/mAP50-95``, plain ``mAP50-95``) or
ultralytics' own (``metrics/mAP50-95(B)``, the ``(M)`` mask forms, ``fitness``, the loss
names), resolved to the name a table or figure actually has.

Example:
    >>> resolve_metric("metrics/mAP50-95(B)", ["trial_id", "mAP50-95"])
    'mAP50-95'
    >>> resolve_metric("metrics/recall(M)", ["val/mask_recall"])
    'val/mask_recall'
    >>> resolve_metric("accuracy", ["accuracy"])
    'accuracy'
"""

from __future__ import annotations

__all__ = ["metric_candidates", "resolve_metric"]

from collections.abc import Iterable


def metric_candidates(name: str) -> list[str]:
    """The names ``name`` may stand for, most specific first.

    Example:
        >>> metric_candidates("metrics/mAP50(B)")
        ['metrics/mAP50(B)', 'val/mAP50', 'mAP50']
    """
    from synapse_nb.frameworks.ultralytics_yolo.autolog import canonical_metric

    ours = canonical_metric(name)
    names = [name, ours]
    category, sep, key = ours.partition("/")
    if sep and category in ("train", "val"):
        names.append(key)  # tables show validation metrics plainly; metric frames keep the key alone
    return list(dict.fromkeys(names))


def resolve_metric(name: str, available: Iterable[str]) -> str:
    """The first of :func:`metric_candidates` among ``available``; ``name`` when none is
    (the caller then says the metric is missing, in its own words)."""
    present = set(map(str, available))
    return next((candidate for candidate in metric_candidates(name) if candidate in present), name)
