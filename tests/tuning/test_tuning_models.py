"""The models of a search's trials: one per trial, whatever the scheduler did to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synapse_nb.actions.train.tune.results import trial_models_of
from synapse_nb.api import Api
from synapse_nb.schemas import ModelCreate, TaskCreate


def test_a_trial_that_registered_twice_keeps_its_newest_model_and_the_older_leaves(api: Any,
                                                                                     tmp_path: Path) -> None:
    earlier = api.task.create(TaskCreate(payload={"action": "train", "params": {"data_path": str(tmp_path), "hyperparameter": {}}},
                                         autostart=False))
    # Claimed by an agent of this test's own (not the session's): running, so it gets a token.
    agent = api.agent.register("models-test-agent", {"CPU": 1})
    search = api.task.create(TaskCreate(payload={"action": "train", "params": {"data_path": str(tmp_path), "hyperparameter": {}}},
                                        agent_id=agent.id))
    assert api.task.claim(agent.id).id == search.id
    # The search's driver acts with its task's own token, as on an agent.
    driver = Api(api.url, api.tokens.for_task(search.id))
    weights = tmp_path / "best.pt"
    weights.write_bytes(b"weights")

    def register(client: Any, task_id: int, trial_id: str) -> int:
        meta = ModelCreate(name=f"trial {trial_id}", framework="YOLO", task_id=task_id, trial_id=trial_id,
                           weights="best.pt")
        return int(client.model.create(meta, {"best.pt": weights}).id)

    kept_from_earlier = register(api, earlier.id, "t1")  # an earlier attempt's: never touched
    first = register(driver, search.id, "t2")
    restarted = register(driver, search.id, "t2")  # PBT restarted t2 from another trial's checkpoint
    only = register(driver, search.id, "t3")
    models = trial_models_of(driver, [earlier.id, search.id], take_back_superseded_of=search.id)
    assert {trial: m.id for trial, m in models.items()} == {"t1": kept_from_earlier, "t2": restarted, "t3": only}
    left = {m.id for m in api.model.all()}
    assert first not in left and {kept_from_earlier, restarted, only} <= left
    # Without asking, nothing leaves the registry.
    assert trial_models_of(driver, [search.id])["t2"].id == restarted
    driver.close()
    api.task.set_status(search.id, "finished", result={})
