"""TrainApi.run end to end: a real backend, a real agent on its own local Ray, tiny YOLO
trainings (24 images of 64 px, 1 epoch) with each of the four split kinds, a class filter,
benchmark and exports on and off, autostart=False, stop mid-training, and failing export
and benchmark steps that fail the task instead of reporting success.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

import synapse_nb as snb
from synapse_nb.errors import TaskFailed, TaskStopped
from synapse_nb.schemas import Project
from tests.agent.e2e_helpers import PLUGIN, TINY_YOLO, AgentProcess, Backend, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ONE_EPOCH = TINY_YOLO + "epochs: 1\n"
MODEL = "YOLO/yolov8n-det"
# experiment_info.json of a TrainApp experiment: every field our record must carry too.
EXPERIMENT_INFO_FIELDS = [
    "experiment_name", "framework_name", "model_name", "base_checkpoint", "task_type", "project_id", "task_id",
    "datetime", "checkpoints", "best_checkpoint", "export", "hyperparameters", "train_val_split",
    "evaluation_metrics", "primary_metric", "device", "training_duration", "train_size", "val_size",
]
PROGRESS_LINE = re.compile(r"^task (\d+): +(\d+)% (created|queued|running|stopping|finished|failed|stopped)( · \w+)?$")


def _download(backend: Backend, task: snb.Task, dest: Path) -> Path:
    assert task.model_id is not None, task.error
    return backend.api.model.download(task.model_id, dest)


def _label_lines(dataset_yaml: Path) -> list[list[str]]:
    """Every label line of the YOLO dataset a run trained on (train and val)."""
    root = dataset_yaml.parent
    return [line.split() for path in sorted(root.rglob("labels/**/*.txt")) for line in path.read_text().splitlines()
            if line.strip()]


def _trained_dataset(files: Path) -> Path:
    """The dataset.yaml a run trained on, from ultralytics' args.yaml in the experiment's logs."""
    args = yaml.safe_load((files / "logs" / "args.yaml").read_text())
    return Path(args["data"])


@pytest.fixture(scope="module")
def random_run(backend: Backend, local_agent: AgentProcess, project: Project) -> snb.Task:
    """A Random-split run with ONNX export, benchmark and speed test."""
    task = snb.TrainApi(backend.api).run(
        local_agent.id, project.id, model=MODEL, train_val_split=snb.RandomSplit(percent=75, split="train", seed=3),
        hyperparameters=ONE_EPOCH, export_onnx=True, enable_benchmark=True, enable_speedtest=True,
    )
    task.wait_started(timeout=600)
    task.wait(timeout=900, progress=False)
    return task


def test_random_split_run_records_the_whole_experiment(backend: Backend, project: Project, random_run: snb.Task,
                                                       tmp_path: Path) -> None:
    task = random_run
    result = task.result
    assert result is not None and set(EXPERIMENT_INFO_FIELDS) <= set(result["experiment"])
    experiment = task.experiment
    assert experiment.experiment_name == f"{task.id} trainapi-shapes yolov8n-det"
    assert (experiment.framework_name, experiment.model_name, experiment.task_id) == ("YOLO", "yolov8n-det", task.id)
    assert (experiment.train_size, experiment.val_size) == (18, 6)
    assert experiment.train_val_split == {"kind": "random", "percent": 75, "split": "train", "seed": 3}
    assert experiment.export == {"onnx": "export/best.onnx"}
    # The export was evaluated too: ONNX metrics sit beside PyTorch's.
    assert {"map", "map50", "onnx/map", "onnx/map50"} <= set(experiment.evaluation_metrics)

    files = _download(backend, task, tmp_path / "model")
    info = json.loads((files / "experiment_info.json").read_text())
    assert set(EXPERIMENT_INFO_FIELDS) <= set(info)
    assert json.loads((files / "export" / "classes.json").read_text()) == ["square", "triangle", "circle"]
    # The speed test timed the val split's images only.
    report = json.loads((files / "benchmark" / "report.json").read_text())
    assert report["speed"]["num_images"] == experiment.val_size == 6


def test_split_is_saved_with_file_names_and_restores(backend: Backend, project: Project, random_run: snb.Task,
                                                     tmp_path: Path) -> None:
    files = _download(backend, random_run, tmp_path / "model")
    saved = json.loads((files / "train_val_split.json").read_text())
    items = backend.api.item.all(project.id)
    names = {item.id: item.name for item in items}
    assert (saved["train"], saved["val"]) == snb.RandomSplit(percent=75, split="train", seed=3).split(items)
    assert [name.rsplit("/", 1)[1] for name in saved["val_names"]] == [names[i] for i in saved["val"]]
    assert all(name.startswith(("set-1/", "set-2/")) for name in saved["train_names"] + saved["val_names"])

    restored = snb.TrainState.model_validate_json((files / "app_state.json").read_text())
    assert restored == random_run.state.model_copy(update={"agent_id": restored.agent_id})
    assert restored.train_val_split.split(items) == (saved["train"], saved["val"])


def test_task_handle_gives_logs_metrics_trials_and_a_summary(random_run: snb.Task) -> None:
    task = random_run
    logs = task.logs()
    assert list(logs.columns) == ["seq", "time", "level", "message", "trial_id"]
    assert "step train: finished" in set(logs["message"])
    metrics = task.metrics()
    train = metrics[metrics["category"] == "train"]
    assert not train.empty and train["epoch"].notna().all()
    assert set(metrics["category"]) >= {"train", "benchmark"}
    trials = task.trials()
    assert list(trials.columns) == ["trial_id", "status"] and trials.empty, "a training task has no trials"
    html = task._repr_html_()
    assert "finished" in html and task.experiment.experiment_name in html
    assert "best checkpoint" in html and "checkpoints/best.pt" in html and "onnx" in html
    assert repr(task) == f"Task(id={task.id}, status='finished')"
    assert task.progress["overall"] == pytest.approx(1.0)


def test_datasets_split_converts_shapes_with_the_benchmark_off(backend: Backend, local_agent: AgentProcess,
                                                               project: Project, tmp_path: Path) -> None:
    set_1, set_2 = (d.id for d in backend.api.dataset.list(project.id))
    task = snb.TrainApi(backend.api).run(
        local_agent.id, project.id, model=MODEL, hyperparameters=ONE_EPOCH, enable_benchmark=False,
        train_val_split=snb.DatasetsSplit(train_datasets=[set_1], val_datasets=[set_2]),
    )
    task.wait(timeout=900, progress=False)

    messages = list(task.logs()["message"])
    assert "converted shapes of classes ['circle', 'triangle'] for object detection" in messages
    assert not any(m.startswith("step benchmark") for m in messages)
    experiment = task.experiment
    assert experiment.evaluation_metrics == {}
    assert (experiment.train_size, experiment.val_size) == (12, 12)
    labels = _label_lines(_trained_dataset(_download(backend, task, tmp_path / "model")))
    assert labels and all(len(line) == 5 for line in labels), "polygons became boxes: class cx cy w h"


def test_tags_split_trains_on_the_chosen_classes_only(backend: Backend, local_agent: AgentProcess, project: Project,
                                                      tmp_path: Path) -> None:
    task = snb.TrainApi(backend.api).run(
        local_agent.id, project.id, model=MODEL, classes=["square", "circle"], hyperparameters=ONE_EPOCH,
        train_val_split=snb.TagsSplit(train_tag="train", val_tag="val", untagged_action="ignore"),
        export_onnx=True, enable_benchmark=False,
    )
    task.wait(timeout=900, progress=False)

    assert (task.experiment.train_size, task.experiment.val_size) == (14, 6)
    files = _download(backend, task, tmp_path / "model")
    assert json.loads((files / "export" / "classes.json").read_text()) == ["square", "circle"]
    dataset = _trained_dataset(files)
    assert list(yaml.safe_load(dataset.read_text())["names"].values()) == ["square", "circle"]
    assert {line[0] for line in _label_lines(dataset)} <= {"0", "1"}


def test_autostart_false_waits_until_started_then_runs_with_a_readable_bar(
    backend: Backend, local_agent: AgentProcess, project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    batch_a, batch_b = (c.id for c in backend.api.collection.list(project.id))
    task = snb.TrainApi(backend.api).run(
        local_agent.id, project.id, model=MODEL, hyperparameters=ONE_EPOCH, enable_benchmark=False,
        train_val_split=snb.CollectionsSplit(train_collections=[batch_a], val_collections=[batch_b]), autostart=False,
    )
    assert task.status == "created"
    wait_for(lambda: backend.api.agent.get(local_agent.id).last_heartbeat is not None, 10, "a heartbeat")
    with pytest.raises(TimeoutError):
        task.wait_started(timeout=3)  # the agent polls every second: it would have claimed it by now
    assert task.status == "created" and task.logs().empty, "nothing ran"

    task.start()
    capsys.readouterr()
    task.wait(timeout=900)  # the terminal display: stderr is not a terminal here, as in CI

    assert task.experiment.train_val_split["kind"] == "collections"
    assert (task.experiment.train_size, task.experiment.val_size) == (12, 12)
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(PROGRESS_LINE.match(line) for line in lines), lines
    assert all(a != b for a, b in zip(lines, lines[1:])), "a line is printed only when something changed"
    percents = [int(PROGRESS_LINE.match(line).group(2)) for line in lines]
    assert percents == sorted(percents) and lines[-1] == f"task {task.id}: 100% finished"
    assert len(lines) <= 101 + 8, "at most one line per whole percent and status change"


def test_stop_mid_training(backend: Backend, local_agent: AgentProcess, project: Project) -> None:
    task = snb.TrainApi(backend.api).run(local_agent.id, project.id, model=MODEL, enable_benchmark=False,
                                         hyperparameters=TINY_YOLO + "epochs: 60\n")
    task.wait_started(timeout=600)
    wait_for(lambda: backend.api.task.metrics(task.id, category="train"), 600, "the first epoch")

    task.stop(wait=True, timeout=60)

    assert task.status == "stopped"
    epochs = {m.epoch for m in backend.api.task.metrics(task.id, category="train")}
    assert max(epochs) < 59, "training did not run to the end"
    assert task.result is None and not backend.api.model.all(task_id=task.id)
    with pytest.raises(TaskStopped):
        task.wait(timeout=10, progress=False)


@pytest.mark.parametrize("step", ["export_model", "benchmark"])
def test_export_and_benchmark_errors_fail_the_task(backend: Backend, local_agent: AgentProcess, project: Project,
                                                   step: str) -> None:
    task = snb.TrainApi(backend.api).run(
        local_agent.id, project.id, plugin=PLUGIN, hyperparameters=f"fail_in: {step}\n",
        export_onnx=True, enable_benchmark=True,
    )
    with pytest.raises(TaskFailed) as failure:
        task.wait(timeout=600, progress=False)

    assert failure.value.step == step
    assert "failed on purpose" in failure.value.message
    assert task.status == "failed" and task.result is None
    assert not backend.api.model.all(task_id=task.id), "no model is registered for a failed run"
    assert f"in step <b>{step}</b>" in task._repr_html_()
