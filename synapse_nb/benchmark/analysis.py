"""Where a detector fails, and why: every section derived from one COCO matching at IoU 0.50.

:func:`~synapse_nb.benchmark.coco_eval.evaluate_detections` runs COCOeval once, reads its
per-image matches (``evalImgs``) into :class:`Match` records, and hands them here. All the
sections below come from those records, so the outcome counts, the confusion matrix's
diagonal, the per-image table and the precision/recall at the F1-optimal confidence are one
set of numbers seen from different sides:

- outcomes (TP, FP, FN) overall and per class, at the F1-optimal confidence;
- a confusion matrix (rows: ground-truth class, columns: predicted class, background last),
  whose off-diagonal cells come from a class-agnostic second pass over what COCO left
  unmatched, and the most confused class pairs;
- localization (IoU of true positives), calibration (ECE, MCE, a reliability diagram),
  the confidence profile (P, R, F1 against the threshold; TP and FP confidence histograms),
  and a per-image table that also lists every object's outcome, for the gallery.

Example:
    >>> m = [Match(image_id=1, category_id=1, score=0.9, gt_id=1, iou=0.8)]
    >>> gts = [GroundTruthObject(gt_id=1, image_id=1, category_id=1)]
    >>> outcomes_at(m, gts, threshold=0.5).overall.tp
    1
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synapse_nb.benchmark.sections import (
    Calibration,
    CalibrationBin,
    ClassOutcome,
    ConfidenceProfile,
    ConfusedPair,
    ConfusionMatrix,
    Histogram,
    ImageObject,
    ImageRow,
    Localization,
    OutcomeCounts,
    Outcomes,
)

__all__ = [
    "BACKGROUND", "CALIBRATION_BINS", "CONFUSED_PAIRS", "Calibration", "CalibrationBin", "ClassOutcome",
    "ConfidenceProfile", "ConfusedPair", "ConfusionMatrix", "GroundTruthObject", "HISTOGRAM_BINS", "Histogram",
    "ImageObject", "ImageRow", "Localization", "Match", "OutcomeCounts", "Outcomes", "PROFILE_POINTS",
    "calibration", "confidence_profile", "confusion_and_objects", "localization", "outcomes_at", "per_image",
]

BACKGROUND = "(background)"
CALIBRATION_BINS = 10
HISTOGRAM_BINS = 20
PROFILE_POINTS = 101
CONFUSED_PAIRS = 10


@dataclass(frozen=True, slots=True)
class Match:
    """One detection as COCOeval matched it at IoU 0.50 (crowd-matched detections left out).

    ``gt_id`` is the matched ground-truth object, None for a false positive; ``iou`` its IoU.
    ``det_id`` indexes the caller's detections list (so the gallery can draw the box). A
    plain dataclass: there is one per detection, and these are computed, not user input.
    """

    image_id: Any
    category_id: int
    score: float
    gt_id: int | None = None
    iou: float | None = None
    det_id: int | None = None


@dataclass(frozen=True, slots=True)
class GroundTruthObject:
    """A non-crowd ground-truth object (what recall counts)."""

    gt_id: int
    image_id: Any
    category_id: int


# -- outcomes ------------------------------------------------------------------------------------


def _kept(matches: Sequence[Match], threshold: float) -> list[Match]:
    return [m for m in matches if m.score >= threshold]


def outcomes_at(matches: Sequence[Match], gts: Sequence[GroundTruthObject], threshold: float,
                names: dict[int, str] | None = None) -> Outcomes:
    """TP, FP, FN when detections scoring at least ``threshold`` are kept.

    Example:
        >>> m = [Match(image_id=1, category_id=1, score=0.9, gt_id=None)]
        >>> outcomes_at(m, [], threshold=0.5).overall.fp
        1
    """
    names = names or {}
    kept = _kept(matches, threshold)
    matched = {m.gt_id for m in kept if m.gt_id is not None}
    tp, fp, fn = Counter[int](), Counter[int](), Counter[int]()
    for m in kept:
        (tp if m.gt_id is not None else fp)[m.category_id] += 1
    for g in gts:
        if g.gt_id not in matched:
            fn[g.category_id] += 1
    categories = list(names) or sorted(set(tp) | set(fp) | set(fn))
    per_class = [ClassOutcome(class_name=names.get(c, str(c)), category_id=c, tp=tp[c], fp=fp[c], fn=fn[c])
                 for c in categories]
    overall = OutcomeCounts(tp=sum(tp.values()), fp=sum(fp.values()), fn=sum(fn.values()))
    return Outcomes(confidence=threshold, overall=overall, per_class=per_class)


# -- confusion matrix and per-image objects -------------------------------------------------------


def confusion_and_objects(
    matches: Sequence[Match],
    gts: Sequence[GroundTruthObject],
    threshold: float,
    names: dict[int, str],
    iou_of: Callable[[Match, GroundTruthObject], float],
    iou_threshold: float = 0.5,
) -> tuple[ConfusionMatrix, dict[Any, list[ImageObject]]]:
    """The confusion matrix at ``threshold`` and every image's objects with their outcome.

    True positives are COCO's matches. What COCO left over (kept detections without a match,
    objects without one) is matched again ignoring the class, greedily by score as COCO
    does: a detection whose best remaining object (IoU >= ``iou_threshold``) is of another
    class is a misclassification; the rest are false positives on the background and missed
    objects. ``iou_of(match, gt)`` gives the IoU of a detection and an object.

    Example:
        >>> names = {1: "cat", 2: "dog"}
        >>> m = [Match(image_id=1, category_id=2, score=0.9, det_id=0)]
        >>> g = [GroundTruthObject(gt_id=1, image_id=1, category_id=1)]
        >>> cm, _ = confusion_and_objects(m, g, 0.5, names, lambda d, o: 0.9)
        >>> cm.counts  # the cat was called a dog
        [[0, 1, 0], [0, 0, 0], [0, 0, 0]]
    """
    categories = list(names)
    index = {c: i for i, c in enumerate(categories)}
    background = len(categories)
    counts = np.zeros((background + 1, background + 1), dtype=int)
    objects: dict[Any, list[ImageObject]] = defaultdict(list)
    kept = sorted(_kept(matches, threshold), key=lambda m: -m.score)
    matched = {m.gt_id for m in kept if m.gt_id is not None}
    leftover_gts: dict[Any, list[GroundTruthObject]] = defaultdict(list)
    for g in gts:
        if g.gt_id not in matched:
            leftover_gts[g.image_id].append(g)
    for m in kept:
        if m.gt_id is not None:
            counts[index[m.category_id], index[m.category_id]] += 1
            objects[m.image_id].append(ImageObject(
                outcome="tp", gt_class=names[m.category_id], predicted_class=names[m.category_id], score=m.score,
                iou=m.iou, gt_id=m.gt_id, det_id=m.det_id))
            continue
        candidates = leftover_gts.get(m.image_id, [])
        best, best_iou = None, iou_threshold
        for g in candidates:
            iou = iou_of(m, g)
            if iou >= best_iou:  # >= as COCO: an IoU of exactly the threshold matches
                best, best_iou = g, iou
        if best is None or best.category_id == m.category_id:
            # A same-class leftover can only be one COCO already refused (a duplicate's object
            # went to a better detection, or a crowd region): background either way.
            counts[background, index[m.category_id]] += 1
            objects[m.image_id].append(ImageObject(outcome="fp", predicted_class=names[m.category_id], score=m.score,
                                                   det_id=m.det_id))
            continue
        candidates.remove(best)
        counts[index[best.category_id], index[m.category_id]] += 1
        objects[m.image_id].append(ImageObject(
            outcome="misclassified", gt_class=names[best.category_id], predicted_class=names[m.category_id],
            score=m.score, iou=round(best_iou, 6), gt_id=best.gt_id, det_id=m.det_id))
    for image_id, left in leftover_gts.items():
        for g in left:
            counts[index[g.category_id], background] += 1
            objects[image_id].append(ImageObject(outcome="fn", gt_class=names[g.category_id], gt_id=g.gt_id))
    labels = [names[c] for c in categories] + [BACKGROUND]
    pairs = [ConfusedPair(actual=labels[i], predicted=labels[j], count=int(counts[i, j]))
             for i in range(background) for j in range(background) if i != j and counts[i, j] > 0]
    pairs.sort(key=lambda p: (-p.count, p.actual, p.predicted))
    on_objects = int(counts[:background, :background].sum())
    accuracy = float(np.trace(counts[:background, :background]) / on_objects) if on_objects else None
    matrix = ConfusionMatrix(classes=labels, counts=counts.tolist(), most_confused=pairs[:CONFUSED_PAIRS],
                             classification_accuracy=accuracy)
    return matrix, dict(objects)


def per_image(images: Sequence[dict[str, Any]], objects: dict[Any, list[ImageObject]]) -> list[ImageRow]:
    """One row per image (every image of the split, also those without objects or detections).

    A misclassified detection counts as one FP and its object as one FN, as in the outcomes.

    Example:
        >>> rows = per_image([{"id": 1, "file_name": "a.png"}], {1: [ImageObject(outcome="fn", gt_class="cat")]})
        >>> rows[0].fn, rows[0].recall, rows[0].precision
        (1, 0.0, None)
    """
    rows = []
    for image in images:
        items = objects.get(image["id"], [])
        kinds = Counter(o.outcome for o in items)
        tp, fp, fn = kinds["tp"], kinds["fp"] + kinds["misclassified"], kinds["fn"] + kinds["misclassified"]
        rows.append(ImageRow(
            image_id=image["id"], file_name=image.get("file_name"), tp=tp, fp=fp, fn=fn,
            precision=tp / (tp + fp) if tp + fp else None, recall=tp / (tp + fn) if tp + fn else None,
            objects=items))
    return rows


# -- localization, calibration, confidence profile ------------------------------------------------


def _histogram(values: Sequence[float], lo: float, hi: float, bins: int) -> Histogram:
    edges = np.linspace(lo, hi, bins + 1)
    counts, _ = np.histogram(np.clip(np.asarray(values, dtype=float), lo, hi), bins=edges)
    return Histogram(edges=np.round(edges, 6).tolist(), counts=counts.astype(int).tolist())


def localization(matches: Sequence[Match], threshold: float, iou_threshold: float = 0.5) -> Localization:
    """Mean IoU and IoU histogram (``iou_threshold`` to 1, 0.05 wide) of the kept true positives.

    Example:
        >>> localization([Match(image_id=1, category_id=1, score=0.9, gt_id=1, iou=0.8)], 0.5).mean_iou
        0.8
    """
    ious = [m.iou for m in _kept(matches, threshold) if m.gt_id is not None and m.iou is not None]
    bins = max(1, round((1.0 - iou_threshold) / 0.05))
    return Localization(mean_iou=round(float(np.mean(ious)), 6) if ious else None,
                        histogram=_histogram(ious, iou_threshold, 1.0, bins))


def calibration(matches: Sequence[Match], bins: int = CALIBRATION_BINS) -> Calibration:
    """Expected and maximum calibration error over every detection, in ``bins`` equal-width bins.

    Example:
        >>> c = calibration([Match(image_id=1, category_id=1, score=0.75, gt_id=1)], bins=2)
        >>> c.ece, c.mce
        (0.25, 0.25)
    """
    scores = np.array([m.score for m in matches], dtype=float)
    correct = np.array([m.gt_id is not None for m in matches], dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Bin i holds (edges[i], edges[i+1]]; a score of exactly 0 joins the first bin.
    which = np.clip(np.searchsorted(edges, scores, side="left") - 1, 0, bins - 1)
    out, ece, mce = [], 0.0, 0.0
    for i in range(bins):
        inside = which == i
        n = int(inside.sum())
        if n:
            conf, acc = float(scores[inside].mean()), float(correct[inside].mean())
            gap = abs(acc - conf)
            ece += gap * n / len(scores)
            mce = max(mce, gap)
            out.append(CalibrationBin(lower=round(edges[i], 6), upper=round(edges[i + 1], 6), count=n,
                                      mean_confidence=round(conf, 6), accuracy=round(acc, 6)))
        else:
            out.append(CalibrationBin(lower=round(edges[i], 6), upper=round(edges[i + 1], 6), count=0))
    if not len(scores):
        return Calibration(ece=None, mce=None, bins=out)
    return Calibration(ece=round(ece, 6), mce=round(mce, 6), bins=out)


def confidence_profile(matches: Sequence[Match], num_gt: int, optimum: float | None,
                       points: int = PROFILE_POINTS) -> ConfidenceProfile:
    """Precision, recall and F1 at ``points`` thresholds from 0 to 1, and TP/FP confidence histograms.

    Example:
        >>> p = confidence_profile([Match(image_id=1, category_id=1, score=0.6, gt_id=1)], 1, 0.6, points=3)
        >>> p.thresholds, p.recall
        ([0.0, 0.5, 1.0], [1.0, 1.0, 0.0])
    """
    scores = np.array([m.score for m in matches], dtype=float)
    tp = np.array([m.gt_id is not None for m in matches], dtype=bool)
    thresholds = np.round(np.linspace(0.0, 1.0, points), 6)
    precision: list[float | None] = []
    recall: list[float] = []
    f1: list[float] = []
    for t in thresholds:
        kept = scores >= t
        n_kept, n_tp = int(kept.sum()), int((kept & tp).sum())
        p = n_tp / n_kept if n_kept else None
        r = n_tp / num_gt if num_gt else 0.0
        precision.append(round(p, 6) if p is not None else None)
        recall.append(round(r, 6))
        f1.append(round(2 * p * r / (p + r), 6) if p and r else 0.0)
    return ConfidenceProfile(
        thresholds=thresholds.tolist(), precision=precision, recall=recall, f1=f1, optimum=optimum,
        tp_confidence=_histogram(scores[tp], 0.0, 1.0, HISTOGRAM_BINS),
        fp_confidence=_histogram(scores[~tp], 0.0, 1.0, HISTOGRAM_BINS),
    )
