"""Tiny YOLO datasets and one shared short training, for the framework tests.

The datasets come from the toolkit's own sample generator and YOLO writer: 12 images of
64 px, 9 train / 3 val, written once per session for detection and for segmentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from synapse_nb.formats.raw import RawDataset
from synapse_nb.formats.yolo import write_yolo
from synapse_nb.samples import generate_sample_project

IMGSZ = 64
TINY = {"imgsz": IMGSZ, "batch": 4, "workers": 0, "plots": False, "seed": 0}


@dataclass
class ListSink:
    """A MetricSink that keeps everything in memory."""

    metrics: list[tuple[str, str, float, int | None]] = field(default_factory=list)
    progress: list[tuple[float, float, str]] = field(default_factory=list)

    def log_metric(self, category: str, key: str, value: float, *, epoch: int | None = None, step: int | None = None) -> None:
        self.metrics.append((category, key, value, epoch))

    def set_progress(self, current: float, total: float, category: str) -> None:
        self.progress.append((current, total, category))

    def keys(self, category: str) -> set[str]:
        return {k for c, k, _, _ in self.metrics if c == category}

    def epochs(self) -> list[int | None]:
        return sorted({e for *_, e in self.metrics}, key=lambda e: -1 if e is None else e)


@dataclass
class Recorder:
    """A YoloEpochCallback that records what it saw, including the trainer's own loss names."""

    calls: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    loss_names: tuple[str, ...] = ()

    def __call__(self, epoch: int, metrics: dict[str, float], trainer: Any) -> None:
        self.calls.append((epoch, metrics))
        self.loss_names = tuple(trainer.loss_names)


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
