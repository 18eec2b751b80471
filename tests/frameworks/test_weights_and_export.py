"""Where training starts from (never a download), ONNX export with its parity check, TensorRT."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from synapse_nb.errors import InputError
from synapse_nb.frameworks import resolve_model
from synapse_nb.frameworks.ultralytics_yolo import (
    compare_arrays,
    default_weights_dir,
    export_onnx,
    onnx_parity,
    resolve_weights,
    sample_images,
    tensorrt_available,
)

from fw_helpers import IMGSZ


def test_without_local_weights_training_starts_from_the_yaml_with_a_notice(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # At INFO: the run itself reports the notice to the task log once, as a warning.
    caplog.set_level(logging.INFO, logger="synapse_nb")
    source, notice = resolve_weights(resolve_model("YOLO/yolo11n-det"), tmp_path)
    assert source == "yolo11n.yaml"
    assert notice == "no local weights for yolo11n.pt: training from scratch from yolo11n.yaml"
    assert notice in caplog.text


def test_local_weights_in_the_home_folder_are_used(session_home: Path) -> None:
    assert default_weights_dir() == session_home.resolve() / "weights"
    local = default_weights_dir() / "yolov8s.pt"
    local.write_bytes(b"weights")
    try:
        assert resolve_weights(resolve_model("YOLO/yolov8s-det")) == (str(local), None)
    finally:
        local.unlink()


def test_a_checkpoint_path_is_taken_as_is_when_it_exists(det_run, tmp_path: Path) -> None:
    assert resolve_weights(det_run.output.best) == (str(det_run.output.best), None)
    with pytest.raises(InputError) as caught:
        resolve_weights(tmp_path / "gone.pt")
    assert caught.value.field == "checkpoint"


def test_onnx_export_matches_pytorch(det_run, tmp_path: Path) -> None:
    weights_dir = det_run.output.best.parent
    before = sorted(p.name for p in weights_dir.iterdir())
    onnx_path = export_onnx(det_run.output.best, IMGSZ, tmp_path / "export")
    assert onnx_path == tmp_path / "export" / "best.onnx" and onnx_path.stat().st_size > 100_000
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == ["best.onnx"]  # no temp leftovers
    assert sorted(p.name for p in weights_dir.iterdir()) == before  # the run's folder is untouched

    report = onnx_parity(det_run.output.best, onnx_path, imgsz=IMGSZ)
    assert report.passed, report
    assert report.images == 3 and report.max_abs_diff < 1e-3
    assert report.outputs[0].shape[:2] == [1, 4 + 3]  # boxes + 3 classes


def test_parity_catches_an_onnx_file_of_other_weights(det_run, tmp_path: Path) -> None:
    from ultralytics import YOLO

    other = tmp_path / "other.pt"
    shutil.copyfile(det_run.output.best, other)
    model = YOLO(str(other))
    with torch.no_grad():  # a small change to the detection head only
        for parameter in model.model.model[-1].parameters():
            parameter.add_(0.01)
    model.save(str(other))
    onnx_path = export_onnx(other, IMGSZ, tmp_path / "export")
    report = onnx_parity(det_run.output.best, onnx_path, imgsz=IMGSZ, images=sample_images(1))
    assert not report.passed and report.max_abs_diff > 1e-3


def test_export_and_parity_refuse_bad_input_by_field(det_run, tmp_path: Path) -> None:
    def field(call) -> str:
        with pytest.raises(InputError) as caught:
            call()
        return caught.value.field

    best = det_run.output.best
    assert field(lambda: export_onnx(tmp_path / "none.pt", IMGSZ, tmp_path)) == "weights"
    assert field(lambda: export_onnx(best, 16, tmp_path)) == "imgsz"
    assert field(lambda: export_onnx(best, IMGSZ, tmp_path, opset=True)) == "opset"
    assert field(lambda: onnx_parity(best, tmp_path / "none.onnx", imgsz=IMGSZ)) == "onnx_path"
    onnx_path = export_onnx(best, IMGSZ, tmp_path / "e")
    assert field(lambda: onnx_parity(best, onnx_path, imgsz=128)) == "imgsz"
    assert field(lambda: onnx_parity(best, onnx_path, imgsz=IMGSZ, images=[])) == "images"
    gray = np.zeros((20, 20), dtype=np.uint8)
    assert field(lambda: onnx_parity(best, onnx_path, imgsz=IMGSZ, images=[gray])) == "images"


def test_tensorrt_availability_says_why_not() -> None:
    available, reason = tensorrt_available()
    if not torch.cuda.is_available():
        assert available is False
        assert reason.startswith("TensorRT needs an NVIDIA GPU and the tensorrt package")
    else:
        assert available or "tensorrt package" in reason


_floats = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(
    values=st.lists(_floats, min_size=1, max_size=20),
    deltas=st.lists(st.floats(-2, 2), min_size=20, max_size=20),
    atol=st.floats(0, 1),
    rtol=st.floats(0, 1e-3),
)
def test_parity_comparison_is_numpy_allclose_for_finite_values(
    values: list[float], deltas: list[float], atol: float, rtol: float
) -> None:
    reference = np.array(values)
    produced = reference + np.array(deltas[: len(values)])
    worst, scale, close = compare_arrays(reference, produced, atol, rtol)
    assert close == bool(np.allclose(produced, reference, atol=atol, rtol=rtol))
    assert worst == pytest.approx(float(np.max(np.abs(produced - reference))))
    assert scale == float(np.max(np.abs(reference)))


@given(values=st.lists(_floats, min_size=1, max_size=8), bad=st.sampled_from([np.nan, np.inf, -np.inf]), where=st.integers(0, 7))
def test_parity_comparison_fails_on_any_non_finite_value(values: list[float], bad: float, where: int) -> None:
    reference = np.array(values)
    produced = reference.copy()
    produced[where % len(values)] = bad
    worst, _, close = compare_arrays(reference, produced, 1.0, 1.0)
    assert not close and worst == np.inf
    assert not compare_arrays(produced, reference, 1.0, 1.0)[2]  # NaN in the PyTorch output fails too


def test_a_segmentation_export_matches_on_both_outputs(tmp_path: Path) -> None:
    from ultralytics import YOLO

    weights = tmp_path / "seg.pt"
    YOLO("yolo11n-seg.yaml").save(str(weights))  # untrained: parity is about the graph, not the weights
    report = onnx_parity(weights, export_onnx(weights, IMGSZ, tmp_path), imgsz=IMGSZ, images=sample_images(1))
    assert report.passed, report
    assert [len(o.shape) for o in report.outputs] == [3, 4]  # detections with mask coefficients, mask prototypes
