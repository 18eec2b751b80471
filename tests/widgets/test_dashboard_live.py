"""The live dashboard of a task against the real backend: the test claims the task as its
agent and reports metrics, progress and logs through TrainRun, as a training run does."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from synapse_nb.actions.train.run import TrainRun
from synapse_nb.benchmark import BenchmarkReport, evaluate_detections, speed_test
from synapse_nb.benchmark.speed import SpeedSample
from synapse_nb.widgets import TaskDashboard

GT = {
    "images": [{"id": 1, "width": 100, "height": 100}, {"id": 2, "width": 100, "height": 100}],
    "categories": [{"id": 1, "name": "square"}, {"id": 2, "name": "triangle"}],
    "annotations": [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 40, 40]},
                    {"image_id": 2, "category_id": 2, "bbox": [50, 50, 30, 30]}],
}
DETECTIONS = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 40, 40], "score": 0.9},
              {"image_id": 2, "category_id": 2, "bbox": [10, 10, 20, 20], "score": 0.6}]


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll ``condition`` (the dashboard updates on its own thread); not a timing assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def log_epoch(run: TrainRun, epoch: int, extra: dict[str, float] | None = None) -> None:
    run.log_metrics("train", {"box_loss": 2.0 - 0.3 * epoch, "cls_loss": 1.5 - 0.2 * epoch}, epoch=epoch)
    run.log_metrics("val", {"box_loss": 2.2 - 0.3 * epoch, "mAP50": 0.1 * epoch, "mAP50-95": 0.05 * epoch,
                            **(extra or {})}, epoch=epoch)
    run.log_metric("train", "lr/pg0", 0.01 - 0.001 * epoch, epoch=epoch)
    run.set_progress(epoch + 1, 3, "train")
    run.log(f"epoch {epoch} done")


def test_metrics_of_a_running_task_update_the_charts_in_place(running_task: Callable[..., Any], api: Any) -> None:
    task = running_task()
    dashboard = TaskDashboard(task, start=False)
    losses, quality, other = (dashboard.charts.figure(n) for n in ("losses", "quality", "other"))
    assert len(losses.data) == 0 and losses.layout.annotations[0].text == "no data yet"
    run = TrainRun(api, task.id)
    log_epoch(run, 0)
    assert run.flush()

    assert dashboard.refresh() is True
    assert [t.name for t in losses.data] == ["train/box_loss", "train/cls_loss", "val/box_loss"]
    assert [t.name for t in quality.data] == ["val/mAP50", "val/mAP50-95"]
    assert [t.name for t in other.data] == ["train/lr/pg0"]
    assert losses.layout.annotations == () and losses.layout.xaxis.title.text == "epoch"
    assert other in dashboard.charts.widget.children
    map_trace = quality.data[0]

    log_epoch(run, 1, extra={"recall": 0.4})
    assert run.flush()
    assert dashboard.refresh() is True
    # Same figures, same traces; one trace added for the one new series.
    assert dashboard.charts.figure("quality") is quality and quality.data[0] is map_trace
    assert [t.name for t in quality.data] == ["val/mAP50", "val/mAP50-95", "val/recall"]
    assert list(map_trace.x) == [0, 1] and list(map_trace.y) == pytest.approx([0.0, 0.1])
    # Only what is new is asked for: nothing arrives twice.
    assert dashboard.fetch().points == []
    assert dashboard.store.cursor == max(p.seq for p in api.task.metrics(task.id))

    train_bar = dashboard._bars["train"][0]
    assert train_bar.value == pytest.approx(2 / 3) and "overall" in dashboard._bars
    assert "epoch 1 done" in dashboard.log_html.value and "running" in dashboard.status_line.value
    assert dashboard.report_box.children == ()
    dashboard.close()


def _benchmark_report() -> BenchmarkReport:
    speed = speed_test(lambda batch: SpeedSample(preprocess_ms=1, inference_ms=3, postprocess_ms=0.5),
                       [np.zeros((8, 8, 3), np.uint8)], batch_sizes=(1, 8), warmup=1, runs=2)
    return BenchmarkReport(model_name="yolov8n-det", val_size=2, speed=speed,
                           evaluation={"pytorch": evaluate_detections(GT, DETECTIONS)})


def test_a_finished_task_shows_its_experiment_and_benchmark_and_polling_stops(running_task: Callable[..., Any],
                                                                               api: Any) -> None:
    task = running_task()
    run = TrainRun(api, task.id)
    log_epoch(run, 0)
    # As the train action does: the whole report as a visualization, a summary in the experiment.
    report = _benchmark_report()
    run.log_visualization("benchmark", "report", report.model_dump(mode="json"), kind="table")
    assert run.flush()
    experiment = {"experiment_name": "widgets finished", "framework_name": "YOLO", "model_name": "yolov8n-det",
                  "task_id": task.id, "training_duration": 125.0, "train_size": 18, "val_size": 6, "device": "cpu",
                  "best_checkpoint": "checkpoints/best.pt", "export": {"onnx": "export/best.onnx"},
                  "evaluation_metrics": report.metrics(), "primary_metric": "map", "model_id": 7,
                  "benchmark_report": {"metrics": report.metrics(), "val_size": 2}}
    dashboard = TaskDashboard(task, interval=0.1)
    assert wait_until(lambda: len(dashboard.charts.figure("losses").data) == 3)
    streamed_losses = dashboard.charts.figure("losses")
    api.task.set_status(task.id, "finished", result={"model_id": 7, "experiment": experiment})

    assert wait_until(lambda: not dashboard.polling), "polling did not stop after the task finished"
    assert dashboard.record.status == "finished" and "finished" in dashboard.status_line.value
    report = dashboard.report_box.children[0]
    summary = report.children[0].value
    for text in ("widgets finished", "YOLO/yolov8n-det", "2m 05s", "18 train / 6 val", "onnx (export/best.onnx)",
                 "map (primary)", "id 7"):
        assert text in summary
    titles = [child.layout.title.text for child in report.children if hasattr(child, "layout") and hasattr(child, "data")]
    # every section of the benchmark report: metrics, per-class AP, PR, the matching-derived
    # sections (outcomes, confusion, calibration...) and the speed table
    assert any("AP" in t for t in titles) and any("peed" in t for t in titles)
    assert any("onfus" in t for t in titles) and any("eliability" in t for t in titles), titles
    # People read text and figures: no record dumped as JSON.
    html_values = [c.value for c in report.children if hasattr(c, "value") and isinstance(c.value, str)]
    assert not any('{"' in value or "{'" in value for value in html_values)
    assert dashboard.stop_button.layout.display == "none"
    assert [t.name for t in dashboard.charts.figure("quality").data] == ["val/mAP50", "val/mAP50-95"]
    # The ended task's charts on the page are figure widgets built from the complete figures,
    # not the ones that received the edits (see MetricCharts.redraw).
    assert dashboard.charts.figure("losses") in dashboard.charts.widget.children
    assert dashboard.charts.figure("losses") is not streamed_losses
    assert [t.name for t in dashboard.charts.figure("losses").data] == [t.name for t in streamed_losses.data]


def test_a_failed_task_says_which_step_failed_and_why(running_task: Callable[..., Any], api: Any) -> None:
    task = running_task()
    api.task.set_status(task.id, "failed", error={"step": "train", "message": "CUDA out of memory",
                                                  "traceback": "Traceback (most recent call last): ..."})
    dashboard = TaskDashboard(task, start=False)
    assert dashboard.refresh() is False
    text = dashboard.report_box.children[0].children[0].value
    assert "Task failed in step &#x27;train&#x27;" in text and "CUDA out of memory" in text and "<details>" in text
    assert "failed" in dashboard.status_line.value


def test_the_background_poll_shows_a_new_metric_without_blocking(running_task: Callable[..., Any], api: Any) -> None:
    task = running_task()
    dashboard = TaskDashboard(task, interval=0.1)
    assert dashboard.polling and threading.current_thread() is threading.main_thread()
    run = TrainRun(api, task.id)
    run.log_metric("val", "mAP50-95", 0.25, epoch=0)
    quality = dashboard.charts.figure("quality")
    assert wait_until(lambda: len(quality.data) == 1 and list(quality.data[0].y) == [0.25])
    run.log_metric("val", "mAP50-95", 0.5, epoch=1)
    assert wait_until(lambda: list(quality.data[0].y) == [0.25, 0.5])
    run.close()

    dashboard.stop_button.click()
    assert api.task.get(task.id).status == "stopping"
    api.task.set_status(task.id, "stopped")
    assert wait_until(lambda: not dashboard.polling)
    assert "stopped" in dashboard.report_box.children[0].children[0].value
    dashboard.close()


def test_task_dashboard_is_what_task_dashboard_returns(running_task: Callable[..., Any]) -> None:
    task = running_task()
    dashboard = task.dashboard()
    try:
        assert isinstance(dashboard, TaskDashboard) and dashboard.record.id == task.id
        bundle = dashboard._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" in bundle
    finally:
        dashboard.close()
        task.api.task.set_status(task.id, "finished", result={})


class _ThreadRecordingDashboard(TaskDashboard):
    """The real dashboard, noting the thread each update runs on."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.update_threads: list[str] = []
        super().__init__(*args, **kwargs)

    def apply(self, snapshot: Any) -> None:
        self.update_threads.append(threading.current_thread().name)
        super().apply(snapshot)


def test_widgets_change_only_on_the_kernel_loop_the_dashboard_was_made_on(running_task: Callable[..., Any],
                                                                          api: Any) -> None:
    # A kernel runs cells and widget messages on an asyncio loop: here, a loop on its own thread.
    loop = asyncio.new_event_loop()
    kernel = threading.Thread(target=loop.run_forever, name="kernel-loop", daemon=True)
    kernel.start()
    task = running_task()

    async def make() -> TaskDashboard:
        return _ThreadRecordingDashboard(task, interval=0.1)

    dashboard = asyncio.run_coroutine_threadsafe(make(), loop).result(30)
    try:
        run = TrainRun(api, task.id)
        run.log_metric("val", "mAP50", 0.5, epoch=0)
        run.close()
        quality = dashboard.charts.figure("quality")
        assert wait_until(lambda: len(quality.data) == 1)
        assert dashboard.polling and dashboard.update_threads
        assert set(dashboard.update_threads) == {"kernel-loop"}
    finally:
        dashboard.close()
        loop.call_soon_threadsafe(loop.stop)
        kernel.join(10)
        loop.close()
