"""The export and benchmark steps through TrainApi.run on the agent, checked from the outside."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

import synapse_nb as snb
from synapse_nb.api import Api
from synapse_nb.api.task import Task
from synapse_nb.errors import InputError
from synapse_nb.schemas import Project
from tests.actions.conftest import WAIT
from tests.actions.engine_checks import check_experiment_layout, check_progress_complete, download_model

IMGSZ = 64
HYPERPARAMETERS = f"epochs: 2\nimgsz: {IMGSZ}\nbatch: 8\nworkers: 0\nplots: false\nseed: 0\n"
SPLIT = snb.RandomSplit(percent=75, split="train", seed=1)


@pytest.fixture(scope="module")
def exported(api: Api, agent_id: int, project: Project) -> Task:
    """YOLO trained on the agent with ONNX export and the benchmark (pipeline: all six steps)."""
    task = snb.TrainApi(api).run(agent_id, project.id, model="YOLO/yolov8n-det", train_val_split=SPLIT,
                                 hyperparameters=HYPERPARAMETERS, export_onnx=True, enable_benchmark=True)
    task.wait(timeout=WAIT, progress=False)
    return task


@pytest.fixture(scope="module")
def model_dir(api: Api, exported: Task, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trained model's files, downloaded from the registry."""
    return download_model(api, exported.model_id, tmp_path_factory.mktemp("exported"))


def test_tensorrt_on_a_cpu_agent_is_refused_before_any_task_exists(api: Api, agent_id: int, project: Project) -> None:
    before = api.task.list(project_id=project.id, limit=1).total
    with pytest.raises(InputError) as error:
        snb.TrainApi(api).run(agent_id, project.id, model="YOLO/yolov8n-det", hyperparameters=HYPERPARAMETERS,
                              export_tensorrt=True)
    assert error.value.field == "export_tensorrt"
    assert api.task.list(project_id=project.id, limit=1).total == before, "no task was created"


@pytest.mark.slow
def test_the_pipeline_ran_every_step_and_ended_at_100_percent(api: Api, exported: Task, tmp_path: Path) -> None:
    record = exported.record
    check_progress_complete(record)
    assert {"dataset", "train", "export", "benchmark", "model_upload"} == set(record.progress)
    started = [m for m in exported.logs()["message"] if m.startswith("step ") and m.endswith(": started")]
    assert started == [f"step {s}: started" for s in
                       ("export_dataset", "convert_dataset", "train", "export_model", "benchmark", "model_upload")]
    info = check_experiment_layout(api, record, tmp_path)
    assert info["export"] == {"onnx": "export/best.onnx"}


@pytest.mark.slow
def test_the_onnx_export_loads_in_onnxruntime_and_matches_pytorch(exported: Task, model_dir: Path,
                                                                 project: Project) -> None:
    import numpy as np
    import onnxruntime as ort

    from synapse_nb.frameworks.ultralytics_yolo import onnx_parity

    onnx_path = model_dir / "export" / "best.onnx"
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (model_input,) = session.get_inputs()
    assert model_input.shape == [1, 3, IMGSZ, IMGSZ]
    (output,) = session.run(None, {model_input.name: np.zeros((1, 3, IMGSZ, IMGSZ), dtype=np.float32)})
    assert output.shape[1] == 4 + len(project.class_names())
    assert json.loads((model_dir / "export" / "classes.json").read_text()) == project.class_names()
    assert onnx_parity(model_dir / "checkpoints" / "best.pt", onnx_path, imgsz=IMGSZ).passed
    assert any(m.startswith("ONNX export checked against PyTorch: passed: max abs diff") for m in exported.logs()["message"])


@pytest.mark.slow
def test_benchmark_metrics_equal_pycocotools_on_the_same_predictions(api: Api, exported: Task, model_dir: Path,
                                                                      project: Project, tmp_path: Path) -> None:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    from synapse_nb.benchmark import predict_coco

    # The val split as a user exports it (not the engine's files), and the model's predictions on it.
    api.project.export(project.id, "coco", tmp_path / "coco", split=SPLIT, progress=False)
    gt_path = tmp_path / "coco" / "annotations_val.json"
    split_record = json.loads((model_dir / "train_val_split.json").read_text())
    gt = json.loads(gt_path.read_text())
    assert len(gt["images"]) == len(split_record["val"]) == exported.experiment.val_size
    report = json.loads((model_dir / "benchmark" / "report.json").read_text())
    metrics = exported.experiment.evaluation_metrics

    for runtime, weights in (("pytorch", "checkpoints/best.pt"), ("onnx", "export/best.onnx")):
        detections = predict_coco(model_dir / weights, gt_path, tmp_path / "coco" / "images", IMGSZ,
                                  class_names=project.class_names())
        with contextlib.redirect_stdout(io.StringIO()):
            coco_gt = COCO(str(gt_path))
            evaluator = COCOeval(coco_gt, coco_gt.loadRes(detections) if detections else COCO(), "bbox")
            evaluator.evaluate()
            evaluator.accumulate()
            evaluator.summarize()
        stats = evaluator.stats
        prefix = "" if runtime == "pytorch" else "onnx/"
        for index, key in enumerate(("map", "map50", "map75")):
            assert metrics[prefix + key] == pytest.approx(max(stats[index], 0.0), abs=1e-9), (runtime, key)
        evaluation = report["evaluation"][runtime]
        assert evaluation["counts"]["detections"] == len(detections), runtime
        per_class = {c["class_name"]: (c["num_gt"], c["num_det"]) for c in evaluation["per_class"]}
        expected = {c["name"]: (sum(a["category_id"] == c["id"] for a in gt["annotations"]),
                                sum(d["category_id"] == c["id"] for d in detections)) for c in gt["categories"]}
        assert per_class == expected, runtime


@pytest.mark.slow
def test_the_benchmark_has_every_section_and_they_agree(exported: Task, model_dir: Path) -> None:
    report = json.loads((model_dir / "benchmark" / "report.json").read_text())
    for runtime in ("pytorch", "onnx"):
        ev = report["evaluation"][runtime]
        outcomes = ev["outcomes"]["overall"]
        tp, fp, fn = outcomes["tp"], outcomes["fp"], outcomes["fn"]
        # precision and recall at the F1-optimal confidence are the outcome counts'
        if ev["f1_optimal_confidence"] is not None:
            assert ev["precision"] == pytest.approx(tp / (tp + fp)), runtime
            assert ev["recall"] == pytest.approx(tp / (tp + fn)), runtime
        counts = ev["confusion_matrix"]["counts"]
        assert ev["confusion_matrix"]["classes"][-1] == "(background)"
        assert sum(counts[i][i] for i in range(len(counts) - 1)) == tp
        num_gt = [c["num_gt"] for c in ev["per_class"]]
        assert [sum(row) for row in counts[:-1]] == num_gt
        per_image = ev["per_image"]
        assert len(per_image) == exported.experiment.val_size
        assert sum(r["tp"] for r in per_image) == tp and sum(r["fn"] for r in per_image) == fn
        assert sum(r["fp"] for r in per_image) == fp
        assert len(ev["confidence_profile"]["thresholds"]) == 101
        assert len(ev["pr_curve"]["overall"]["recall"]) == 101
        assert ev["calibration"]["bins"] and "histogram" in ev["localization"]
    # the export was scored on the same split and checked against PyTorch
    (check,) = report["export_checks"]
    assert check["runtime"] == "onnx" and check["within_tolerance"], check
    assert any(m.startswith("export evaluated on the val split: onnx") for m in exported.logs()["message"])
    assert report["split_fingerprint"]
    # the F1-optimal confidence is the model's default threshold
    info = json.loads((model_dir / "experiment_info.json").read_text())
    assert info["default_confidence"] == report["evaluation"]["pytorch"]["f1_optimal_confidence"]
    page = (model_dir / "benchmark" / "report.html").read_text()
    for div in ("confusion-matrix", "reliability-diagram", "confidence-profile", "per-image-table", "export-checks"):
        assert f'id="benchmark-{div}"' in page, div
    if any(r["fp"] + r["fn"] for r in report["evaluation"]["pytorch"]["per_image"]):
        assert "data:image/png;base64," in page  # thumbnails of the worst images, embedded

