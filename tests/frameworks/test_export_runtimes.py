"""Exports run through the path a TensorRT engine takes (ultralytics' AutoBackend), the
provider a session really got, and what happens where TensorRT cannot run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from synapse_nb.errors import InputError, StepFailed
from synapse_nb.frameworks.ultralytics_yolo import export_onnx, sample_images
from synapse_nb.frameworks.ultralytics_yolo.export import export_tensorrt
from synapse_nb.frameworks.ultralytics_yolo.runtimes import (
    CPU_PROVIDER,
    backend_provider,
    export_parity,
    onnx_providers,
    onnx_session,
    session_provider,
)

from fw_helpers import IMGSZ


@pytest.fixture(scope="module")
def det_onnx(det_run, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_onnx(det_run.output.best, IMGSZ, tmp_path_factory.mktemp("runtimes"))


def test_an_export_checked_through_autobackend_matches_pytorch_and_names_its_provider(det_run, det_onnx: Path) -> None:
    report = export_parity(det_run.output.best, det_onnx, IMGSZ, device="cpu")
    assert report.passed, report.summary()
    assert (report.runtime, report.provider, report.device) == ("onnxruntime", CPU_PROVIDER, "cpu")
    assert report.summary().endswith(f"{CPU_PROVIDER})")


def test_the_autobackend_parity_catches_other_weights(det_run, det_onnx: Path, tmp_path: Path) -> None:
    from ultralytics import YOLO

    other = tmp_path / "other.pt"
    shutil.copyfile(det_run.output.best, other)
    model = YOLO(str(other))
    with torch.no_grad():
        for parameter in model.model.model[-1].parameters():
            parameter.add_(0.01)
    model.save(str(other))
    report = export_parity(other, det_onnx, IMGSZ, images=sample_images(1))
    assert not report.passed and report.max_abs_diff > 1e-3


def test_a_session_reports_the_provider_it_got_not_the_one_asked(det_onnx: Path) -> None:
    import onnxruntime

    session = onnx_session(det_onnx, "cuda:0")
    got = session_provider(session)
    expected = "CUDAExecutionProvider" if "CUDAExecutionProvider" in onnxruntime.get_available_providers() else CPU_PROVIDER
    assert got == expected
    assert onnx_providers("cuda:1", available=[CPU_PROVIDER]) == [CPU_PROVIDER]
    from ultralytics.nn.autobackend import AutoBackend

    assert backend_provider(AutoBackend(str(det_onnx), device=torch.device("cpu"), verbose=False)) == CPU_PROVIDER


def test_bad_exports_are_named(det_run, tmp_path: Path) -> None:
    for bad in (tmp_path / "none.onnx", tmp_path / "model.tflite"):
        with pytest.raises(InputError) as caught:
            export_parity(det_run.output.best, bad, IMGSZ)
        assert caught.value.field == "exported_path"
    with pytest.raises(InputError):
        onnx_session(tmp_path / "none.onnx")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal where no GPU is visible")
def test_a_tensorrt_export_without_a_gpu_fails_with_the_reason(det_run, tmp_path: Path) -> None:
    with pytest.raises(StepFailed, match="TensorRT needs an NVIDIA GPU"):
        export_tensorrt(det_run.output.best, IMGSZ, tmp_path / "export", device="cuda:0")
    assert not (tmp_path / "export").exists()
