"""MetricStore: merging points in polls gives what the figure builders give for all of them."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from synapse_nb.schemas import MetricPoint
from synapse_nb.widgets import figures
from synapse_nb.widgets.dashboard import MetricStore
from synapse_nb.widgets.dashboard._charts import MetricCharts, chart_of

POINTS = st.lists(
    st.tuples(st.sampled_from(["train", "val"]), st.sampled_from(["box_loss", "mAP50", "lr/pg0"]),
              st.floats(-10, 10, allow_nan=False), st.integers(0, 8), st.sampled_from([None, "t_1", "t_2"])),
    max_size=60,
)


@given(POINTS, st.lists(st.integers(0, 60), max_size=5))
def test_points_merged_poll_by_poll_equal_the_series_of_all_points(rows: list, cuts: list) -> None:
    points = [MetricPoint(seq=i + 1, category=c, key=k, value=v, epoch=e, trial_id=t) for i, (c, k, v, e, t) in enumerate(rows)]
    store = MetricStore()
    changed_all: set[str] = set()
    bounds = sorted({0, len(points), *(min(c, len(points)) for c in cuts)})
    for start, stop in zip(bounds, bounds[1:]):
        changed = store.add(points[start:stop])
        assert changed == {figures.metrics.series_name(p.category, p.key, p.trial_id) for p in points[start:stop]}
        changed_all |= changed
    frame = pd.DataFrame([p.model_dump() for p in points], columns=["category", "key", "value", "epoch", "trial_id"])
    expected = figures.metric_series(frame)
    assert {name: store.xy(name) for name in store.names()} == expected
    assert changed_all == set(expected)
    assert store.cursor == len(points)
    # The store's own frame draws the same series.
    assert figures.metric_series(store.frame(store.names())) == expected


def test_points_without_an_epoch_use_the_step_or_the_logging_order() -> None:
    store = MetricStore()
    store.add([MetricPoint(seq=1, category="train", key="loss", value=2.0, step=10),
               MetricPoint(seq=2, category="train", key="loss", value=1.0, step=20),
               MetricPoint(seq=3, category="train", key="note", value=5.0),
               MetricPoint(seq=4, category="train", key="note", value=6.0)])
    assert store.xy("train/loss") == ([10, 20], [2.0, 1.0]) and store.axis("train/loss") == "step"
    assert store.xy("train/note") == ([0, 1], [5.0, 6.0]) and store.axis("train/note") == "index"
    assert len(store) == 4


def test_keys_are_drawn_in_the_chart_people_look_for_them() -> None:
    assert [chart_of(k) for k in ("box_loss", "seg_loss", "mAP50-95", "precision", "recall", "lr/pg0", "fitness")] == [
        "losses", "losses", "quality", "quality", "quality", "other", "quality"]


def test_the_score_axes_start_at_zero_even_while_every_score_is_zero() -> None:
    store = MetricStore()
    store.add([MetricPoint(seq=i + 1, category="val", key=key, value=0.0, epoch=0)
               for i, key in enumerate(("mAP50", "box_loss"))])
    charts = MetricCharts()
    assert charts.sync(store, store.names())
    quality, losses = charts.charts["quality"].figure, charts.charts["losses"].figure
    assert quality.layout.yaxis.rangemode == "nonnegative" and losses.layout.yaxis.rangemode is None
    frame = pd.DataFrame({"category": "val", "key": ["mAP50", "box_loss"], "value": 0.0, "epoch": 0})
    assert figures.training_overview(frame).layout.yaxis2.rangemode == "nonnegative"
