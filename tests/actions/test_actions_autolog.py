"""autolog through the engine: every loss of a segmentation model and its mask mAP."""

from __future__ import annotations

from pathlib import Path

import pytest

from synapse_nb.actions import run_local
from synapse_nb.api import Api
from synapse_nb.api.task import Task
from synapse_nb.frameworks.ultralytics_yolo.action import YoloTrainAction
from synapse_nb.schemas import Project
from tests.actions.engine_checks import check_progress_complete, epochs_by_key, newest_task

pytestmark = pytest.mark.slow

EPOCHS = 2
TINY = {"epochs": EPOCHS, "imgsz": 64, "batch": 8, "workers": 0, "plots": False, "seed": 0}
SEG_LOSSES = ("box_loss", "seg_loss", "cls_loss", "dfl_loss")
QUALITY = ("precision", "recall", "mAP50", "mAP50-95")


@pytest.fixture(scope="module")
def seg_task(api: Api, project: Project):
    """A segmentation model trained in this process, with the benchmark on."""
    # The sample project mixes boxes (squares) and polygons: shapes are converted for segmentation.
    run_local(YoloTrainAction, {"dataset": project.id, "model": "YOLO/yolov8n-seg", "hyperparameter": TINY,
                                "enable_benchmark": True}, api=api)
    return newest_task(api, project.id)


def test_a_segmentation_model_logs_every_loss_and_mask_map(api: Api, project: Project, seg_task) -> None:
    task = seg_task
    assert task.status == "finished", task.error
    logged = epochs_by_key(api, task.id)
    every_epoch = list(range(EPOCHS))
    for loss in SEG_LOSSES:
        assert logged.get(f"train/{loss}") == every_epoch, loss
        assert logged.get(f"val/{loss}") == every_epoch, loss
    for metric in QUALITY:
        assert logged.get(f"val/{metric}") == every_epoch, metric
        assert logged.get(f"val/mask_{metric}") == every_epoch, f"mask {metric}"
    # Per-class AP every epoch, for the classes of the val split; their mean is the mAP.
    per_class = {k for k in logged if k.startswith("val_per_class/AP50-95/")}
    assert per_class and per_class <= {f"val_per_class/AP50-95/{c.name}" for c in project.classes}
    assert all(logged[k] == every_epoch for k in per_class)
    frame = Task(api, task.id).metrics()
    last = frame[frame["epoch"] == EPOCHS - 1]
    box = last[(last["category"] == "val_per_class") & last["key"].str.startswith("AP50-95/")]["value"]
    overall = last[(last["category"] == "val") & (last["key"] == "mAP50-95")]["value"].iloc[0]
    assert box.mean() == pytest.approx(overall, abs=1e-6)
    assert all(logged.get(f"val_per_class/mask_AP50/{k.rsplit('/', 1)[1]}") == every_epoch for k in per_class)
    assert task.result["experiment"]["task_type"] == "instance segmentation"
    assert any("converted shapes of classes ['square']" in line.message for line in api.task.logs(task.id))
    check_progress_complete(task)
    # The benchmark scores masks (COCO segm) beside boxes, from the same predictions.
    experiment = task.result["experiment"]
    metrics = experiment["evaluation_metrics"]
    for key in ("map", "map50", "mask/map", "mask/map50", "mask/f1_optimal_confidence"):
        assert key in metrics, key
        assert metrics[key] is None or 0.0 <= metrics[key] <= 1.0, key
    report = next(v.data for v in api.task.visualizations(task.id) if v.category == "benchmark" and v.key == "report")
    segm = report["segmentation"]["pytorch"]
    assert segm["iou_type"] == "segm" and report["evaluation"]["pytorch"]["iou_type"] == "bbox"
    assert segm["counts"]["detections"] <= report["evaluation"]["pytorch"]["counts"]["detections"]
    assert segm["confusion_matrix"]["classes"][-1] == "(background)"


@pytest.mark.slow
def test_two_models_compare_side_by_side(api: Api, seg_task, tmp_path: Path) -> None:
    import synapse_nb as snb
    from synapse_nb.benchmark import BenchmarkReport
    from synapse_nb.errors import InputError
    from synapse_nb.widgets.benchmark_compare import comparison_warnings, disagreements, load_reports

    exported = seg_task
    exported_model_id = seg_task.result["experiment"]["model_id"]
    model_dir = api.model.download(exported_model_id, tmp_path / "model")

    # A second model in the registry: the mask evaluation of the same run, as its own report.
    report = BenchmarkReport.from_json(model_dir / "benchmark" / "report.json")
    as_model = report.model_copy(update={"model_name": "masks", "evaluation": {"pytorch": report.segmentation["pytorch"]}})
    second = api.model.create({"name": "masks-only", "framework": "YOLO", "model_name": "yolov8n-seg-masks"},
                              {"benchmark/report.json": as_model.to_json(tmp_path / "report.json")})
    reports = load_reports(api, [exported_model_id, second.id])
    assert list(reports) == [f"yolov8n-seg (model {exported_model_id})", f"yolov8n-seg-masks (model {second.id})"]
    assert comparison_warnings(reports) == []  # the same split, the same IoU
    found = disagreements(reports)
    assert set(found.all_wrong) <= {r.file_name for r in report.primary.per_image}
    view = snb.widgets.compare(api, [exported_model_id, second.id])
    assert "Compare: " in view.children[1].value
    # the ExperimentsBrowser's Compare action: the picked experiments' models side by side
    browser = snb.widgets.ExperimentsBrowser(api)
    browser.experiments.value = (exported.id,)
    browser.compare_benchmarks()
    assert len(browser.comparison.children) == 1 and "Compare: " in browser.comparison.children[0].children[1].value
    bare = api.model.create({"name": "no-benchmark", "framework": "YOLO"}, {"weights.pt": model_dir / "checkpoints" / "best.pt"})
    with pytest.raises(InputError) as info:
        snb.widgets.compare(api, [exported_model_id, bare.id])
    assert info.value.field == "model_ids"
