"""Checkpoints: a registry model id, a "Framework/name" base model, a local path."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from synapse_nb.actions import run_local
from synapse_nb.api import Api
from synapse_nb.errors import StepFailed
from synapse_nb.schemas import Project
from tests.actions.conftest import QuickStartRun
from tests.actions.engine_checks import newest_task
from tests.actions.plugins import RawProbe, TrainAction

KEYS = {"path", "category", "id", "name"}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_base_model_is_built_here_with_a_notice_and_no_download(api: Api, project: Project,
                                                                    no_network: list[object]) -> None:
    # A model no other test uses, so its checkpoint is built now, under the network block.
    checkpoint = run_local(RawProbe, {"dataset": project.id, "checkpoint": "YOLO/yolo26n-det"}, api=api)["checkpoint"]

    assert KEYS <= set(checkpoint)
    assert (checkpoint["category"], checkpoint["id"], checkpoint["name"]) == ("base", None, "yolo26n-det")
    assert (Path(checkpoint["path"]) / "best.pt").is_file(), "YOLO(checkpoint['path'] / 'best.pt') works"
    assert no_network == [], "nothing reached for the internet"
    task = newest_task(api, project.id)
    notices = [line for line in api.task.logs(task.id) if "no local weights for yolo26n.pt" in line.message]
    assert notices and notices[0].level == "WARNING"


def test_a_local_checkpoint_file_or_folder(api: Api, project: Project, tmp_path: Path) -> None:
    base = run_local(RawProbe, {"dataset": project.id, "checkpoint": "YOLO/yolov8n-det"}, api=api)["checkpoint"]
    best = Path(base["path"]) / "best.pt"
    mine = tmp_path / "mine.pt"
    shutil.copy2(best, mine)

    from_file = run_local(RawProbe, {"dataset": project.id, "checkpoint": str(mine)}, api=api)["checkpoint"]
    assert (from_file["path"], from_file["weights"]) == (str(tmp_path), str(mine))
    assert (from_file["category"], from_file["id"], from_file["name"]) == ("trained", None, "mine")

    folder = tmp_path / "exp"
    folder.mkdir()
    shutil.copy2(best, folder / "best.pt")
    from_folder = run_local(RawProbe, {"dataset": project.id, "checkpoint": str(folder)}, api=api)["checkpoint"]
    assert (from_folder["path"], from_folder["weights"], from_folder["name"]) == (str(folder), str(folder / "best.pt"), "exp")


def test_a_missing_local_checkpoint_is_an_error_naming_the_field(api: Api, project: Project, tmp_path: Path) -> None:
    with pytest.raises(StepFailed) as failure:
        run_local(RawProbe, {"dataset": project.id, "checkpoint": str(tmp_path / "nope.pt")}, api=api)
    assert failure.value.step == "train" and "checkpoint" in failure.value.message
    assert newest_task(api, project.id).error.step == "train"


@pytest.mark.slow
def test_fine_tune_from_a_registry_model(api: Api, project: Project, quickstart_run: QuickStartRun) -> None:
    model = api.model.get(quickstart_run.task.result["model_id"])
    checkpoint = run_local(RawProbe, {"dataset": project.id, "checkpoint": model.id}, api=api)["checkpoint"]
    assert (checkpoint["category"], checkpoint["id"], checkpoint["name"]) == ("trained", model.id, model.name)
    weights = Path(checkpoint["path"]) / "best.pt"
    stored = next(f for f in model.files if f.path == "checkpoints/best.pt")
    assert _sha256(weights) == stored.sha256, "the registry's weights, verified"

    result = run_local(TrainAction, {"dataset": project.id, "epochs": 1, "checkpoint": model.id}, api=api)
    task = newest_task(api, project.id)
    assert task.status == "finished" and Path(result["weights_path"], "best.pt").is_file()
    assert task.result["experiment"]["base_checkpoint"] == model.name
    assert task.result["model_id"] not in (None, model.id)
