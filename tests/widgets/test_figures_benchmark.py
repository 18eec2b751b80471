"""Figures of a benchmark report, built from the report or from its JSON dict."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from synapse_nb.benchmark import BenchmarkReport, evaluate_detections, speed_test
from synapse_nb.benchmark.speed import SpeedSample
from synapse_nb.errors import InputError
from synapse_nb.widgets.figures.benchmark import metrics_summary, per_class_ap, pr_curve, speed_table

GT = {
    "images": [{"id": 1, "width": 200, "height": 200}, {"id": 2, "width": 200, "height": 200}],
    "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "owl"}],
    "annotations": [
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 40, 40]},
        {"image_id": 1, "category_id": 2, "bbox": [100, 100, 40, 40]},
        {"image_id": 2, "category_id": 2, "bbox": [50, 50, 60, 60]},
    ],
}
EXACT = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 0.9} for a in GT["annotations"]]
# dog found once of twice, cat exactly: dog's AP is the lower one
PARTIAL = [EXACT[0], EXACT[1], {"image_id": 2, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.3}]


@pytest.fixture(scope="module")
def report() -> BenchmarkReport:
    speed = speed_test(lambda batch: SpeedSample(preprocess_ms=1, inference_ms=4, postprocess_ms=0.5),
                       [np.zeros((8, 8, 3), np.uint8)], batch_sizes=(1, 8, 16), warmup=1, runs=2)
    return BenchmarkReport(model_name="m", val_size=2, speed=speed,
                           evaluation={"pytorch": evaluate_detections(GT, PARTIAL), "onnx": evaluate_detections(GT, EXACT)})


def test_per_class_ap_best_class_first_per_runtime(report: BenchmarkReport):
    fig = per_class_ap(report)

    assert isinstance(fig, go.Figure)
    assert [trace.name for trace in fig.data] == ["PyTorch", "ONNX (onnxruntime)"]
    pytorch, onnx = fig.data
    assert list(pytorch.x) == ["cat", "dog"]  # owl has no object in the split
    assert list(pytorch.y) == sorted(pytorch.y, reverse=True)
    assert list(onnx.x) == ["cat", "dog"] and list(onnx.y) == [1.0, 1.0]  # same class order in both groups
    assert "owl" in fig.layout.title.text


def test_pr_curve_one_panel_per_runtime(report: BenchmarkReport):
    fig = pr_curve(report)

    overall = [trace for trace in fig.data if trace.name == "all classes"]
    assert len(overall) == 2
    assert {trace.xaxis for trace in overall} == {"x", "x2"}
    assert all(len(trace.x) <= 101 and max(trace.x) <= 1.0 for trace in fig.data)
    assert [a.text for a in fig.layout.annotations] == [
        f"PyTorch: AP50 {report.evaluation['pytorch'].map50:.3f}",
        "ONNX (onnxruntime): AP50 1.000",
    ]


def test_speed_table_rows(report: BenchmarkReport):
    table = speed_table(report).data[0]

    assert table.header.values[:3] == ("runtime", "device", "batch size")
    assert list(table.cells.values[2]) == [1, 8, 16]
    assert list(table.cells.values[6]) == ["5.50"] * 3
    assert list(table.cells.values[7]) == ["181.8"] * 3


def test_speed_table_without_a_speed_test(report: BenchmarkReport):
    fig = speed_table(report.model_copy(update={"speed": None}))
    assert fig.layout.title.text == "Speed test not run"


def test_metrics_summary_side_by_side_with_difference(report: BenchmarkReport):
    table = metrics_summary(report).data[0]

    assert table.header.values == ("metric", "PyTorch", "ONNX (onnxruntime)", "ONNX − PyTorch")
    names, pytorch, onnx, diff = (list(column) for column in table.cells.values)
    row = names.index("mAP 0.50:0.95 (primary)")
    assert onnx[row] == "1.000"
    assert float(diff[row]) == pytest.approx(1.0 - report.evaluation["pytorch"].map, abs=1e-3)
    assert pytorch[names.index("detections")] == "3"
    assert pytorch[names.index("AP small")] == "—"  # no small object in the split


def test_json_dict_gives_the_same_figures(report: BenchmarkReport):
    as_dict = json.loads(report.model_dump_json())
    for build in (per_class_ap, pr_curve, speed_table, metrics_summary):
        assert build(as_dict).to_dict() == build(report).to_dict()


def test_a_single_evaluation_is_shown_as_pytorch(report: BenchmarkReport):
    fig = metrics_summary(report.evaluation["onnx"])
    assert fig.data[0].header.values == ("metric", "PyTorch")


def test_unrecognised_input_names_the_field():
    with pytest.raises(InputError) as info:
        per_class_ap({"something": "else"})
    assert info.value.field == "report"
