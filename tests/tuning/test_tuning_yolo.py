"""Tuning the built-in YOLO framework: every epoch is reported to Ray Tune (so ASHA stops
trials early) and each trial trains with exactly the values it sampled (ultralytics' own
Ray integration once let every trial train the same settings).

The tune metric is the weights' learning rate at the end of the epoch (``train/lr/pg1``):
with SGD and the same batch size it is proportional to the sampled ``lr0``, so which trials
ASHA stops is known in advance and proves ``lr0`` reached the trainer; after one epoch from
scratch on 12 images the losses would only be noise.
"""

from __future__ import annotations

from typing import Any

import pytest
import synapse_nb as snb
from synapse_nb.api import Task
from synapse_nb.errors import InputError, TaskFailed
from synapse_nb.schemas import TaskCreate
from tuning_helpers import WAIT, trials_by_id

pytestmark = pytest.mark.slow

EPOCHS = 3
LR0 = [0.04, 0.02, 0.01, 0.005]  # the best first: it sets the bar the others miss
FIXED = f"epochs: {EPOCHS}\nimgsz: 64\nbatch: 8\nworkers: 0\noptimizer: SGD\nplots: false\n"
SPACE = [
    {"name": "lr0", "type": "grid_search", "options": LR0},
    {"name": "momentum", "type": "quniform", "min": 0.8, "max": 0.95, "q": 0.05},
    {"name": "weight_decay", "type": "loguniform", "min": 1e-5, "max": 1e-3, "base": 10},
]
SEARCHED = ("lr0", "momentum", "weight_decay")


@pytest.fixture(scope="module")
def yolo_search(api: Any, agent_id: int, project: Any) -> dict[str, Any]:
    task = snb.TrainApi(api).run(
        agent_id, project.id, model="YOLO/yolov8n-det", hyperparameters=FIXED, search_space=SPACE,
        tune_config={"mode": "max", "metric": "train/lr/pg1", "num_samples": 1, "max_concurrent_trials": 2,
                     "scheduler": {"name": "asha", "options": {"grace_period": 1}}},
        num_cpus=1,
    )
    result = task.wait(timeout=WAIT, progress=False)
    return {"task": task, "result": result}


def test_asha_stops_yolo_trials_after_their_first_epoch(yolo_search: dict[str, Any]) -> None:
    table = yolo_search["task"].trials()
    iterations = {float(row.lr0): int(row.iterations) for row in table.itertuples()}
    assert iterations[LR0[0]] == EPOCHS
    # The second trial runs beside the first and may reach the first rung before it (then it
    # sets the bar); the later ones always meet both and miss the bar.
    assert all(iterations[lr0] < EPOCHS for lr0 in LR0[2:])
    assert all(t["status"] == "TERMINATED" for t in yolo_search["result"]["trial_models"])


def test_every_trial_trains_with_the_values_it_sampled(yolo_search: dict[str, Any], api: Any) -> None:
    trials = yolo_search["result"]["trial_models"]
    assert len({t["config"]["lr0"] for t in trials}) == len(LR0)
    for trial in trials:
        model = api.model.get(trial["model_id"])
        assert model.trial_id == trial["trial_id"]
        # What ultralytics itself recorded as its arguments (args.yaml), kept with every
        # trial's model, including those ASHA stopped.
        args = model.config["train_args"]
        assert {k: args[k] for k in SEARCHED} == pytest.approx({k: trial["config"][k] for k in SEARCHED})
        assert (args["epochs"], args["imgsz"], args["optimizer"]) == (EPOCHS, 64, "SGD")
        if trial["config"]["lr0"] in LR0[2:]:
            assert model.config["stopped_early"] is True
    best = api.model.get(yolo_search["result"]["model_id"])
    assert best.config["trial_config"]["lr0"] == LR0[0] and "stopped_early" not in best.config


def test_every_epoch_of_every_trial_is_logged_with_its_trial_id(yolo_search: dict[str, Any]) -> None:
    task = yolo_search["task"]
    metrics = task.metrics()
    assert metrics["trial_id"].notna().all()
    table = task.trials().set_index("trial_id")
    losses = metrics[(metrics["category"] == "train") & (metrics["key"] == "box_loss")]
    for trial_id, trial in trials_by_id(yolo_search["result"]).items():
        epochs = sorted(losses[losses["trial_id"] == trial_id]["epoch"])
        assert epochs == list(range(int(table.loc[trial_id, "iterations"])))
    assert {"mAP50", "mAP50-95"} <= set(metrics[metrics["category"] == "val"]["key"])


def test_searching_the_learning_rate_with_the_auto_optimizer_fails_before_any_trial(
        api: Any, agent_id: int, project: Any) -> None:
    # 'auto' (ultralytics' default) picks its own lr0 and momentum: the trials would all
    # train the same settings. Refused before submission; a task created without the
    # pre-flight (api.task.create) fails before any trial.
    state = snb.TrainState(
        agent_id=agent_id, project_id=project.id, model="YOLO/yolov8n-det", hyperparameters="epochs: 1\nimgsz: 64\n",
        search_space=[{"name": "lr0", "type": "loguniform", "min": 1e-4, "max": 1e-1, "base": 10}],
        tune_config={"mode": "max", "metric": "val/mAP50", "num_samples": 2}, num_cpus=1, is_tune=True,
    )
    with pytest.raises(InputError, match="hyperparameters.optimizer"):
        snb.TrainApi(api).run(state)
    task = Task(api, api.task.create(TaskCreate(agent_id=agent_id, state=state.model_dump(mode="json"))))
    with pytest.raises(TaskFailed, match="hyperparameters.optimizer"):
        task.wait(timeout=WAIT, progress=False)
    assert task.trials().empty
    assert api.model.all(task_id=task.id) == []
