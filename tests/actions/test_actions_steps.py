"""A step-based plugin (setup_steps): its preprocessing, its typed result, failures and progress."""

from __future__ import annotations

from pathlib import Path

import pytest

import synapse_nb as snb
from synapse_nb.actions import run_local
from synapse_nb.actions.runner import work_dir_for
from synapse_nb.api import Api
from synapse_nb.errors import StepFailed, TaskFailed
from synapse_nb.schemas import Project
from synapse_nb.schemas.task import TaskRecord
from tests.actions.conftest import WAIT
from tests.actions.engine_checks import check_progress_complete, newest_task
from tests.actions.plugins import LabelCount, StepTrainAction, TrainOnly


def _messages(api: Api, task: TaskRecord) -> list[str]:
    return [line.message for line in api.task.logs(task.id)]


def test_custom_preprocessing_reaches_the_conversion_and_the_typed_result_is_kept(api: Api, project: Project) -> None:
    result = run_local(StepTrainAction, {"dataset": project.id}, api=api)

    assert isinstance(result, LabelCount), "run_local returns the plugin's result_model"
    assert result.class_counts["circle"] == 0, "the preprocess step dropped circles before conversion"
    assert result.class_counts["square"] > 0 and result.class_counts["triangle"] > 0
    task = newest_task(api, project.id)
    assert task.status == "finished"
    assert task.result["result"] == result.model_dump(mode="json"), "the typed result is kept in the task"
    assert task.result["model_id"] is not None
    check_progress_complete(task)
    assert {"dataset", "preprocess", "train", "model_upload"} == set(task.progress)


def test_a_failing_step_fails_the_task_names_the_step_and_rolls_back(api: Api, project: Project) -> None:
    with pytest.raises(StepFailed) as failure:
        run_local(StepTrainAction, {"dataset": project.id, "gate": "before_upload"}, api=api)
    assert failure.value.step == "quality_gate"

    task = newest_task(api, project.id)
    assert task.status == "failed"
    assert task.error.step == "quality_gate" and "below the quality gate" in task.error.message
    messages = _messages(api, task)
    assert any("rolled back preprocess" in m for m in messages), "the earlier step's rollback ran"
    assert not (work_dir_for(task) / "preprocessed").exists()
    assert api.model.all(task_id=task.id) == [], "nothing was uploaded"
    assert task.result is None


def test_a_step_failing_after_the_upload_takes_the_model_back_out(api: Api, project: Project) -> None:
    models_before = {m.id for m in api.model.all(project_id=project.id)}
    with pytest.raises(StepFailed):
        run_local(StepTrainAction, {"dataset": project.id, "gate": "after_upload"}, api=api)
    task = newest_task(api, project.id)
    assert task.status == "failed" and task.error.step == "quality_gate"
    assert any("removed from the registry" in m for m in _messages(api, task))
    assert api.model.all(task_id=task.id) == []
    assert {m.id for m in api.model.all(project_id=project.id)} == models_before


def test_a_pipeline_missing_steps_still_reaches_100_percent(api: Api, project: Project) -> None:
    run_local(StepTrainAction, {"dataset": project.id, "upload": False}, api=api)
    task = newest_task(api, project.id)
    check_progress_complete(task)
    assert "model_upload" not in task.progress

    assert run_local(TrainOnly, {"dataset": project.id}, api=api) == {"done": True}
    check_progress_complete(newest_task(api, project.id))


@pytest.mark.slow
def test_a_failing_step_on_the_agent_reaches_the_notebook_with_its_name(api: Api, agent_id: int, project: Project,
                                                                         tmp_path: Path) -> None:
    payload = {"action": "train", "params": {"dataset": project.id, "hyperparameter": {}, "gate": "before_upload",
                                             "plugin": "tests.actions.plugins:StepTrainAction"}}
    task = snb.TrainApi(api).submit_action(agent_id, payload)
    with pytest.raises(TaskFailed) as failure:
        task.wait(timeout=WAIT, progress=False)
    assert failure.value.step == "quality_gate"
    assert task.status == "failed"
    assert api.model.all(task_id=task.id) == []
