"""Metric figures: training curves, the losses/mAP overview, live series and latest values."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synapse_nb.errors import InputError
from synapse_nb.widgets.figures import metrics, theme

LOSSES = ("box_loss", "cls_loss", "dfl_loss")
QUALITY = ("mAP50", "mAP50-95", "precision", "recall")


def metrics_frame(epochs: int = 3, keys: tuple[tuple[str, str], ...] | None = None, trial_ids: tuple[str | None, ...] = (None,), seed: int = 0) -> pd.DataFrame:
    """What task.metrics() returns for a run logging ``keys`` every epoch."""
    keys = keys or tuple(("train", k) for k in LOSSES) + tuple(("val", k) for k in LOSSES) + tuple(("val", k) for k in QUALITY) + (("train", "lr/pg0"),)
    rng = np.random.default_rng(seed)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    rows = []
    for trial in trial_ids:
        for epoch in range(epochs):
            for category, key in keys:
                rows.append(
                    {
                        "category": category,
                        "key": key,
                        "value": float(rng.random()),
                        "step": epoch * 10,
                        "epoch": epoch,
                        "trial_id": trial,
                        "time": start + dt.timedelta(seconds=len(rows)),
                    }
                )
    df = pd.DataFrame(rows)
    df["step"] = df["step"].astype("Int64")
    df["epoch"] = df["epoch"].astype("Int64")
    return df


def twenty_series(epochs: int = 100) -> pd.DataFrame:
    keys = tuple(("train", f"loss_{i}") for i in range(10)) + tuple(("val", f"mAP_{i}") for i in range(10))
    return metrics_frame(epochs=epochs, keys=keys)


def assert_finite(obj: Any, path: str = "fig") -> None:
    """No NaN or infinity anywhere in a figure's JSON (it would not render)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            assert_finite(value, f"{path}.{key}")
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            assert_finite(value, f"{path}[{i}]")
    elif isinstance(obj, np.ndarray):
        if obj.dtype.kind == "f":
            assert np.isfinite(obj).all(), path
        elif obj.dtype.kind == "O":
            assert_finite(obj.tolist(), path)
    elif isinstance(obj, float):
        assert math.isfinite(obj), path
    elif isinstance(obj, str):
        assert obj.lower() not in ("nan", "inf", "-inf"), path


def assert_no_data(fig: go.Figure, text: str = "no data yet") -> None:
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == 0
    assert [a.text for a in fig.layout.annotations] == [text]
    assert fig.layout.template.layout.colorway  # themed like every other figure


def test_curves_draw_one_line_per_category_and_key() -> None:
    df = metrics_frame(epochs=5)
    fig = metrics.metric_curves(df, keys=["box_loss", "mAP50"])
    names = [t.name for t in fig.data]
    assert names == ["train/box_loss", "val/box_loss", "val/mAP50"]
    by_name = {t.name: t for t in fig.data}
    # train and val of one key share a colour and differ in dash.
    assert by_name["train/box_loss"].line.color == by_name["val/box_loss"].line.color
    assert by_name["train/box_loss"].line.dash != by_name["val/box_loss"].line.dash
    assert by_name["val/mAP50"].line.color != by_name["val/box_loss"].line.color
    assert list(by_name["val/mAP50"].x) == [0, 1, 2, 3, 4]
    assert fig.layout.xaxis.title.text == "epoch"
    assert list(fig.layout.template.layout.colorway) == list(theme.palette())
    assert_finite(fig.to_plotly_json())


def test_curves_filter_by_category_and_title_a_single_key() -> None:
    fig = metrics.metric_curves(metrics_frame(), keys="box_loss", category="val")
    assert [t.name for t in fig.data] == ["val/box_loss"]
    assert fig.layout.title.text == "box_loss"
    assert fig.layout.yaxis.title.text == "box_loss"


def test_twenty_series_of_a_hundred_epochs() -> None:
    df = twenty_series()
    fig = metrics.metric_curves(df)
    assert len(fig.data) == 20
    assert all(len(t.x) == 100 and len(t.y) == 100 for t in fig.data)
    series = metrics.metric_series(df)
    assert len(series) == 20
    assert all(x == list(range(100)) and len(y) == 100 for x, y in series.values())
    assert_finite(fig.to_plotly_json())


def test_a_live_figure_updates_its_traces_in_place_from_metric_series() -> None:
    """The dashboard's story: build once, then move each trace's x/y as epochs arrive."""
    full = metrics_frame(epochs=6)
    early = full[full["epoch"] < 2]
    widget = go.FigureWidget(metrics.training_overview(early))
    traces_before = [id(t) for t in widget.data]
    series = metrics.metric_series(full)
    with widget.batch_update():
        for trace in widget.data:
            trace.x, trace.y = series[trace.meta["series"]]
    assert [id(t) for t in widget.data] == traces_before
    assert all(list(t.x) == list(range(6)) for t in widget.data)


def test_overview_puts_losses_left_and_quality_right_and_leaves_lr_out() -> None:
    fig = metrics.training_overview(metrics_frame())
    left = {t.name for t in fig.data if t.xaxis == "x"}
    right = {t.name for t in fig.data if t.xaxis == "x2"}
    assert left == {f"{c}/{k}" for c in ("train", "val") for k in LOSSES}
    assert right == {f"val/{k}" for k in QUALITY}
    assert not any("lr" in t.name for t in fig.data)
    assert [a.text for a in fig.layout.annotations] == ["Losses", "mAP, precision, recall"]


def test_overview_before_the_first_validation_marks_the_empty_side() -> None:
    df = metrics_frame(keys=(("train", "box_loss"),))
    fig = metrics.training_overview(df)
    assert [t.name for t in fig.data] == ["train/box_loss"]
    assert "no values yet" in [a.text for a in fig.layout.annotations]


@pytest.mark.parametrize("build", [metrics.metric_curves, metrics.training_overview])
@pytest.mark.parametrize("df", [pd.DataFrame(), metrics_frame().iloc[0:0]], ids=["no columns", "no rows"])
def test_empty_metrics_give_an_empty_figure(build: Any, df: pd.DataFrame) -> None:
    assert_no_data(build(df))


def test_empty_metrics_give_empty_series_and_values() -> None:
    assert metrics.metric_series(pd.DataFrame()) == {}
    assert metrics.latest_values(pd.DataFrame()) == {}


def test_a_key_not_logged_yet_says_which() -> None:
    fig = metrics.metric_curves(metrics_frame(), keys="mAP75")
    assert_no_data(fig, "no values yet for mAP75")


def test_bad_input_names_the_field() -> None:
    df = metrics_frame()
    with pytest.raises(InputError) as err:
        metrics.metric_curves(df, x="iteration")
    assert err.value.field == "x"
    with pytest.raises(InputError) as err:
        metrics.metric_series(df.drop(columns=["value"]))
    assert err.value.field == "df"
    with pytest.raises(InputError) as err:
        metrics.metric_curves(df, keys=[1, 2])  # type: ignore[list-item]
    assert err.value.field == "keys"
    with pytest.raises(InputError) as err:
        metrics.metric_series([{"key": "a"}])  # type: ignore[arg-type]
    assert err.value.field == "df"


def test_a_relogged_epoch_keeps_the_latest_value_and_nan_is_left_out() -> None:
    df = pd.DataFrame(
        {
            "category": ["val"] * 5,
            "key": ["mAP50"] * 5,
            "value": [0.1, 0.2, 0.25, float("nan"), 0.3],
            "epoch": pd.array([0, 1, 1, 2, 3], dtype="Int64"),
        }
    )
    assert metrics.metric_series(df) == {"val/mAP50": ([0, 1, 3], [0.1, 0.25, 0.3])}
    assert_finite(metrics.metric_curves(df).to_plotly_json())


def test_x_falls_back_to_step_then_to_logging_order() -> None:
    per_step = pd.DataFrame({"category": "train", "key": "loss", "value": [3.0, 2.0, 1.0], "step": [5, 10, 15], "epoch": pd.array([None] * 3, dtype="Int64")})
    fig = metrics.metric_curves(per_step)
    assert list(fig.data[0].x) == [5, 10, 15]
    assert fig.layout.xaxis.title.text == "step"
    bare = per_step.drop(columns=["step", "epoch"])
    assert metrics.metric_series(bare) == {"train/loss": ([0, 1, 2], [3.0, 2.0, 1.0])}


def test_time_axis() -> None:
    df = metrics_frame(epochs=3, keys=(("val", "mAP50"),))
    x, y = metrics.metric_series(df, x="time")["val/mAP50"]
    assert all(isinstance(v, dt.datetime) for v in x) and x == sorted(x)


def test_tuning_series_carry_the_trial_and_filter_by_it() -> None:
    df = metrics_frame(epochs=2, keys=(("val", "mAP50"),), trial_ids=("t1", "t2"))
    assert sorted(metrics.metric_series(df)) == ["val/mAP50 [t1]", "val/mAP50 [t2]"]
    assert list(metrics.metric_series(df, trial_id="t2")) == ["val/mAP50 [t2]"]
    fig = metrics.training_overview(df, trial_id="t1")
    assert [t.name for t in fig.data] == ["val/mAP50 [t1]"]
    assert "t1" in fig.layout.title.text


def test_latest_values_follow_time_then_row_order() -> None:
    df = pd.DataFrame(
        {
            "category": ["train", "train", "val"],
            "key": ["box_loss", "box_loss", "mAP50"],
            "value": [1.0, 2.0, 0.5],
            "time": pd.to_datetime(["2026-01-01 00:00:02", "2026-01-01 00:00:01", "2026-01-01 00:00:03"], utc=True),
        }
    )
    assert metrics.latest_values(df) == {"train/box_loss": 1.0, "val/mAP50": 0.5}
    assert metrics.latest_values(df.drop(columns=["time"])) == {"train/box_loss": 2.0, "val/mAP50": 0.5}
    assert metrics.latest_values(df, keys="mAP50") == {"val/mAP50": 0.5}


@st.composite
def random_metrics(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(min_value=0, max_value=40))
    return pd.DataFrame(
        {
            "category": draw(st.lists(st.sampled_from(["train", "val"]), min_size=n, max_size=n)),
            "key": draw(st.lists(st.sampled_from(["box_loss", "mAP50", "lr/pg0"]), min_size=n, max_size=n)),
            "value": draw(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-10, 10)), min_size=n, max_size=n)),
            "epoch": pd.array(draw(st.lists(st.one_of(st.none(), st.integers(0, 20)), min_size=n, max_size=n)), dtype="Int64"),
        }
    )


@settings(max_examples=60, deadline=None)
@given(random_metrics())
def test_series_are_ordered_finite_and_complete(df: pd.DataFrame) -> None:
    series = metrics.metric_series(df)
    for x, y in series.values():
        assert len(x) == len(y) > 0
        assert all(a < b for a, b in zip(x, x[1:]))  # one point per x, in order
        assert all(math.isfinite(v) for v in y)
    usable = df[np.isfinite(df["value"].to_numpy(dtype=float))]
    if usable["epoch"].notna().any():
        usable = usable[usable["epoch"].notna()]
    expected = {f"{c}/{k}" for c, k in zip(usable["category"], usable["key"])}
    assert set(series) == expected
