"""What the wizard produces: its TrainState, the same run as code, starting it, and reopening
a saved run's settings (every split kind)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest

import synapse_nb as snb
from synapse_nb.schemas import ModelCreate
from synapse_nb.widgets import TaskDashboard, TrainWizard


def walk_with_choices(d: Any, agent_id: int) -> TrainWizard:
    """Confirm every step with choices that differ from the defaults."""
    d.project_step()
    d.model_step("YOLO/yolo11n-det")
    classes = d.card("classes")
    classes.checkboxes["circle"].value = False
    d.select("classes")
    split = d.card("split")
    split.kind.value = "tags"
    split.untagged.value = "val"
    d.select("split")
    hp = d.card("hyperparameters")
    hp.text.value = "epochs: 2\nimgsz: 64\nbatch: 8\n"
    d.select("hyperparameters")
    d.card("benchmark").speedtest.value = True
    d.select("benchmark")
    d.card("export").onnx.value = True
    d.select("export")
    start = d.card("start")
    start.experiment_name.value = "widgets: copy, as code"
    start.agent.value = agent_id
    return d.wizard


def test_copy_as_code_submits_a_state_equal_to_the_wizards(drive: Any, api: Any, wizard_agent: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    wizard = walk_with_choices(drive(), wizard_agent.id)
    expected = wizard.state
    assert expected == snb.TrainState(
        agent_id=wizard_agent.id, project_id=drive().project.id, model="YOLO/yolo11n-det", classes=["square", "triangle"],
        train_val_split=snb.TagsSplit(untagged_action="val"), hyperparameters="epochs: 2\nimgsz: 64\nbatch: 8\n",
        experiment_name="widgets: copy, as code", enable_speedtest=True, export_onnx=True)

    start = wizard.step("start")
    assert start.code.layout.display == "none"
    start.code_button.click()
    assert start.code.layout.display is None and start.code.value == expected.to_code()

    # The cell, run as a user would paste it: a real client of the same backend, by URL.
    monkeypatch.setenv("SYNAPSE_NB_URL", api.url)
    monkeypatch.setenv("SYNAPSE_NB_TOKEN", api.token)
    namespace: dict[str, Any] = {}
    exec(compile(start.code.value, "<copied cell>", "exec"), namespace)
    task = namespace["task"]
    try:
        assert snb.TrainState.model_validate(task.record.state) == expected
        assert task.record.agent_id == wizard_agent.id and task.record.experiment_name == "widgets: copy, as code"
    finally:
        task.stop(wait=False)
        namespace["api"].close()


def test_start_submits_the_run_and_shows_its_dashboard(drive: Any, api: Any, wizard_agent: Any) -> None:
    d = drive()
    wizard = d.through("export")
    start = wizard.step("start")
    start.agent.value = wizard_agent.id
    start.start_button.click()
    task = wizard.task
    try:
        assert task is not None, start.message.value
        assert f"started task {task.id}" in start.message.value
        assert snb.TrainState.model_validate(api.task.get(task.id).state) == wizard.state
        assert isinstance(wizard.dashboard, TaskDashboard)
        assert wizard.dashboard_box.children == (wizard.dashboard.widget,)
        assert wizard.dashboard.record.id == task.id
    finally:
        wizard.dashboard.close()
        task.stop(wait=False)


def test_a_start_the_backend_refuses_is_shown_on_the_start_step(drive: Any, api: Any) -> None:
    d = drive()
    wizard = d.through("export")
    gone = api.agent.register("widgets-gone-agent", {"CPU": 1})
    start = wizard.step("start")
    start.refresh_button.click()
    start.agent.value = gone.id
    api.agent.offline(gone.id)
    start.start_button.click()
    assert wizard.task is None and wizard.dashboard is None
    assert "agent_id" in start.message.value and "online" in start.message.value
    assert not start.start_button.disabled


def _dataset_ids(api: Any, project_id: int) -> list[int]:
    return [d.id for d in api.dataset.list(project_id)]


def _collection_ids(api: Any, project_id: int) -> list[int]:
    return [c.id for c in api.collection.list(project_id)]


@pytest.mark.parametrize("kind", ["random", "datasets", "tags", "collections"])
def test_from_state_restores_every_split_kind(kind: str, api: Any, shapes: Any, wizard_agent: Any) -> None:
    if kind == "random":
        split: Any = snb.RandomSplit(percent=30, split="val", seed=7)
    elif kind == "datasets":
        first, second = _dataset_ids(api, shapes.id)
        split = snb.DatasetsSplit(train_datasets=[second], val_datasets=[first])
    elif kind == "tags":
        split = snb.TagsSplit(train_tag="val", val_tag="train", untagged_action="ignore")
    else:
        first, second = _collection_ids(api, shapes.id)
        split = snb.CollectionsSplit(train_collections=[second], val_collections=[first])
    state = snb.TrainState(agent_id=wizard_agent.id, project_id=shapes.id, model="YOLO/yolov8n-det",
                           classes=["square"], train_val_split=split, hyperparameters="epochs: 3\nimgsz: 64\n",
                           experiment_name=f"restored {kind}", convert_class_shapes=False, enable_benchmark=False,
                           cache_project=False, export_onnx=True, num_cpus=1.0)

    wizard = TrainWizard.from_state(api, state)

    assert [c.status for c in wizard.steps] == ["done"] * 7 + ["active"], [c.message.value for c in wizard.steps]
    assert wizard.state == state
    card = wizard.step("split")
    # The restored split is what the controls show, not only what the state says.
    assert card.kind.value == kind and card.split() == split
    assert html.escape(split.describe()) in card.summary_html.value


def test_from_state_restores_tuning_and_a_registry_model(api: Any, shapes: Any, wizard_agent: Any, tmp_path: Path) -> None:
    weights = tmp_path / "best.pt"
    weights.write_bytes(b"weights")
    record = api.model.create(ModelCreate(name="widgets-restore", framework="YOLO", model_name="yolo11n-det",
                                          project_id=shapes.id, weights="best.pt"), {"best.pt": weights})
    state = snb.TrainState(
        agent_id=wizard_agent.id, project_id=shapes.id, model=record.id, hyperparameters="epochs: 2\noptimizer: SGD\n",
        is_tune=True,
        search_space=snb.SearchSpace.model_validate([
            {"name": "lr0", "type": "qloguniform", "min": 0.0001, "max": 0.01, "base": 10, "q": 0.0001},
            {"name": "batch", "type": "choice", "options": [8, 16]}]),
        tune_config=snb.TuneConfig(mode="min", metric="val/box_loss", num_samples=5, max_concurrent_trials=2,
                                   search_alg={"name": "hyperoptsearch", "points_to_evaluate": [{"lr0": 0.001, "batch": 8}]},
                                   scheduler={"name": "asha", "options": {"max_t": 2}}),
    )
    wizard = TrainWizard.from_state(api, state)
    assert wizard.state == state, [c.message.value for c in wizard.steps]
    assert wizard.step("hyperparameters").tune.value and wizard.step("model").registry.value == record.id


def test_from_state_stops_at_a_step_that_no_longer_fits(api: Any, shapes: Any, wizard_agent: Any) -> None:
    state = snb.TrainState(agent_id=wizard_agent.id, project_id=shapes.id,
                           train_val_split=snb.DatasetsSplit(train_datasets=[987654], val_datasets=[987655]))
    wizard = TrainWizard.from_state(api, state)
    assert [c.status for c in wizard.steps][:4] == ["done", "done", "done", "active"]
    assert wizard.state is None
    message = wizard.step("split").message.value
    assert "Could not restore" in message and "987654" in message


def test_a_task_reopens_in_the_wizard(drive: Any, api: Any, wizard_agent: Any) -> None:
    wizard = walk_with_choices(drive(), wizard_agent.id)
    task = snb.TrainApi(api).run(wizard.state)
    try:
        reopened = TrainWizard.from_state(api, task.state)
        assert reopened.state == wizard.state
    finally:
        task.stop(wait=False)


def test_start_step_names_the_default_experiment_and_estimates_the_run(drive: Any, api: Any, shapes: Any) -> None:
    from synapse_nb.schemas import TaskCreate
    from synapse_nb.splits import split_counts

    from tests.widgets.conftest import HeartbeatAgent

    timed = HeartbeatAgent(api, "widgets-timed-agent")
    try:
        d = drive()
        d.through("split")
        d.card("hyperparameters").text.value = "epochs: 3\nimgsz: 64\n"
        for key in ("hyperparameters", "benchmark", "export"):
            d.select(key)
        start = d.card("start")
        assert start.experiment_name.placeholder == "‹task id› widgets-shapes yolov8n-det (default)"
        n_train, _ = split_counts(snb.RandomSplit(), api.item.all(shapes.id))
        # No run has finished on this agent yet: the passes are counted, not timed.
        start.refresh_button.click()
        start.agent.value = timed.id
        assert f"{n_train} train images × 3 epochs = {n_train * 3} image passes" in start.estimate.value
        assert "no run on this agent has finished yet" in start.estimate.value

        # A run finishes on it: 12 images x 2 epochs in 12 s is 0.5 s per image.
        state = snb.TrainState(project_id=shapes.id, agent_id=timed.id, hyperparameters="epochs: 2\n")
        record = api.task.create(TaskCreate(agent_id=timed.id, state=state.model_dump(mode="json")))
        assert api.task.claim(timed.id).id == record.id
        api.task.set_status(record.id, "finished", result={"experiment": {
            "training_duration": 12.0, "train_size": 12, "hyperparameters": "epochs: 2\n"}})
        start.agent.value = None
        start.agent.value = timed.id
        seconds = n_train * 3 * 0.5
        assert f"about {seconds:.0f} s at 0.5 s per image (measured on this agent)" in start.estimate.value

        # The experiment left unnamed gets the anchors' name once the task exists.
        assert start.fields()["experiment_name"] is None
    finally:
        timed.close()


def test_a_tuning_run_with_a_seeded_split_copied_as_code_runs_the_same_state(drive: Any, api: Any, wizard_agent: Any,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    d = drive()
    d.through("classes")
    split = d.card("split")
    split.percent.value = 30
    split.side.value = "val"
    split.seed.value = 11
    d.select("split")
    hp = d.card("hyperparameters")
    hp.text.value = "epochs: 2\nimgsz: 64\noptimizer: SGD\n"
    hp.tune.value = True
    hp.tuning.space.value = "- {name: lr0, type: loguniform, min: 0.001, max: 0.01, base: 10}\n"
    hp.tuning.num_samples.value = 2
    d.select("hyperparameters")
    d.select("benchmark")
    d.select("export")
    start = d.card("start")
    start.agent.value = wizard_agent.id
    expected = d.wizard.state
    assert expected.train_val_split == snb.RandomSplit(percent=30, split="val", seed=11) and expected.is_tune
    start.code_button.click()
    monkeypatch.setenv("SYNAPSE_NB_URL", api.url)
    monkeypatch.setenv("SYNAPSE_NB_TOKEN", api.token)
    namespace: dict[str, Any] = {}
    exec(compile(start.code.value, "<copied cell>", "exec"), namespace)
    task = namespace["task"]
    try:
        assert snb.TrainState.model_validate(task.record.state) == expected
    finally:
        task.stop(wait=False)
        namespace["api"].close()
