"""Tiny YOLO datasets and one shared short training, for the framework tests.

The datasets come from the toolkit's own sample generator and YOLO writer: 12 images of
64 px, 9 train / 3 val, written once per session for detection and for segmentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from synapse_nb.formats.raw import RawDataset
from synapse_nb.formats.yolo import write_yolo
from synapse_nb.samples import generate_sample_project

from fw_helpers import IMGSZ, TINY, ListSink, Recorder


def _split(raw: RawDataset) -> RawDataset:
    for index, item in enumerate(raw.items):
        item.split = "val" if index % 4 == 3 else "train"
    return raw


@pytest.fixture(scope="session")
def tiny_raw(tmp_path_factory: pytest.TempPathFactory) -> RawDataset:
    """12 sample images (squares, triangles, circles) of 64 px with a fixed train/val split."""
    raw = generate_sample_project(tmp_path_factory.mktemp("fw-raw") / "shapes", num_images=12, image_size=IMGSZ, num_classes=3, seed=3)
    return _split(raw)


@pytest.fixture(scope="session")
def det_yaml(tiny_raw: RawDataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dataset.yaml of the tiny project written for detection."""
    return write_yolo(tiny_raw, tmp_path_factory.mktemp("fw-det") / "yolo", task="detect")


@pytest.fixture(scope="session")
def seg_yaml(tiny_raw: RawDataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dataset.yaml of the tiny project written for segmentation."""
    return write_yolo(tiny_raw, tmp_path_factory.mktemp("fw-seg") / "yolo", task="segment")


@dataclass
class DetRun:
    """The shared 2-epoch detection training and what its hooks saw."""

    output: Any
    sink: ListSink
    recorder: Recorder
    epochs: int


@pytest.fixture(scope="session")
def det_run(det_yaml: Path, tmp_path_factory: pytest.TempPathFactory) -> DetRun:
    """yolov8n from its YAML, 2 epochs at 64 px, with autolog to a ListSink and a Recorder."""
    from synapse_nb.frameworks.ultralytics_yolo import SinkAutolog, train_yolo

    sink, recorder = ListSink(), Recorder()
    output = train_yolo(
        det_yaml,
        "yolov8n.yaml",
        {**TINY, "epochs": 2},
        tmp_path_factory.mktemp("fw-runs") / "det",
        callbacks=[SinkAutolog(sink, total_epochs=2), recorder],
        device="cpu",
    )
    return DetRun(output=output, sink=sink, recorder=recorder, epochs=2)
