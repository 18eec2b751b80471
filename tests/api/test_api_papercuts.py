"""What a newcomer types first works as the README says."""

from __future__ import annotations

import subprocess
import sys

import pytest

from synapse_nb.api import Api, Task
from synapse_nb.schemas import Project, TaskCreate
from synapse_nb.schemas.common import Page


@pytest.fixture(scope="module")
def project(api: Api) -> Project:
    return api.project.import_samples(num_images=8, image_size=32, name="papercuts", seed=0, progress=False)


def test_frameworks_are_reachable_from_the_top_level_import() -> None:
    code = ("import synapse_nb as snb\n"
            "names = [m.name for m in snb.frameworks.list_models()]\n"
            "assert 'yolo11n-det' in names, names\n"
            "assert snb.widgets.TrainWizard.__name__ == 'TrainWizard'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def test_a_page_is_read_as_its_items() -> None:
    page = Page[int](items=[3, 1, 2], total=10, offset=0, limit=3)
    assert list(page) == [3, 1, 2] and len(page) == 3 and page[-1] == 2
    assert [x for x in page] == page.items and page.total == 10
    assert page.model_dump() == {"items": [3, 1, 2], "total": 10, "offset": 0, "limit": 3}


def _task(api: Api, project: Project) -> int:
    payload = {"action": "train", "params": {"dataset": project.id, "hyperparameter": {"epochs": 1}}}
    return api.task.create(TaskCreate(payload=payload, autostart=False)).id


def test_listing_tasks_yields_tasks(api: Api, project: Project) -> None:
    task_id = _task(api, project)
    tasks = list(api.task.list(project_id=project.id))
    assert task_id in [t.id for t in tasks] and len(api.task.list(project_id=project.id)) == len(tasks)


def test_task_get_is_the_full_handle(api: Api, project: Project) -> None:
    task_id = _task(api, project)
    task = api.task.get(task_id)
    assert isinstance(task, Task) and task.id == task_id
    assert callable(task.wait) and callable(task.retry) and callable(task.dashboard)
    assert task.status == "created" and task.payload["params"]["dataset"] == project.id, "record fields read through"
    assert task.state.project_id == project.id
    assert api.task.record(task_id).id == task_id
    task.stop(wait=False)
    assert api.task.get(task_id).status == "stopped"
