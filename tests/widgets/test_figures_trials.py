"""Trial figures: the trials table, parallel coordinates, per-trial curves, status counts."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from synapse_nb.errors import InputError
from synapse_nb.widgets import figures
from synapse_nb.widgets.figures import theme, trials

HPS = ["lr0", "momentum", "batch", "optimizer"]
METRICS = ["mAP50-95", "mAP50", "precision", "recall"]


def trials_frame(n: int = 12, seed: int = 0) -> pd.DataFrame:
    """What task.trials() returns mid-way through a search: finished trials have metrics,
    pending and running ones not yet, failed ones an error."""
    rng = np.random.default_rng(seed)
    status = rng.choice(["TERMINATED", "RUNNING", "ERROR", "PENDING"], n, p=[0.8, 0.08, 0.06, 0.06])
    status[: min(n, 4)] = ["TERMINATED", "RUNNING", "ERROR", "PENDING"][: min(n, 4)]  # every status present even when small
    done = status == "TERMINATED"
    df = pd.DataFrame(
        {
            "trial_id": [f"t_{i:04d}" for i in range(n)],
            "status": status,
            "iterations": np.where(status == "PENDING", 0, rng.integers(1, 50, n)),
            "lr0": 10 ** rng.uniform(-5, -1, n),
            "momentum": rng.uniform(0.6, 0.98, n),
            "batch": rng.choice([8, 16, 32], n),
            "optimizer": rng.choice(["SGD", "Adam", "AdamW"], n),
        }
    )
    for name in METRICS:
        df[name] = np.where(done, rng.uniform(0, 1, n), np.nan)
    df["error"] = np.where(status == "ERROR", "RuntimeError: CUDA out of memory " * 4, None)
    return df


def best_of(df: pd.DataFrame, metric: str = "mAP50-95") -> str:
    return str(df.loc[df[metric].idxmax(), "trial_id"])


def drawn_fill(fig: go.Figure, row: int, column: int) -> str:
    """The colour plotly.js paints a cell: per column a colour or a list of per-row colours,
    a short list repeating its last entry (plotly.js's table gridPick)."""
    spec = fig.data[0].cells.fill.color
    if isinstance(spec, str):
        return spec
    entry = spec[min(column, len(spec) - 1)]
    if isinstance(entry, str):
        return entry
    return entry[min(row, len(entry) - 1)]


def cells(fig: go.Figure) -> dict[str, list[str]]:
    """Table cells by header (the sort arrow stripped)."""
    table = fig.data[0]
    return {h.rstrip(" ▲▼"): list(col) for h, col in zip(table.header.values, table.cells.values, strict=True)}


def row_ids(fig: go.Figure) -> list[str]:
    return [t.removeprefix(f"{theme.BEST_MARK} ") for t in cells(fig)["trial"]]


def assert_finite(obj: Any) -> None:
    if isinstance(obj, dict):
        for value in obj.values():
            assert_finite(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            assert_finite(value)
    elif isinstance(obj, np.ndarray):
        assert_finite(obj.tolist())
    elif isinstance(obj, float):
        assert math.isfinite(obj)
    elif isinstance(obj, str):
        assert obj.lower() not in ("nan", "inf", "none", "<na>")


def assert_no_data(fig: go.Figure, text: str = "no data yet") -> None:
    assert isinstance(fig, go.Figure) and len(fig.data) == 0
    assert [a.text for a in fig.layout.annotations] == [text]


# --- trials table -----------------------------------------------------------------------


def test_the_documented_call_gives_a_table_of_every_trial() -> None:
    df = trials_frame()
    fig = figures.trials_table(df, hyperparameters=HPS, metrics=METRICS, best_trial=best_of(df))
    assert isinstance(fig, go.Figure) and fig.data[0].type == "table"
    by_header = cells(fig)
    assert list(by_header) == ["trial", "status", "iter", *HPS, *METRICS, "error"]
    assert sorted(row_ids(fig)) == sorted(df["trial_id"])
    assert list(fig.layout.template.layout.colorway) == list(theme.palette())
    assert_finite(fig.to_plotly_json())


def test_the_node_that_ran_each_trial_is_a_column_after_the_iterations() -> None:
    df = trials_frame()
    df["node"] = ["10.0.0.1/aaaaaaaa" if i % 2 else "10.0.0.2/bbbbbbbb" for i in range(len(df))]
    df.loc[df.index[0], "node"] = None  # a trial not started yet ran nowhere
    fig = figures.trials_table(df, metrics=METRICS, best_trial=best_of(df))
    by_header = cells(fig)
    assert list(by_header)[:4] == ["trial", "status", "iter", "node"]
    assert "node" not in list(by_header)[4:], "not taken for a hyperparameter"
    shown = dict(zip(row_ids(fig), by_header["node"], strict=True))
    for trial_id, node in zip(df["trial_id"], df["node"], strict=True):
        assert shown[trial_id] == ("" if pd.isna(node) else node)


def test_the_best_trial_row_is_highlighted_and_statuses_coloured() -> None:
    df = trials_frame()
    best = best_of(df, "mAP50")
    fig = trials.trials_table(df, HPS, METRICS, best_trial=best, sort_by="lr0")  # best not on top
    ids = row_ids(fig)
    best_row = ids.index(best)
    assert best_row > 0
    headers = list(cells(fig))
    status_col = headers.index("status")
    for col in range(len(headers)):
        for row in range(len(ids)):
            color = drawn_fill(fig, row, col)
            if col == status_col:
                assert color == theme.STATUS_COLORS[cells(fig)["status"][row]]
            elif row == best_row:
                assert color == theme.BEST_ROW_COLOR
            else:
                assert color == theme.CELL_COLOR
    assert cells(fig)["trial"][best_row] == f"{theme.BEST_MARK} {best}"
    assert "best " + best in fig.layout.title.text


def test_rows_sort_by_the_first_metric_best_first_and_unfinished_trials_last() -> None:
    df = trials_frame(30)
    fig = trials.trials_table(df, HPS, METRICS)
    values = [float(v) if v != theme.MISSING else None for v in cells(fig)["mAP50-95"]]
    finished = [v for v in values if v is not None]
    assert finished == sorted(finished, reverse=True)
    assert values[len(finished):] == [None] * (len(values) - len(finished))
    assert list(fig.data[0].header.values)[list(cells(fig)).index("mAP50-95")].endswith("▼")

    fig_min = trials.trials_table(df, HPS, METRICS, mode="min")
    ascending = [float(v) for v in cells(fig_min)["mAP50-95"] if v != theme.MISSING]
    assert ascending == sorted(ascending)


def test_sort_by_a_hyperparameter_ascending_by_default_and_descending_on_request() -> None:
    df = trials_frame(20)
    up = trials.trials_table(df, HPS, METRICS, sort_by="momentum")
    expected = df.sort_values("momentum")["trial_id"].tolist()
    assert row_ids(up) == expected
    down = trials.trials_table(df, HPS, METRICS, sort_by="momentum", ascending=False)
    assert row_ids(down) == expected[::-1]
    by_name = trials.trials_table(df, HPS, METRICS, sort_by="optimizer")
    assert cells(by_name)["optimizer"] == sorted(cells(by_name)["optimizer"])


def test_status_filter_keeps_only_those_trials() -> None:
    df = trials_frame(40)
    fig = trials.trials_table(df, HPS, METRICS, status=["error", "RUNNING"])
    assert set(cells(fig)["status"]) == {"ERROR", "RUNNING"}
    assert len(row_ids(fig)) == int(df["status"].isin(["ERROR", "RUNNING"]).sum())
    assert fig.layout.title.text.startswith(f"{len(row_ids(fig))} of 40 trials")


def test_status_filter_with_no_match_says_so() -> None:
    df = trials_frame(8)
    df = df[df["status"] != "PAUSED"]
    assert_no_data(trials.trials_table(df, HPS, METRICS, status="PAUSED"), "no trials with status PAUSED")


def test_top_k_keeps_the_best_k_by_the_sort_metric() -> None:
    df = trials_frame(100)
    fig = trials.trials_table(df, HPS, METRICS, top_k=10)
    assert set(row_ids(fig)) == set(df.nlargest(10, "mAP50-95")["trial_id"])
    by_recall = trials.trials_table(df, HPS, METRICS, sort_by="recall", top_k=5, mode="min")
    assert row_ids(by_recall) == df.nsmallest(5, "recall")["trial_id"].tolist()
    assert fig.layout.title.text.startswith("Top 10 of 100 trials by mAP50-95")


def test_five_hundred_trials_stay_readable() -> None:
    df = trials_frame(500)
    best = best_of(df)
    fig = trials.trials_table(df, HPS, METRICS, best_trial=best)
    assert len(row_ids(fig)) == 500
    assert all(len(col) == 500 for col in fig.data[0].cells.values)
    assert fig.layout.height <= theme.TABLE_MAX_HEIGHT  # the table scrolls inside it
    assert row_ids(fig)[0] == best
    assert drawn_fill(fig, 0, 0) == theme.BEST_ROW_COLOR and drawn_fill(fig, 499, 0) == theme.CELL_COLOR
    assert all(len(t) <= theme.MAX_CELL_TEXT for t in cells(fig)["error"])
    assert_finite(fig.to_plotly_json())


def test_a_metric_not_reported_yet_shows_dashes() -> None:
    df = trials_frame(6).drop(columns=METRICS)
    fig = trials.trials_table(df, HPS, METRICS)
    assert cells(fig)["mAP50"] == [theme.MISSING] * 6


def test_without_column_lists_every_column_is_shown() -> None:
    df = trials_frame(5).drop(columns=["error"])
    assert list(cells(trials.trials_table(df))) == ["trial", "status", "iter", *HPS, *METRICS]


@pytest.mark.parametrize("df", [pd.DataFrame(), trials_frame(3).iloc[0:0]], ids=["no columns", "no rows"])
def test_empty_trials_give_an_empty_figure(df: pd.DataFrame) -> None:
    assert_no_data(trials.trials_table(df, HPS, METRICS, best_trial="t_0001"))
    assert_no_data(figures.parallel_coordinates(df, HPS, "mAP50"))
    assert trials.trials_table_data(df, HPS, METRICS).shown == 0
    assert trials.trial_status_counts(df) == dict.fromkeys(theme.STATUSES, 0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"hyperparameters": ["lr0", "imgsz"]}, "hyperparameters"),
        ({"sort_by": "loss"}, "sort_by"),
        ({"best_trial": "t_9999"}, "best_trial"),
        ({"mode": "maximum"}, "mode"),
        ({"top_k": 0}, "top_k"),
        ({"status": ["DONE"]}, "status"),
        ({"metrics": [], "top_k": 3}, "top_k"),
        ({"metrics": "mAP50", "hyperparameters": [1]}, "hyperparameters"),
    ],
)
def test_bad_arguments_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    arguments = {"hyperparameters": HPS, "metrics": METRICS, **kwargs}
    with pytest.raises(InputError) as err:
        trials.trials_table(trials_frame(), **arguments)
    assert err.value.field == field


def test_a_frame_without_trial_ids_is_refused() -> None:
    with pytest.raises(InputError) as err:
        trials.trials_table(pd.DataFrame({"status": ["RUNNING"]}))
    assert err.value.field == "df"


def test_table_data_is_what_the_figure_shows_for_in_place_updates() -> None:
    df = trials_frame(50)
    best = best_of(df)
    data = trials.trials_table_data(df, HPS, METRICS, best_trial=best, top_k=20)
    fig = trials.trials_table(df, HPS, METRICS, best_trial=best, top_k=20)
    assert [list(c) for c in fig.data[0].cells.values] == data.columns
    assert list(fig.data[0].header.values) == data.header
    assert data.trial_ids == row_ids(fig) and data.shown == 20 and data.total == 50
    assert data.best_row == 0 and data.fill_at(0, 0) == theme.BEST_ROW_COLOR
    assert fig.layout.title.text == data.title and fig.layout.height == data.height
    # The dashboard's story: the next poll moves new values into the same table.
    widget = go.FigureWidget(fig)
    later = trials.trials_table_data(trials_frame(50, seed=1), HPS, METRICS, top_k=20)
    with widget.batch_update():
        widget.data[0].cells.values = later.columns
        widget.data[0].cells.fill.color = later.fill
    assert [list(c) for c in widget.data[0].cells.values] == later.columns


def test_status_counts() -> None:
    df = trials_frame(40)
    counts = trials.trial_status_counts(df)
    assert list(counts)[:5] == list(theme.STATUSES)
    assert sum(counts.values()) == 40
    assert counts["ERROR"] == int((df["status"] == "ERROR").sum())


# --- parallel coordinates -----------------------------------------------------------------


def dims(fig: go.Figure) -> dict[str, Any]:
    return {d.label: d for d in fig.data[0].dimensions}


def test_parallel_coordinates_default_to_the_top_50_by_the_tune_metric() -> None:
    df = trials_frame(500)
    fig = figures.parallel_coordinates(df, HPS, "mAP50-95")
    metric = np.asarray(dims(fig)["mAP50-95"].values)
    assert len(metric) == 50
    np.testing.assert_allclose(np.sort(metric), np.sort(df["mAP50-95"].nlargest(50).to_numpy()))
    assert np.allclose(fig.data[0].line.color, metric)
    assert fig.layout.title.text == f"Top 50 of 500 trials by mAP50-95 (max)"
    assert_finite(fig.to_plotly_json())


def test_parallel_coordinates_all_trials_on_demand() -> None:
    df = trials_frame(500)
    fig = figures.parallel_coordinates(df, HPS, "mAP50-95", top_k=None)
    assert len(dims(fig)["mAP50-95"].values) == int(df["mAP50-95"].notna().sum())


def test_categorical_hyperparameters_become_labelled_codes() -> None:
    df = trials_frame(60)
    df["augment"] = np.tile([True, False], 30)
    fig = figures.parallel_coordinates(df, [*HPS, "augment"], "mAP50", top_k=None)
    optimizer = dims(fig)["optimizer"]
    labels = list(optimizer.ticktext)
    assert labels == sorted(set(df.loc[df["mAP50"].notna(), "optimizer"]))
    assert list(optimizer.tickvals) == list(range(len(labels)))
    shown = df[df["mAP50"].notna()].sort_values("mAP50")  # best drawn last, on top
    assert [labels[int(c)] for c in optimizer.values] == shown["optimizer"].tolist()
    assert list(dims(fig)["augment"].ticktext) == ["false", "true"]
    assert "batch" in dims(fig)  # numbers stay numbers
    assert "lr0 (log)" in dims(fig)  # four decades of learning rate on a log axis
    lr = dims(fig)["lr0 (log)"]
    np.testing.assert_allclose(10 ** np.asarray(lr.values), shown["lr0"].to_numpy())


def test_parallel_coordinates_for_a_minimised_metric() -> None:
    df = trials_frame(80)
    fig = figures.parallel_coordinates(df, HPS, "mAP50", mode="min", top_k=5)
    np.testing.assert_allclose(np.sort(dims(fig)["mAP50"].values), np.sort(df["mAP50"].nsmallest(5).to_numpy()))
    assert fig.data[0].line.reversescale is True  # the best (lowest) still gets the bright end


def test_parallel_coordinates_before_any_result() -> None:
    df = trials_frame(5)
    df[METRICS] = np.nan
    assert_no_data(figures.parallel_coordinates(df, HPS, "mAP50"), "no trial has reported mAP50 yet")
    assert_no_data(figures.parallel_coordinates(df.drop(columns=METRICS), HPS, "mAP50"), "no trial has reported mAP50 yet")
    with pytest.raises(InputError) as err:
        figures.parallel_coordinates(df, ["lr0", "nope"], "mAP50")
    assert err.value.field == "hyperparameters"


# --- per-trial curves -------------------------------------------------------------------


def trial_metrics(trial_ids: list[str], epochs: int = 10) -> pd.DataFrame:
    rows = [
        {"category": category, "key": "mAP50", "value": (e + 1) / epochs * (i + 1) / len(trial_ids), "epoch": e, "trial_id": t}
        for i, t in enumerate(trial_ids)
        for e in range(epochs)
        for category in ("val",)
    ]
    rows += [{"category": "train", "key": "mAP50", "value": 0.0, "epoch": 0, "trial_id": trial_ids[0]}]
    return pd.DataFrame(rows)


def test_trial_curves_draw_one_line_per_trial_and_emphasise_the_best() -> None:
    ids = [f"t{i}" for i in range(5)]
    fig = figures.trial_curves(trial_metrics(ids), "mAP50", best_trial="t2")
    assert len(fig.data) == 5
    best = fig.data[-1]  # drawn last, so on top
    assert best.meta["trial_id"] == "t2" and theme.BEST_MARK in best.name
    assert all(best.line.width > t.line.width for t in fig.data[:-1])
    assert fig.layout.title.text == "val/mAP50 per trial"  # 'val' preferred over 'train'
    assert_finite(fig.to_plotly_json())


def test_trial_curves_for_chosen_trials_and_many_trials() -> None:
    ids = [f"t{i}" for i in range(40)]
    df = trial_metrics(ids, epochs=3)
    chosen = figures.trial_curves(df, "mAP50", trial_ids=["t1", "t7"])
    assert sorted(t.meta["trial_id"] for t in chosen.data) == ["t1", "t7"]
    crowded = figures.trial_curves(df, "mAP50", best_trial="t39")
    assert len(crowded.data) == 40
    assert [t.meta["trial_id"] for t in crowded.data if t.showlegend is not False] == ["t39"]


def test_trial_curves_without_values() -> None:
    assert_no_data(figures.trial_curves(pd.DataFrame(), "mAP50"), "no values yet for mAP50")
    assert_no_data(figures.trial_curves(trial_metrics(["a"]), "recall"), "no values yet for recall")


def test_figures_save_as_a_self_contained_page_offline(tmp_path: Path, no_network: list[object]) -> None:
    df = trials_frame(30)
    path = tmp_path / "trials.html"
    trials.trials_table(df, HPS, METRICS, best_trial=best_of(df)).write_html(path, include_plotlyjs=True)
    page = path.read_text(encoding="utf-8")
    assert "<script src=\"http" not in page and "Plotly.newPlot" in page
    assert no_network == []
