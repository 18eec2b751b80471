"""Training, validation and ONNX export reach for no network at all.

A user without internet (or behind a strict firewall) trains a model from its YAML with
plots on, validates it, exports it to ONNX and runs the export, while every connection
to anything but this machine is refused and recorded. The run must finish, and the list of
refused attempts must be empty: nothing even tried (fonts, weights, hub, telemetry,
update checks, pip installs).
"""

from __future__ import annotations

from pathlib import Path

from synapse_nb.formats.yolo import write_yolo
from synapse_nb.frameworks.ultralytics_yolo import export_onnx, onnx_parity, train_yolo
from synapse_nb.samples import generate_sample_project


def test_train_val_and_onnx_export_attempt_no_connection(no_network: list[object], tmp_path: Path) -> None:
    raw = generate_sample_project(tmp_path / "raw", num_images=10, image_size=64, num_classes=2, seed=5)
    for index, item in enumerate(raw.items):
        item.split = "val" if index % 5 == 0 else "train"
    data_yaml = write_yolo(raw, tmp_path / "yolo", task="detect")

    from ultralytics import YOLO
    from ultralytics.utils import is_online

    assert is_online() is False  # the connectivity probe ultralytics runs on import

    out = train_yolo(data_yaml, "yolo11n.yaml", {"epochs": 1, "imgsz": 64, "batch": 4, "plots": True}, tmp_path / "run")
    assert out.best is not None and out.best.is_file()
    assert (out.save_dir / "results.png").is_file()  # plots were drawn (with the local font)

    metrics = YOLO(str(out.best)).val(data=str(data_yaml), imgsz=64, batch=4, plots=True,
                                      project=str(tmp_path), name="val", device="cpu")
    assert "metrics/mAP50(B)" in metrics.results_dict

    onnx_path = export_onnx(out.best, 64, tmp_path / "export")
    assert onnx_parity(out.best, onnx_path, imgsz=64).passed
    onnx_model = YOLO(str(onnx_path), task="detect")
    onnx_model.predict(str(next((tmp_path / "yolo" / "images" / "val").rglob("*.jpg"))), imgsz=64, device="cpu")
    onnx_model.val(data=str(data_yaml), imgsz=64, batch=1, project=str(tmp_path), name="val-onnx", device="cpu")

    assert no_network == []
