"""predict_coco, evaluate_detections and the speed test on a real (untrained) ultralytics model.

The model is built from yolo11n.yaml (no download). Its class biases are set so that it
predicts boxes of three classes with high confidence: untrained, it would predict nothing
and the class mapping would go untested. The scores say nothing about quality; the tests
check that the pipeline runs end to end, for the checkpoint and for its ONNX export.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from synapse_nb._offline import configure_ultralytics
from synapse_nb.benchmark import BenchmarkReport, coco_image_paths, evaluate_detections, predict_coco, speed_test, yolo_predictor
from synapse_nb.errors import InputError
from synapse_nb.widgets.figures.benchmark import report_figures

IMGSZ = 64
NAMES = ["circle", "square", "star"] + [f"class{i}" for i in range(3, 80)]


@dataclass
class Split:
    coco: dict[str, Any]
    images_dir: Path


@dataclass
class Models:
    pt: Path
    onnx: Path


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> Split:
    """Four 64x64 images with one labelled shape each; 'triangle' is a class the model lacks."""
    root = tmp_path_factory.mktemp("val")
    rng = np.random.default_rng(0)
    images, annotations = [], []
    for i in range(4):
        pixels = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
        pixels[10:40, 12:44] = (255, 255, 255)
        Image.fromarray(pixels).save(root / f"img{i}.png")
        images.append({"id": i + 1, "file_name": f"img{i}.png", "width": 64, "height": 64})
        annotations.append({"id": i + 1, "image_id": i + 1, "category_id": 1 + i % 3, "bbox": [12, 10, 32, 30],
                            "area": 960, "iscrowd": 0})
    categories = [{"id": 1, "name": "circle"}, {"id": 2, "name": "square"}, {"id": 3, "name": "triangle"}]
    return Split(coco={"images": images, "annotations": annotations, "categories": categories}, images_dir=root)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Models:
    configure_ultralytics()
    import torch
    from ultralytics import YOLO

    folder = tmp_path_factory.mktemp("model")
    model = YOLO("yolo11n.yaml")
    head = model.model.model[-1]
    with torch.no_grad():
        for branch in head.cv3:
            classifier = branch[-1]
            classifier.bias.fill_(-10.0)
            classifier.bias[:3] = 4.0  # circle, square, star: confident boxes everywhere
    model.model.names = dict(enumerate(NAMES))
    model.save(folder / "model.pt")
    onnx = YOLO(str(folder / "model.pt")).export(format="onnx", imgsz=IMGSZ)
    return Models(pt=folder / "model.pt", onnx=Path(onnx))


def _check_detections(detections: list[dict[str, Any]], split: Split) -> None:
    image_ids = {img["id"] for img in split.coco["images"]}
    assert detections, "the biased model predicts boxes"
    for det in detections:
        assert set(det) == {"image_id", "category_id", "bbox", "score"}
        assert det["image_id"] in image_ids
        assert det["category_id"] in (1, 2)  # 'star' has no category in the split; 'triangle' never predicted
        assert len(det["bbox"]) == 4 and det["bbox"][2] >= 0 and det["bbox"][3] >= 0
        assert 0.001 <= det["score"] <= 1.0
    per_image = {i: sum(d["image_id"] == i for d in detections) for i in image_ids}
    assert max(per_image.values()) <= 100


@pytest.mark.parametrize("kind", ["pt", "onnx"])
def test_predict_and_evaluate(kind: str, split: Split, models: Models, caplog, no_network):
    path = getattr(models, kind)
    with caplog.at_level(logging.WARNING, logger="synapse_nb.benchmark.predict"):
        detections = predict_coco(path, split.coco, split.images_dir, imgsz=IMGSZ)

    _check_detections(detections, split)
    assert "star" in caplog.text  # a model class the split lacks: skipped, with a note
    assert "triangle" in caplog.text  # a split class the model lacks: counted as missed
    report = evaluate_detections(split.coco, detections)
    assert 0.0 <= report.map <= report.map50 <= 1.0
    assert report.counts.images == 4 and report.counts.detections == len(detections)
    triangle = next(c for c in report.per_class if c.class_name == "triangle")
    assert (triangle.num_det, triangle.ap) == (0, 0.0)
    assert no_network == []


def test_onnx_and_pytorch_reports_side_by_side(split: Split, models: Models, tmp_path: Path):
    evaluation = {
        runtime: evaluate_detections(split.coco, predict_coco(path, split.coco, split.images_dir, imgsz=IMGSZ))
        for runtime, path in (("pytorch", models.pt), ("onnx", models.onnx))
    }
    report = BenchmarkReport(model_name="yolo11n-det", val_size=4, evaluation=evaluation)
    page = report.to_html(tmp_path / "report.html", report_figures).read_text(encoding="utf-8")
    assert "PyTorch" in page and "ONNX (onnxruntime)" in page


def test_class_names_override_the_models(split: Split, models: Models):
    names = ["square", "circle", "star"] + NAMES[3:]  # swap the first two classes
    swapped = predict_coco(models.pt, split.coco, split.images_dir, imgsz=IMGSZ, class_names=names)
    plain = predict_coco(models.pt, split.coco, split.images_dir, imgsz=IMGSZ)

    assert [d["category_id"] for d in swapped] == [3 - d["category_id"] for d in plain]


def test_speed_test_on_the_val_images(split: Split, models: Models):
    images = coco_image_paths(split.coco, split.images_dir)
    pytorch = speed_test(yolo_predictor(models.pt, IMGSZ), images, batch_sizes=(1, 2), warmup=1, runs=2)
    onnx = speed_test(yolo_predictor(models.onnx, IMGSZ), images, batch_sizes=(1,), warmup=1, runs=2)

    assert [(r.runtime, r.batch_size) for r in pytorch.rows] == [("pytorch", 1), ("pytorch", 2)]
    assert [(r.runtime, r.batch_size) for r in onnx.rows] == [("onnxruntime", 1)]
    for row in pytorch.rows + onnx.rows:
        assert row.inference_ms > 0 and row.total_ms >= row.inference_ms and row.device == "cpu"
    assert pytorch.num_images == 4
    assert onnx.rows[0].provider == "CPUExecutionProvider" and pytorch.rows[0].provider is None
    assert [r.measured_runs for r in pytorch.rows] == [2, 2]


def test_bad_input_is_refused_before_loading(split: Split, tmp_path: Path):
    with pytest.raises(InputError) as info:
        predict_coco(tmp_path / "missing.onnx", split.coco, split.images_dir, imgsz=IMGSZ)
    assert info.value.field == "model_or_path"

    with pytest.raises(InputError) as info:
        predict_coco(tmp_path / "weights.h5", split.coco, split.images_dir, imgsz=IMGSZ)
    assert info.value.field == "model_or_path"

    coco = {**split.coco, "images": split.coco["images"] + [{"id": 9, "file_name": "gone.png", "width": 64, "height": 64}]}
    with pytest.raises(InputError) as info:
        coco_image_paths(coco, split.images_dir)
    assert info.value.field == "images_dir" and info.value.got == ["gone.png"]

