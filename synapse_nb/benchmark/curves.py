"""Precision, recall and F1 from COCO matches: the best-F1 operating point and PR curves.

Pure functions over plain arrays, so they are easy to test on their own. The inputs come
from pycocotools' own matching (``COCOeval.evalImgs``) and accumulation
(``COCOeval.eval['precision']``); nothing here matches boxes itself.

Example:
    >>> import numpy as np
    >>> point = best_f1(np.array([0.9, 0.8, 0.3]), np.array([True, True, False]), num_gt=2)
    >>> (point.precision, point.recall, point.f1, point.confidence)
    (1.0, 1.0, 1.0, 0.8)
"""

from __future__ import annotations

__all__ = ["F1Point", "MAX_CURVE_POINTS", "best_f1", "downsample", "matches_at_iou"]

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

# COCOeval's 101 recall thresholds; a curve never carries more points than this.
MAX_CURVE_POINTS = 101


class F1Point(BaseModel):
    """Precision, recall and F1 when every detection scoring at least ``confidence`` is kept.

    ``confidence`` is None when no threshold yields a true positive (no detections, or none
    of them matches), and then precision, recall and F1 are all 0.
    """

    model_config = ConfigDict(frozen=True)

    precision: float = Field(ge=0.0, le=1.0)
    recall: float = Field(ge=0.0, le=1.0)
    f1: float = Field(ge=0.0, le=1.0)
    confidence: float | None = None


def best_f1(scores: np.ndarray, is_tp: np.ndarray, num_gt: int) -> F1Point:
    """The confidence threshold with the highest F1, over every threshold a detection defines.

    ``scores`` are detection confidences, ``is_tp`` whether each detection matched a ground
    truth object, ``num_gt`` how many (non-ignored) ground-truth objects there are. A
    threshold keeps every detection scoring at least that much, so detections with equal
    scores are always kept or dropped together. On a tie in F1 the higher threshold wins.

    Example:
        >>> import numpy as np
        >>> best_f1(np.array([0.9, 0.5]), np.array([False, True]), num_gt=1).confidence
        0.5
    """
    scores = np.asarray(scores, dtype=float).ravel()
    is_tp = np.asarray(is_tp, dtype=bool).ravel()
    if scores.shape != is_tp.shape:
        raise ValueError(f"scores and is_tp differ in length: {scores.shape} vs {is_tp.shape}")
    if scores.size == 0 or num_gt <= 0 or not is_tp.any():
        return F1Point(precision=0.0, recall=0.0, f1=0.0, confidence=None)
    # mergesort: the same stable order pycocotools' accumulate uses.
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores = scores[order]
    tp = np.cumsum(is_tp[order])
    kept = np.arange(1, scores.size + 1)
    # Only the last detection of a group of equal scores is a reachable threshold.
    last_of_group = np.append(sorted_scores[1:] != sorted_scores[:-1], True)
    tp, kept, thresholds = tp[last_of_group], kept[last_of_group], sorted_scores[last_of_group]
    precision = tp / kept
    recall = tp / num_gt
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(denom), where=denom > 0)
    # First (= highest threshold) of the maxima; a tolerance so that F1s equal on paper but
    # computed along different float paths still count as a tie.
    best = int(np.flatnonzero(f1 >= f1.max() - 1e-12)[0])
    return F1Point(
        precision=float(precision[best]),
        recall=float(min(recall[best], 1.0)),
        f1=float(min(f1[best], 1.0)),
        confidence=float(thresholds[best]),
    )


def matches_at_iou(eval_imgs: Iterable[Mapping[str, Any] | None], area_range: list[float], iou_index: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """Pool pycocotools' per-image matches of every class into (scores, is_tp, num_gt).

    ``eval_imgs`` is ``COCOeval.evalImgs`` after ``evaluate()``; only the entries for
    ``area_range`` are used, at the IoU threshold with index ``iou_index`` (0 = IoU 0.5).
    Detections pycocotools ignores (matched to a crowd region, or outside the area range)
    are dropped, exactly as its ``accumulate`` drops them; each image keeps at most its
    ``maxDet`` best detections per class, as COCOeval already cut them.

    Example:
        >>> import numpy as np
        >>> entry = {"aRng": [0, 1e10], "dtScores": [0.7], "dtMatches": np.array([[5.0]]),
        ...          "dtIgnore": np.array([[0.0]]), "gtIgnore": np.array([0])}
        >>> scores, tp, n = matches_at_iou([entry, None], [0, 1e10])
        >>> scores.tolist(), tp.tolist(), n
        ([0.7], [True], 1)
    """
    all_scores: list[np.ndarray] = []
    all_tp: list[np.ndarray] = []
    num_gt = 0
    for entry in eval_imgs:
        if entry is None or list(entry["aRng"]) != list(area_range):
            continue
        scores = np.asarray(entry["dtScores"], dtype=float)
        matched = np.asarray(entry["dtMatches"])[iou_index] > 0 if scores.size else np.zeros(0, dtype=bool)
        ignored = np.asarray(entry["dtIgnore"])[iou_index].astype(bool) if scores.size else np.zeros(0, dtype=bool)
        all_scores.append(scores[~ignored])
        all_tp.append(matched[~ignored])
        num_gt += int(np.count_nonzero(np.asarray(entry["gtIgnore"]) == 0))
    if not all_scores:
        return np.zeros(0), np.zeros(0, dtype=bool), num_gt
    return np.concatenate(all_scores), np.concatenate(all_tp), num_gt


def downsample(recall: np.ndarray, precision: np.ndarray, max_points: int = MAX_CURVE_POINTS) -> tuple[list[float], list[float]]:
    """Keep at most ``max_points`` evenly spaced points of a curve, always the first and last.

    Example:
        >>> import numpy as np
        >>> r, p = downsample(np.linspace(0, 1, 9), np.ones(9), max_points=5)
        >>> r
        [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    recall = np.asarray(recall, dtype=float).ravel()
    precision = np.asarray(precision, dtype=float).ravel()
    if recall.shape != precision.shape:
        raise ValueError(f"recall and precision differ in length: {recall.shape} vs {precision.shape}")
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    if recall.size > max_points:
        index = np.unique(np.round(np.linspace(0, recall.size - 1, max_points)).astype(int))
        recall, precision = recall[index], precision[index]
    return recall.tolist(), precision.tolist()
