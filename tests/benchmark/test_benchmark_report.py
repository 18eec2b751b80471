"""BenchmarkReport: JSON round trip, atomic writes, and an HTML page that works offline."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from synapse_nb.benchmark import BenchmarkReport, evaluate_detections, speed_test
from synapse_nb.benchmark.speed import SpeedSample
from synapse_nb.widgets.figures.benchmark import report_figures


@pytest.fixture
def report(ground_truth, detections, perfect_detections) -> BenchmarkReport:
    speed = speed_test(lambda batch: SpeedSample(preprocess_ms=1, inference_ms=5, postprocess_ms=1),
                       [np.zeros((8, 8, 3), np.uint8)], batch_sizes=(1, 8), warmup=0, runs=1)
    return BenchmarkReport(
        model_name="yolo11n-det",
        val_size=4,
        evaluation={"pytorch": evaluate_detections(ground_truth, perfect_detections),
                    "onnx": evaluate_detections(ground_truth, detections)},
        speed=speed,
    )


def test_json_round_trip(report: BenchmarkReport, tmp_path: Path):
    path = report.to_json(tmp_path / "sub" / "benchmark.json")

    assert BenchmarkReport.from_json(path) == report
    assert [p.name for p in path.parent.iterdir()] == ["benchmark.json"]  # no temporary left behind


def test_failed_write_keeps_the_previous_file(report: BenchmarkReport, tmp_path: Path, monkeypatch):
    path = tmp_path / "benchmark.json"
    path.write_text("previous", encoding="utf-8")

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        report.to_json(path)

    assert path.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["benchmark.json"]


def test_metrics_are_flat_with_the_export_prefixed(report: BenchmarkReport):
    metrics = report.metrics()

    assert metrics["map"] == 1.0  # the PyTorch model is the primary one
    assert metrics["onnx/map"] == report.evaluation["onnx"].map
    assert report.primary is report.evaluation["pytorch"]


def test_a_report_needs_an_evaluation():
    with pytest.raises(ValidationError, match="at least one evaluated runtime"):
        BenchmarkReport(model_name="m", val_size=1, evaluation={})


def test_html_is_self_contained(report: BenchmarkReport, tmp_path: Path):
    from plotly.offline import get_plotlyjs

    page = report.to_html(tmp_path / "benchmark.html", report_figures).read_text(encoding="utf-8")

    assert re.findall(r"<script[^>]*\bsrc\s*=", page) == []  # nothing loaded from anywhere
    bundle = get_plotlyjs()
    assert page.count(bundle) == 1  # plotly.js inline, once for all figures
    # plotly.js carries its CDN address as the default map-data URL (used by geo maps only);
    # the page adds no other reference to it.
    assert page.count("cdn.plot.ly") == bundle.count("cdn.plot.ly")
    outside_bundle = page.replace(bundle, "")
    assert "cdn.plot.ly" not in outside_bundle
    assert not re.search(r"https?://", outside_bundle)
    for div in ("metrics-summary", "per-class-ap", "pr-curve", "speed-table", "outcomes", "confusion-matrix",
                "most-confused", "iou-histogram", "reliability-diagram", "confidence-profile", "per-image-table"):
        assert f'id="benchmark-{div}"' in page
    assert "ONNX (onnxruntime)" in page and "PyTorch" in page
    assert "Average Precision" in page  # pycocotools' own printout, escaped


def test_html_without_speed_test(report: BenchmarkReport, tmp_path: Path):
    only_pytorch = report.model_copy(update={"speed": None, "evaluation": {"pytorch": report.evaluation["pytorch"]}})
    page = only_pytorch.to_html(tmp_path / "b.html", report_figures).read_text(encoding="utf-8")
    assert "Speed test not run" in page
    assert "ONNX (onnxruntime)" not in page


def test_html_says_when_no_image_has_an_error(report: BenchmarkReport, tmp_path: Path):
    from synapse_nb.benchmark._html import NO_WORST_IMAGES

    perfect = report.model_copy(update={"evaluation": {"pytorch": report.evaluation["pytorch"]}})
    assert all(row.fp + row.fn == 0 for row in perfect.primary.per_image)
    page = perfect.to_html(tmp_path / "b.html", report_figures, images_dir=tmp_path).read_text(encoding="utf-8")
    assert "Worst images: pytorch" in page and NO_WORST_IMAGES in page and 'class="gallery"' not in page
