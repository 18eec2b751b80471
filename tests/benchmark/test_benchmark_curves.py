"""best_f1 and downsample: properties checked against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_nb.benchmark.curves import best_f1, downsample

# Scores from a small set, so ties between detections are common.
detections = st.lists(st.tuples(st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9, 1.0]), st.booleans()), max_size=30)


def _f1_at(threshold: float, scores: np.ndarray, is_tp: np.ndarray, num_gt: int) -> float:
    kept = scores >= threshold
    tp = int(is_tp[kept].sum())
    if tp == 0:
        return 0.0
    precision, recall = tp / int(kept.sum()), tp / num_gt
    return 2 * precision * recall / (precision + recall)


@given(detections, st.integers(min_value=0, max_value=10))
def test_best_f1_is_the_best_reachable_threshold(dets, extra_gt):
    scores = np.array([s for s, _ in dets], dtype=float)
    is_tp = np.array([t for _, t in dets], dtype=bool)
    num_gt = int(is_tp.sum()) + extra_gt  # never fewer objects than matches

    point = best_f1(scores, is_tp, num_gt)

    f1_by_threshold = {float(s): _f1_at(s, scores, is_tp, num_gt) for s in set(scores.tolist())}
    best = max(f1_by_threshold.values(), default=0.0)
    if best == 0.0:
        assert point.confidence is None
        assert (point.precision, point.recall, point.f1) == (0.0, 0.0, 0.0)
        return
    assert point.f1 == pytest.approx(best)
    assert point.confidence in f1_by_threshold
    assert f1_by_threshold[point.confidence] == pytest.approx(best)
    # on a tie the highest threshold wins
    assert point.confidence == max(s for s, f in f1_by_threshold.items() if f == pytest.approx(best))
    kept = scores >= point.confidence
    assert point.precision == pytest.approx(is_tp[kept].sum() / kept.sum())
    assert point.recall == pytest.approx(is_tp[kept].sum() / num_gt)


def test_best_f1_keeps_tied_scores_together():
    # Cutting between the two 0.5s would give F1 1.0, but no threshold can do that.
    point = best_f1(np.array([0.5, 0.5]), np.array([True, False]), num_gt=1)
    assert point.confidence == 0.5
    assert point.precision == 0.5


def test_best_f1_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        best_f1(np.array([0.5, 0.4]), np.array([True]), num_gt=1)


@given(st.integers(min_value=0, max_value=500), st.integers(min_value=2, max_value=150))
def test_downsample_keeps_ends_and_caps_points(n, cap):
    recall = np.linspace(0, 1, n)
    precision = np.linspace(1, 0, n)

    r, p = downsample(recall, precision, max_points=cap)

    assert len(r) == len(p) <= max(cap, 0)
    assert len(r) == min(n, cap)
    if n == 1:
        assert (r, p) == ([0.0], [1.0])
    elif n:
        assert (r[0], r[-1], p[0], p[-1]) == (0.0, 1.0, 1.0, 0.0)
        assert r == sorted(r)
