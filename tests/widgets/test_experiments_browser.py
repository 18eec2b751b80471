"""Comparing finished experiments: the table and the overlay of one metric."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from synapse_nb.schemas import MetricPoint
from synapse_nb.widgets import ExperimentsBrowser
from synapse_nb.widgets.figures import theme


def finish_experiment(running_task: Callable[..., Any], api: Any, name: str, model: str, curve: list[float],
                      score: float) -> Any:
    task = running_task()
    api.task.log_metrics(task.id, [MetricPoint(category="val", key="mAP50-95", value=v, epoch=e) for e, v in enumerate(curve)]
                         + [MetricPoint(category="train", key="box_loss", value=2.0 - e, epoch=e) for e in range(len(curve))])
    experiment = {"experiment_name": name, "framework_name": "YOLO", "model_name": model, "task_id": task.id,
                  "training_duration": 60.0 + len(curve), "evaluation_metrics": {"map": score, "map50": score + 0.1},
                  "primary_metric": "map", "export": {"onnx": "export/best.onnx"}}
    api.task.set_status(task.id, "finished", result={"model_id": None, "experiment": experiment})
    return task


def test_finished_experiments_are_compared_in_a_table_and_an_overlay(running_task: Callable[..., Any], api: Any) -> None:
    first = finish_experiment(running_task, api, "browser yolov8n", "yolov8n-det", [0.1, 0.3, 0.4], 0.41)
    second = finish_experiment(running_task, api, "browser yolo11n", "yolo11n-det", [0.2, 0.5], 0.52)

    browser = ExperimentsBrowser(api)
    labels = {label: value for label, value in browser.experiments.options}
    assert labels["browser yolov8n"] == first.id and labels["browser yolo11n"] == second.id
    browser.experiments.value = (second.id, first.id)

    table = browser.table.data[0]
    names = [c.replace("\xa0", " ") for c in table.cells.values[0]]
    assert names == [f"{theme.BEST_MARK} browser yolo11n", "browser yolov8n"]  # best map first
    assert "map\xa0▼" in list(table.header.values)  # non-breaking: see widgets._common.unwrapped
    assert browser.metric.value == "mAP50-95" and "box_loss" in browser.metric.options
    overlay = browser.overlay
    assert sorted(t.name for t in overlay.data) == ["browser yolo11n", "browser yolov8n"]
    by_name = {t.name: t for t in overlay.data}
    assert list(by_name["browser yolov8n"].y) == [0.1, 0.3, 0.4]

    browser.metric.value = "box_loss"
    assert list({t.name: t for t in browser.overlay.data}["browser yolo11n"].y) == [2.0, 1.0]
    browser.sort_by.value = "map50"
    assert "map50\xa0▼" in list(browser.table.data[0].header.values)

    browser.experiments.value = ()
    assert browser.table.data == () and browser.overlay.data == ()


def test_names_shared_by_experiments_get_their_task_id(running_task: Callable[..., Any], api: Any) -> None:
    a = finish_experiment(running_task, api, "browser twin", "yolov8n-det", [0.1], 0.1)
    b = finish_experiment(running_task, api, "browser twin", "yolov8n-det", [0.2], 0.2)
    browser = ExperimentsBrowser(api)
    labels = [label for label, _value in browser.experiments.options]
    assert f"browser twin (task {a.id})" in labels and f"browser twin (task {b.id})" in labels
