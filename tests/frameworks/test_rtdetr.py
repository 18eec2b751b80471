"""RT-DETR, the second architecture family: trained, exported and checked through the same path as YOLO."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synapse_nb.frameworks import resolve_model
from synapse_nb.frameworks.ultralytics_yolo import SinkAutolog, export_onnx, onnx_parity, train_yolo
from synapse_nb.frameworks.ultralytics_yolo._load import is_rtdetr, load_model
from synapse_nb.frameworks.ultralytics_yolo.export import align_queries
from synapse_nb.frameworks.ultralytics_yolo.runtimes import export_parity

from fw_helpers import IMGSZ, TINY, ListSink


def test_rtdetr_models_are_listed_with_their_measured_size() -> None:
    info = resolve_model("YOLO/rtdetr-l-det")
    assert (info.config, info.weights, info.task_type, info.params_m) == (
        "rtdetr-l.yaml", "rtdetr-l.pt", "object detection", 32.97)
    assert is_rtdetr(info.config) and not is_rtdetr("yolo11n.yaml")


def test_queries_listed_in_another_order_still_match_but_other_values_do_not() -> None:
    rng = np.random.default_rng(0)
    reference = rng.random((1, 50, 6)).astype(np.float32)
    shuffled = reference[:, rng.permutation(50)]
    assert np.array_equal(align_queries(reference, shuffled), reference)
    changed = shuffled.copy()
    changed[0, 3, 4] += 0.5
    assert np.abs(align_queries(reference, changed) - reference).max() >= 0.5 - 1e-6
    flat = shuffled[0]
    assert align_queries(reference[0], flat) is flat  # not a [1, Q, C] set: left as is


@pytest.mark.slow
def test_rtdetr_trains_and_exports_like_yolo(det_yaml: Path, tmp_path: Path) -> None:
    sink = ListSink()
    out = train_yolo(det_yaml, "rtdetr-l.yaml", {**TINY, "epochs": 1}, tmp_path / "run",
                     callbacks=[SinkAutolog(sink, 1)], device="cpu")
    assert out.task == "detect" and out.last.is_file() and out.device == "cpu"
    assert type(load_model(out.last)).__name__ == "RTDETR"  # a neutral best.pt/last.pt name is enough
    assert "metrics/mAP50-95(B)" in out.results_dict and sink.epochs() == [0]
    onnx_path = export_onnx(out.last, IMGSZ, tmp_path / "export")
    report = onnx_parity(out.last, onnx_path, imgsz=IMGSZ)
    assert report.passed, report.summary()
    assert export_parity(out.last, onnx_path, IMGSZ).passed
