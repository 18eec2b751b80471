"""TrainApi.run refuses what the tools our users come from let through — before a task exists.

Each case is a fault of the Supervisely TrainApi (see ANCHORS.md): a misspelled model that
silently trains the default, classes dropped without a word, YAML never validated, an
unseeded random split, train/val leakage through tags or datasets, a renamed tag that makes
a split do nothing, a saved split that doesn't restore, and run() returning before anyone
knows whether the run can start. Here every one is a clear error naming the field, and
no task is created.

The agent these runs name is registered with the real backend but has no process behind
it: nothing here should ever reach an agent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import synapse_nb as snb
from synapse_nb.api import Api
from synapse_nb.errors import InputError, TaskStopped
from synapse_nb.schemas import Project
from tests.agent.e2e_helpers import Backend, wait_for

TINY = "epochs: 1\nimgsz: 64\nbatch: 8\n"


@pytest.fixture
def agent_id(backend: Backend) -> int:
    """An online agent record (registered again for each test: a fresh heartbeat)."""
    return backend.api.agent.register("preflight", {"CPU": 2, "GPU": 0, "tensorrt": False}).id


@pytest.fixture
def train(backend: Backend) -> snb.TrainApi:
    return snb.TrainApi(backend.api)


def _task_count(api: Api) -> int:
    return api.task.list().total


def test_misspelled_model_is_refused_and_lists_the_models(backend: Backend, train: snb.TrainApi, agent_id: int,
                                                          project: Project) -> None:
    before = _task_count(backend.api)
    with pytest.raises(InputError) as err:
        train.run(agent_id, project.id, model="YOLO/yolov8n-dett", hyperparameters=TINY)
    assert err.value.field == "model"
    assert "YOLO/yolov8n-det" in str(err.value), "the closest model is suggested"
    with pytest.raises(InputError) as err:
        train.run(agent_id, project.id, model="Detectron/faster-rcnn", hyperparameters=TINY)
    assert err.value.field == "model"
    assert "YOLO/yolo11n-det" in str(err.value), "the models that exist are listed"
    assert _task_count(backend.api) == before, "no task was created, so nothing trains the default model"


def test_unknown_classes_are_dropped_with_a_warning(backend: Backend, train: snb.TrainApi, agent_id: int,
                                                    project: Project) -> None:
    with pytest.warns(UserWarning, match="unicorn"):
        task = train.run(agent_id, project.id, model="YOLO/yolov8n-det", classes=["square", "unicorn"],
                         hyperparameters=TINY, autostart=False)
    try:
        assert task.record.state["classes"] == ["square"]
    finally:
        task.stop()


def test_no_known_class_left_is_an_error(backend: Backend, train: snb.TrainApi, agent_id: int, project: Project) -> None:
    before = _task_count(backend.api)
    with pytest.raises(InputError) as err:
        train.run(agent_id, project.id, model="YOLO/yolov8n-det", classes=["unicorn", "dragon"], hyperparameters=TINY)
    assert err.value.field == "classes"
    assert "square" in str(err.value)
    assert _task_count(backend.api) == before


@pytest.mark.parametrize(
    ("yaml_text", "field", "fragment"),
    [
        ("epochs: 2\nimgsz: [64\nbatch: 8\n", "hyperparameters", "line 3"),
        ("epochs: 1\nlr_zero: 0.1\n", "hyperparameters.lr_zero", "lr_zero"),
        ("epochs: many\n", "hyperparameters.epochs", "int"),
    ],
    ids=["syntax", "unknown-key", "bad-type"],
)
def test_yaml_hyperparameters_are_validated_before_any_task(backend: Backend, train: snb.TrainApi, agent_id: int,
                                                            project: Project, yaml_text: str, field: str,
                                                            fragment: str) -> None:
    before = _task_count(backend.api)
    with pytest.raises((InputError, ValidationError)) as err:
        train.run(agent_id, project.id, model="YOLO/yolov8n-det", hyperparameters=yaml_text)
    if isinstance(err.value, InputError):
        assert err.value.field == field
    else:
        assert [e["loc"] for e in err.value.errors()] == [(field,)]
    assert fragment in str(err.value)
    assert _task_count(backend.api) == before


def test_random_split_has_a_seed(backend: Backend, project: Project) -> None:
    items = backend.api.item.all(project.id)
    first = snb.RandomSplit(percent=75, split="train", seed=7).split(items)
    assert snb.RandomSplit(percent=75, split="train", seed=7).split(items) == first
    assert snb.RandomSplit(percent=25, split="val", seed=7).split(items) == first, "percent belongs to the side named"
    assert snb.RandomSplit(percent=75, split="train", seed=8).split(items) != first
    assert len(first[0]) == 18 and len(first[1]) == 6


def test_an_item_tagged_train_and_val_is_an_error(backend: Backend, train: snb.TrainApi, agent_id: int) -> None:
    project = backend.api.project.import_samples(num_images=8, image_size=32, name="both-tags", progress=False)
    item = backend.api.item.all(project.id)[0]
    backend.api.item.set_annotation(item.id, item.objects, tags=["train", "val"])
    before = _task_count(backend.api)
    with pytest.raises(InputError) as err:
        train.run(agent_id, project.id, model="YOLO/yolov8n-det", train_val_split=snb.TagsSplit(untagged_action="train"),
                  hyperparameters=TINY)
    assert err.value.field == "train_val_split"
    assert str(item.id) in str(err.value)
    assert _task_count(backend.api) == before
    allowed = snb.TrainState(agent_id=agent_id, project_id=project.id, model="YOLO/yolov8n-det",
                             train_val_split=snb.TagsSplit(untagged_action="train", allow_overlap=True))
    assert train.check(allowed).project_id == project.id


def test_the_same_dataset_on_both_sides_is_an_error_unless_allowed(backend: Backend, train: snb.TrainApi,
                                                                   agent_id: int, project: Project) -> None:
    dataset = backend.api.dataset.list(project.id)[0].id
    before = _task_count(backend.api)
    with pytest.raises(ValidationError, match="leakage"):
        train.run(agent_id, project.id, model="YOLO/yolov8n-det", hyperparameters=TINY,
                  train_val_split={"kind": "datasets", "train_datasets": [dataset], "val_datasets": [dataset]})
    assert _task_count(backend.api) == before
    overlapping = snb.DatasetsSplit(train_datasets=[dataset], val_datasets=[dataset], allow_overlap=True)
    state = snb.TrainState(agent_id=agent_id, project_id=project.id, model="YOLO/yolov8n-det", train_val_split=overlapping)
    assert train.check(state).train_val_split == overlapping


def test_a_tag_split_with_a_renamed_tag_fails_loudly(backend: Backend, train: snb.TrainApi, agent_id: int,
                                                     project: Project) -> None:
    before = _task_count(backend.api)
    renamed = snb.TagsSplit(train_tag="training", val_tag="val", untagged_action="ignore")
    with pytest.raises(InputError) as err:
        train.run(agent_id, project.id, model="YOLO/yolov8n-det", train_val_split=renamed, hyperparameters=TINY)
    assert err.value.field == "train_val_split.train_tag"
    assert "'train'" in str(err.value) and "'val'" in str(err.value), "the tags that exist are listed"
    assert _task_count(backend.api) == before


@pytest.mark.parametrize("kind", ["tags", "collections", "datasets"])
def test_a_saved_non_random_split_restores(backend: Backend, train: snb.TrainApi, agent_id: int, project: Project,
                                           kind: str) -> None:
    datasets = [d.id for d in backend.api.dataset.list(project.id)]
    collections = [c.id for c in backend.api.collection.list(project.id)]
    split = {
        "tags": snb.TagsSplit(train_tag="train", val_tag="val", untagged_action="val"),
        "collections": snb.CollectionsSplit(train_collections=collections[:1], val_collections=collections[1:]),
        "datasets": snb.DatasetsSplit(train_datasets=datasets[:1], val_datasets=datasets[1:]),
    }[kind]
    state = snb.TrainState(agent_id=agent_id, project_id=project.id, model="YOLO/yolov8n-det", train_val_split=split,
                           hyperparameters=TINY)
    restored = snb.TrainState.model_validate_json(state.to_json())
    items = backend.api.item.all(project.id)
    assert restored.train_val_split == split
    assert restored.train_val_split.split(items) == split.split(items)
    assert train.check(restored).train_val_split == split


def test_shapes_that_need_converting_are_refused_when_conversion_is_off(backend: Backend, train: snb.TrainApi,
                                                                        agent_id: int, project: Project) -> None:
    before = _task_count(backend.api)
    with pytest.raises(InputError) as err:
        train.run(agent_id, project.id, model="YOLO/yolov8n-det", convert_class_shapes=False, hyperparameters=TINY)
    assert err.value.field == "convert_class_shapes"
    assert "triangle" in str(err.value)
    assert _task_count(backend.api) == before


def test_an_agent_that_stopped_heartbeating_is_refused(tmp_path: Path) -> None:
    short = Backend(tmp_path / "short", heartbeat_timeout=0.5)
    try:
        other_project = short.api.project.import_samples(num_images=8, image_size=32, name="tiny", progress=False)
        agent = short.api.agent.register("gone", {"CPU": 1})
        # The reaper waits one timeout after the backend starts, then marks silent agents offline.
        wait_for(lambda: short.api.agent.get(agent.id).status == "offline", 30, "the reaper")
        with pytest.raises(InputError) as err:
            snb.TrainApi(short.api).run(agent.id, other_project.id, model="YOLO/yolov8n-det", hyperparameters=TINY)
        assert err.value.field == "agent_id"
        assert short.api.task.list().total == 0
    finally:
        short.stop()


def test_run_returns_an_accepted_task_and_wait_started_says_what_it_waits_for(
    backend: Backend, train: snb.TrainApi, agent_id: int, project: Project
) -> None:
    task = train.run(agent_id, project.id, model="YOLO/yolov8n-det", hyperparameters=TINY, autostart=False)
    assert task.status == "created"
    with pytest.raises(TimeoutError, match=r"task\.start\(\)"):
        task.wait_started(timeout=0.3, poll=0.1)
    with pytest.raises(InputError) as err:
        task.retry()
    assert err.value.field == "task", "only an ended task can be retried"

    task.start()
    with pytest.raises(TimeoutError, match="queued for agent 'preflight'"):
        task.wait_started(timeout=0.3, poll=0.1)

    backend.api.agent.offline(agent_id)  # the agent shuts down before it claimed the task
    with pytest.raises(InputError) as err:
        task.wait_started(timeout=30)
    assert err.value.field == "agent_id" and "offline" in str(err.value)

    task.stop()
    with pytest.raises(TaskStopped):
        task.wait_started(timeout=30)
