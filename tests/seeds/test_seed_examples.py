"""Every published Synapse SDK example runs as pasted (only the import path replaced).

Where an example trains, only its params are cut (epochs); its code is as published.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pydantic import BaseModel

import synapse_nb.actions.train as train_pkg
from synapse_nb.actions import run_local
from synapse_nb.actions.resolve import as_action_class
from synapse_nb.actions.train import BaseTrainAction, BaseTrainParams, TrainRun
from synapse_nb.api import Api
from synapse_nb.schemas import Project
from synapse_nb.schemas.task import TaskCreate
from tests.seeds.conftest import SOURCES, example_text, fingerprint, method_action, run_example


def newest_task(api: Api, project_id: int) -> Any:
    return api.task.list(project_id=project_id, limit=1).items[0]


def epochs_of(api: Api, task_id: int, key: str) -> list[int]:
    return [p.epoch for p in api.task.metrics(task_id, key=key)]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_each_example_is_the_published_text(name: str) -> None:
    assert fingerprint(example_text(name)) == SOURCES[name]["sha256"], f"{name} differs from {SOURCES[name]['document']}"
    assert "synapse_sdk" not in example_text(name)


# -- BaseTrainAction reference ---------------------------------------------------------------


def test_import_example() -> None:
    namespace = run_example("base_train_action_import")
    assert namespace["TrainProgressCategories"] is train_pkg.TrainProgressCategories
    assert namespace["BaseTrainAction"] is BaseTrainAction and namespace["TrainContext"] is train_pkg.TrainContext
    assert namespace["TrainProgressCategories"].DATASET == "dataset"


def test_base_train_params_example() -> None:
    params = run_example("base_train_params")["MyTrainParams"].model_validate({"dataset": 3, "checkpoint": 12})
    assert (params.epochs, params.batch_size, params.checkpoint) == (100, 32, 12), "checkpoint is inherited"


def test_get_dataset_example_reads_dataset_id(api: Api, project: Project) -> None:
    action = method_action("base_train_action_get_dataset", BaseTrainParams)
    assert run_local(action, {"dataset_id": project.id}, api=api) == {"dataset_id": project.id}
    assert newest_task(api, project.id).status == "finished"


def test_get_dataset_returns_id_name_and_a_trainable_path(api: Api, project: Project) -> None:
    class Params(BaseModel):  # a plain model, as the Simple Execute example declares its params
        dataset_id: int

    class Probe(BaseTrainAction[Params]):
        def execute(self) -> dict:
            dataset = self.get_dataset()
            return {k: dataset[k] for k in ("id", "name", "path", "format", "data_collection")}

    result = run_local(Probe, {"dataset_id": project.id}, api=api)
    assert (result["id"], result["name"], result["data_collection"]) == (project.id, project.name, project.id)
    assert Path(result["path"]).name == "dataset.yaml" and Path(result["path"]).is_file()
    assert result["format"] == "yolo"


def test_get_dataset_without_a_dataset_id_names_the_field(api: Api, project: Project) -> None:
    class Probe(BaseTrainAction[BaseTrainParams]):
        def execute(self) -> dict:
            return self.get_dataset()

    from synapse_nb.errors import InputError

    with pytest.raises(InputError, match="dataset_id"):
        Probe({"name": "x"}, _runtime(api)).get_dataset()


def _runtime(api: Api) -> Any:
    from synapse_nb.actions.train import RuntimeContext

    return RuntimeContext(task_id=None, api=api, run=TrainRun(None, None), work_dir=Path("."))


def test_create_model_example(api: Api, project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "best.pt").write_bytes(b"weights")
    monkeypatch.chdir(tmp_path)  # the example uploads './model'
    action = method_action("base_train_action_create_model", BaseTrainParams)
    result = run_local(action, {"dataset": project.id}, api=api)
    model = api.model.get(result["model_id"])
    assert model.name == "my-model"
    assert "checkpoints/best.pt" in [f.path for f in model.files]
    task = newest_task(api, project.id)
    assert task.result["model_id"] == model.id, "the model the plugin registered is the task's model"
    assert len(api.model.all(task_id=task.id)) == 1, "and no second one was uploaded after execute()"


def test_get_checkpoint_example(api: Api, project: Project) -> None:
    action = method_action("base_train_action_get_checkpoint", BaseTrainParams)
    assert run_local(action, {"dataset": project.id, "checkpoint": "YOLO/yolov8n-det"}, api=api) == {}, "it returns nothing"
    assert newest_task(api, project.id).status == "finished"

    class Probe(BaseTrainAction[BaseTrainParams]):
        def execute(self) -> dict:
            checkpoint = self.get_checkpoint()
            return {"keys": sorted(checkpoint), "category": checkpoint["category"],
                    "has_best_pt": (Path(checkpoint["path"]) / "best.pt").is_file()}

    result = run_local(Probe, {"dataset": project.id, "checkpoint": "YOLO/yolov8n-det"}, api=api)
    assert {"path", "category", "id", "name"} <= set(result["keys"])
    assert result["category"] == "base" and result["has_best_pt"]


@pytest.mark.slow
def test_simple_execute_example_trains_and_uploads(api: Api, project: Project, yolov8n_here: Path) -> None:
    namespace = run_example("base_train_action_simple_execute")
    result = run_local(namespace["MyTrainAction"], {"dataset_id": project.id, "epochs": 1}, api=api)
    assert result.model_id == result["model_id"]
    assert Path(result["weights_path"]).name == "best.pt" and Path(result["weights_path"]).is_file()
    model = api.model.get(result["model_id"])
    task = newest_task(api, project.id)
    assert task.status == "finished" and task.result["model_id"] == model.id
    assert epochs_of(api, task.id, "mAP50-95") == [0], "autolog('ultralytics') logged the epoch"
    assert {"dataset", "train", "model_upload"} <= set(task.progress)
    assert task.progress["model_upload"].current == task.progress["model_upload"].total


@pytest.mark.slow
def test_step_based_example_trains_and_uploads(api: Api, project: Project, yolov8n_here: Path) -> None:
    # The example's TrainParams is the one the Simple Execute example above it declares.
    params = run_example("base_train_action_simple_execute")["TrainParams"]
    namespace = run_example("base_train_action_step_based", TrainParams=params)
    result = run_local(namespace["MyTrainAction"], {"dataset_id": project.id, "epochs": 1}, api=api)
    task = newest_task(api, project.id)
    assert task.status == "finished", task.error
    assert result == {} and result.model_id == task.result["model_id"] is not None, "ctx.model is the task's model"
    model = api.model.get(result.model_id)
    assert any(f.path.endswith("best.pt") for f in model.files)
    assert sorted(task.progress) == ["load_dataset", "train", "upload_model"]


# -- Train Action Overview: function plugins -------------------------------------------------


def _image(kind: str) -> Any:
    array = np.zeros((8, 12, 3), dtype=np.uint8)
    array[2:6, 3:9] = (255, 0, 0)
    if kind == "numpy":
        return array
    if kind == "pil":
        return Image.fromarray(array)
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def _rerooted(root: Path) -> Any:
    """``Path`` for the examples' placeholder absolute paths ('/path/to/...'), inside ``root``."""
    return lambda text: root / str(text).lstrip("/")


@pytest.mark.parametrize("kind", ["bytes", "pil", "numpy"])
def test_train_function_example(api: Api, project: Project, tmp_path: Path, kind: str) -> None:
    losses = iter([0.9, 0.6, 0.4])
    saved: list[Path] = []

    def save_model(model: Any, path: str) -> None:
        target = _rerooted(tmp_path)(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"weights")
        saved.append(target)

    helpers = {"train_one_epoch": lambda *a: (next(losses), 0.5), "image_data": _image(kind), "model": object(),
               "save_model": save_model}
    train = run_example("train_action_train_function", **helpers)["train"]
    hyper = {"epochs": 3, "batch_size": 4, "learning_rate": 0.01}
    result = run_local(train, {"dataset": project.id, "hyperparameter": hyper}, api=api)
    assert result == {} and result.model_id is None, "the example saves its model itself, registering none"
    task = newest_task(api, project.id)
    assert result.task_id == task.id
    assert task.status == "finished", task.error
    assert [p.value for p in api.task.metrics(task.id, key="loss")] == [0.9, 0.6, 0.4]
    assert epochs_of(api, task.id, "accuracy") == [0, 1, 2]
    images = api.task.visualizations(task.id)
    assert [(v.category, v.key, v.kind, v.epoch) for v in images] == [("predictions", "train", "image", e) for e in range(3)]
    assert images[0].data["src"].startswith("data:image/png;base64,") and images[0].data["width"] == 12
    assert saved and saved[0].is_file()


def test_tune_functions_are_told_by_their_signature() -> None:
    helpers = {"Path": Path, "train_one_epoch": lambda *a: (0.5, 0.5), "final_accuracy": 0.9, "final_loss": 0.1,
               "train_model": lambda *a: 0.8}
    for name in ("train_action_tune_function", "train_action_tune_return_forms"):
        tune = run_example(name, **helpers)["tune"]
        assert as_action_class(tune).plugin_function is tune
        assert getattr(as_action_class(tune), "is_tune_function")
    train = run_example("train_action_train_function")["train"]
    assert not as_action_class(train).is_tune_function


def test_log_trials_example_and_its_data_form(api: Api, project: Project) -> None:
    record = api.task.create(TaskCreate(payload={"action": "train", "params": {"dataset": project.id,
                                                                                "hyperparameter": {}}},
                                        autostart=False))
    run = TrainRun(api, record.id)
    run_example("train_action_log_trials", run=run)
    assert run.flush(timeout=60)
    table = api.task.trials(record.id)
    assert table is not None and table.trials["trial_002"]["accuracy"] == 0.87
    assert (table.base, table.hyperparameters, table.metrics, table.best_trial) == (
        ["status"], ["batch_size", "learning_rate"], ["accuracy"], "")
    run.log_trials(data={**table.model_dump(), "best_trial": "trial_002"})
    assert run.close(timeout=60)
    assert api.task.trials(record.id).best_trial == "trial_002"


def _weights_folder(root: Path) -> Any:
    """``Path`` for the tune example's placeholder '/path/to/trial/weights': a folder inside
    ``root`` that holds what its (elided) training wrote there, as the example assumes."""

    def make(text: str) -> Path:
        folder = root / str(text).lstrip("/")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "best.pt").write_bytes(b"trial weights")
        return folder

    return make


@pytest.mark.slow
def test_tune_function_example_runs_a_search(api: Api, project: Project, tmp_path: Path) -> None:
    scores = {"value": 0.0}

    def train_one_epoch(*args: Any) -> tuple[float, float]:
        scores["value"] += 0.1
        return 1.0 - scores["value"], scores["value"]

    helpers = {"Path": _weights_folder(tmp_path), "train_one_epoch": train_one_epoch, "final_accuracy": 0.9,
               "final_loss": 0.1}
    tune = run_example("train_action_tune_function", **helpers)["tune"]
    params = {"dataset": project.id, "is_tune": True, "hyperparameter": {"epochs": 2},
              "hyperparameters": [{"name": "learning_rate", "type": "choice", "options": [0.01, 0.001]}],
              "tune_config": {"mode": "max", "metric": "accuracy", "num_samples": 2, "max_concurrent_trials": 1},
              "num_cpus": 1}
    result = run_local(tune, params, api=api)
    assert len(result["trial_models"]) == 2 and result["best_trial"]["metrics"]["accuracy"] == 0.9
    assert result.model_id is not None and all(t["model_id"] for t in result["trial_models"]), "every trial's model"
    task = newest_task(api, project.id)
    losses = api.task.metrics(task.id, key="loss")
    assert {p.trial_id for p in losses} == {t["trial_id"] for t in result["trial_models"]}, "trial_id on every metric"


@pytest.mark.slow
def test_tune_return_forms_example_runs_a_search(api: Api, project: Project) -> None:
    # It reports with tune.report({...}) and also returns the number: both reach the search.
    tune = run_example("train_action_tune_return_forms", train_model=lambda *args: 0.75)["tune"]
    params = {"dataset": project.id, "is_tune": True, "hyperparameter": {},
              "hyperparameters": [{"name": "learning_rate", "type": "grid_search", "options": [0.01, 0.001]}],
              "tune_config": {"mode": "max", "metric": "accuracy", "num_samples": 1, "max_concurrent_trials": 1},
              "num_cpus": 1}
    result = run_local(tune, params, api=api)
    assert [t["metrics"]["accuracy"] for t in result["trial_models"]] == [0.75, 0.75]
    assert result["best_trial"]["metrics"]["accuracy"] == 0.75
