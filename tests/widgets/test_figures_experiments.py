"""Experiment figures: the comparison table and one metric across experiments."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import pytest

from synapse_nb.errors import InputError
from synapse_nb.schemas.experiment import ExperimentInfo
from synapse_nb.widgets.figures import experiments, theme


def finished(name: str, model: str, mAP: float, seconds: float, task_id: int) -> ExperimentInfo:
    return ExperimentInfo(
        experiment_name=name,
        framework_name="YOLO",
        model_name=model,
        task_id=task_id,
        project_id=1,
        datetime=dt.datetime(2026, 11, 23, 14, task_id, tzinfo=dt.timezone.utc),
        training_duration=seconds,
        train_size=64,
        val_size=16,
        evaluation_metrics={"mAP": mAP, "AP50": mAP + 0.2, "note": "text metrics are not columns"},
        primary_metric="mAP",
        export={"onnx": "export/best.onnx"},
        checkpoints=["checkpoints/best.pt"],
    )


def records() -> list[ExperimentInfo | dict]:
    return [
        finished("1 shapes yolo11n", "yolo11n-det", 0.61, 125.0, 1),
        finished("2 shapes yolov8n", "yolov8n-det", 0.66, 98.0, 2).model_dump(mode="json"),
        finished("3 shapes yolo26n", "yolo26n-det", 0.58, 3725.0, 3),
    ]


def drawn_fill(fig: go.Figure, row: int, column: int) -> str:
    """The colour plotly.js paints a cell (its table gridPick: per column, then per row,
    a short list repeating its last entry)."""
    spec = fig.data[0].cells.fill.color
    if isinstance(spec, str):
        return spec
    entry = spec[min(column, len(spec) - 1)]
    return entry if isinstance(entry, str) else entry[min(row, len(entry) - 1)]


def table_cells(fig: go.Figure) -> dict[str, list[str]]:
    table = fig.data[0]
    return {h.rstrip(" ▲▼"): list(c) for h, c in zip(table.header.values, table.cells.values, strict=True)}


def test_frame_has_one_row_per_experiment_with_metrics_as_columns() -> None:
    df = experiments.experiments_frame(records())
    assert df["experiment_name"].tolist() == ["1 shapes yolo11n", "2 shapes yolov8n", "3 shapes yolo26n"]
    assert df["mAP"].tolist() == [0.61, 0.66, 0.58]
    assert "note" not in df.columns and "checkpoints" not in df.columns
    assert df["exports"].tolist() == ["onnx"] * 3


def test_a_bad_record_is_named() -> None:
    with pytest.raises(InputError) as err:
        experiments.experiments_frame([records()[0], {"experiment_name": "no framework"}])
    assert err.value.field == "experiments[1]"


def test_table_ranks_by_the_primary_metric_and_highlights_the_best() -> None:
    fig = experiments.experiments_table(experiments.experiments_frame(records()))
    by_header = table_cells(fig)
    assert by_header["experiment"] == ["★ 2 shapes yolov8n", "1 shapes yolo11n", "3 shapes yolo26n"]
    assert by_header["model"] == ["yolov8n-det", "yolo11n-det", "yolo26n-det"]
    assert by_header["duration"] == ["1m 38s", "2m 05s", "1h 02m"]
    assert by_header["finished"][0] == "2026-11-23 14:02"
    assert list(by_header)[:4] == ["experiment", "model", "framework", "task"]
    headers = list(fig.data[0].header.values)
    assert headers[list(by_header).index("mAP")] == "mAP ▼"
    for column in range(len(by_header)):
        assert drawn_fill(fig, 0, column) == theme.BEST_ROW_COLOR
        assert drawn_fill(fig, 1, column) == drawn_fill(fig, 2, column) == theme.CELL_COLOR
    assert fig.layout.height <= theme.TABLE_MAX_HEIGHT


def test_table_by_another_metric_and_mode() -> None:
    fig = experiments.experiments_table(experiments.experiments_frame(records()), metric="training_duration", mode="min")
    assert table_cells(fig)["experiment"][0] == "★ 2 shapes yolov8n"
    with pytest.raises(InputError) as err:
        experiments.experiments_table(experiments.experiments_frame(records()), metric="mAP75")
    assert err.value.field == "metric"


def test_empty_experiments() -> None:
    fig = experiments.experiments_table(pd.DataFrame())
    assert len(fig.data) == 0 and fig.layout.annotations[0].text == "no data yet"
    assert experiments.experiments_frame([]).empty


def curve(values: list[float], key: str = "mAP50", category: str = "val") -> pd.DataFrame:
    return pd.DataFrame({"category": category, "key": key, "value": values, "epoch": list(range(len(values)))})


def test_overlay_draws_one_line_per_experiment() -> None:
    fig = experiments.metric_overlay({"yolo11n": curve([0.1, 0.3, 0.5]), "yolov8n": curve([0.2, 0.4])}, "mAP50")
    assert [t.name for t in fig.data] == ["yolo11n", "yolov8n"]
    assert fig.data[0].line.color != fig.data[1].line.color
    assert list(fig.data[1].y) == [0.2, 0.4]
    assert fig.layout.title.text == "mAP50 across experiments"


def test_overlay_names_an_experiment_without_the_metric() -> None:
    fig = experiments.metric_overlay({"a": curve([0.1]), "b": curve([1.0], key="box_loss")}, "mAP50")
    assert [t.name for t in fig.data] == ["a"]
    assert "no mAP50 in: b" in fig.layout.title.text


def test_overlay_empty_and_bad_input() -> None:
    fig = experiments.metric_overlay({}, "mAP50")
    assert len(fig.data) == 0 and fig.layout.annotations[0].text == "no data yet"
    with pytest.raises(InputError) as err:
        experiments.metric_overlay([curve([0.1])], "mAP50")  # type: ignore[arg-type]
    assert err.value.field == "metrics_by_experiment"
    with pytest.raises(InputError) as err:
        experiments.metric_overlay({"a": pd.DataFrame({"value": [1.0]})}, "mAP50")
    assert err.value.field == "metrics_by_experiment['a']"
