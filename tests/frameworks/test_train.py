"""Short real trainings: autolog for detection and segmentation, resume, bad input up front."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from synapse_nb.errors import InputError
from synapse_nb.frameworks.ultralytics_yolo import SinkAutolog, attach_autolog, metric_names, train_yolo
from synapse_nb.frameworks.ultralytics_yolo.autolog import PER_CLASS

from fw_helpers import TINY, ListSink, Recorder

BOX_METRICS = {"precision", "recall", "mAP50", "mAP50-95"}


def test_detection_autolog_sends_every_loss_metric_and_learning_rate(det_run) -> None:
    sink, recorder = det_run.sink, det_run.recorder
    loss_names = set(recorder.loss_names)
    assert loss_names >= {"box_loss", "cls_loss", "dfl_loss"}
    assert sink.keys("train") == loss_names | {"lr/pg0", "lr/pg1", "lr/pg2"}
    # and ultralytics' fitness (what it picks best.pt by), so `fitness` can be the tune metric
    assert sink.keys("val") == loss_names | BOX_METRICS | {"fitness"}
    # every (category, key) once per epoch, epochs counted from 0, no extra final call
    assert sink.epochs() == [0, 1]
    # ... and each class's AP50 and AP50-95 (the sample project's three classes)
    assert len(sink.keys(PER_CLASS)) == 2 * 3
    per_epoch = len(sink.keys("train")) + len(sink.keys("val")) + len(sink.keys(PER_CLASS))
    assert len(sink.metrics) == per_epoch * det_run.epochs
    assert [epoch for epoch, _ in recorder.calls] == [0, 1]
    assert sink.progress == [(1, 2, "train"), (2, 2, "train")]


def test_a_finished_training_reports_its_files_and_final_metrics(det_run) -> None:
    out = det_run.output
    assert out.epochs_completed == 2 and out.task == "detect" and out.device == "cpu"
    assert out.last.is_file() and out.best is not None and out.best.is_file()
    assert out.save_dir / "weights" / "last.pt" == out.last
    assert {"metrics/mAP50(B)", "metrics/mAP50-95(B)"} <= set(out.results_dict)
    assert (out.save_dir / "results.csv").read_text().count("\n") == 3  # header + 2 epochs
    assert out.duration_s > 0


def test_segmentation_autolog_has_its_own_losses_and_mask_metrics(seg_yaml: Path, tmp_path: Path) -> None:
    sink, recorder = ListSink(), Recorder()
    out = train_yolo(seg_yaml, "yolo11n-seg.yaml", {**TINY, "epochs": 1}, tmp_path / "seg",
                     callbacks=[SinkAutolog(sink, 1), recorder], device="cpu")
    assert out.task == "segment"
    loss_names = set(recorder.loss_names)
    assert "seg_loss" in loss_names and len(loss_names) > 3  # not the three detection losses
    assert sink.keys("train") >= loss_names
    assert sink.keys("val") >= loss_names | BOX_METRICS | {f"mask_{m}" for m in BOX_METRICS}
    assert sink.epochs() == [0] and sink.progress == [(1, 1, "train")]
    reported = set(recorder.calls[-1][1])
    assert {k for k in reported if not k.startswith(f"{PER_CLASS}/")} <= set(metric_names("instance segmentation"))
    assert any(k.startswith(f"{PER_CLASS}/mask_AP50/") for k in reported)


class Interrupt(Exception):
    """Stands for a crash or a stop in the middle of a run."""


def test_an_interrupted_run_resumes_at_its_next_epoch(det_yaml: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "resumable"
    seen: list[int] = []

    def crash_after_second_epoch(epoch: int, metrics: dict[str, float], trainer: Any) -> None:
        seen.append(epoch)
        if epoch == 1:
            raise Interrupt

    with pytest.raises(Interrupt):
        train_yolo(det_yaml, "yolov8n.yaml", {**TINY, "epochs": 3}, run_dir, callbacks=[crash_after_second_epoch], device="cpu")
    last = run_dir / "weights" / "last.pt"
    assert seen == [0, 1] and torch.load(last, weights_only=False)["epoch"] == 1

    sink = ListSink()
    out = train_yolo(det_yaml, "yolov8n.yaml", {}, run_dir, callbacks=[SinkAutolog(sink, 3)], resume=last, device="cpu")
    assert sink.epochs() == [2]  # only the missing epoch ran
    assert sink.progress == [(3, 3, "train")]
    assert out.epochs_completed == 3 and out.save_dir == run_dir
    assert (run_dir / "results.csv").read_text().count("\n") == 4  # header + epochs 1, 2, 3


def test_bad_input_is_refused_before_anything_is_written(det_yaml: Path, tmp_path: Path) -> None:
    def refused(**overrides: Any) -> InputError:
        args: dict[str, Any] = {"data_yaml": det_yaml, "model": "yolov8n.yaml", "hyperparameters": {"epochs": 1},
                                "run_dir": tmp_path / "never", "device": "cpu"}
        with pytest.raises(InputError) as caught:
            train_yolo(**{**args, **overrides})
        assert not (tmp_path / "never").exists()
        return caught.value

    assert refused(data_yaml=tmp_path / "missing.yaml").field == "data_yaml"
    assert refused(model=tmp_path / "missing.pt").field == "model"
    assert refused(model="yolov8n").field == "model"
    assert refused(model="yolo99z.yaml").field == "model"
    assert refused(hyperparameters={"epoch": 1}).field == "hyperparameters.epoch"
    assert refused(hyperparameters={"data": "other.yaml"}).field == "hyperparameters.data"
    assert refused(resume=tmp_path / "nowhere" / "last.pt").field == "resume"
    used = tmp_path / "used"
    used.mkdir()
    (used / "results.csv").write_text("epoch\n")
    assert refused(run_dir=used).field == "run_dir"
    assert (used / "results.csv").read_text() == "epoch\n"


def test_autolog_attaches_to_a_plain_yolo_model(det_yaml: Path, tmp_path: Path) -> None:
    from ultralytics import YOLO

    model, sink = YOLO("yolov8n.yaml"), ListSink()
    attach_autolog(model, sink, total_epochs=1)
    model.train(data=str(det_yaml), epochs=1, project=str(tmp_path), name="plain", device="cpu", **TINY)
    assert sink.epochs() == [0] and {"box_loss", "mAP50"} <= sink.keys("val") | sink.keys("train")


def test_every_reported_metric_is_a_name_tuning_may_optimise(det_run) -> None:
    from synapse_nb.frameworks.ultralytics_yolo import framework

    # per-class curves are named by the project's classes: shown, not searched on
    reported = {k for k in det_run.recorder.calls[-1][1] if not k.startswith(f"{PER_CLASS}/")}
    assert reported <= set(metric_names("object detection")) <= set(framework.tune_metrics)
    assert "val/mAP50-95" in reported
