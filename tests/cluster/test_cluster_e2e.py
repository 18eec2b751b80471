"""Agents on a Ray cluster of three nodes (a head and two workers, 1 CPU each) with the
experiment storage on S3: the checks an agent makes before claiming anything, GPUs and
TensorRT measured per node, a training task on a worker node, a search spread over the
nodes (the trials table names the node of each trial), PBT storing checkpoints from the
nodes that run the trials, and an interrupted search finished by another agent with a home
of its own, from the shared storage, without running its finished trials again.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import synapse_nb as snb
from synapse_nb.errors import InputError
from synapse_nb.schemas import Project
from tests.agent.e2e_helpers import PLUGIN, AgentProcess, Backend, wait_for
from tests.cluster.conftest import BUCKET, RayCluster, S3Server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SCORE = "tests.cluster.cluster_plugins:CheckpointScoreAction"
STORAGE = f"s3://{BUCKET}/searches"
WAIT = 600


def _ledger(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _search(api: Any, agent_id: int, project: Project, space: list[dict[str, Any]], tune_config: dict[str, Any],
            **fixed: Any) -> Any:
    return snb.TrainApi(api).run(agent_id, project.id, plugin=SCORE, hyperparameters=yaml.safe_dump(fixed),
                                 search_space=space, tune_config=tune_config, num_cpus=1)


@pytest.fixture(scope="module")
def placed(start_agent: Callable[..., AgentProcess]) -> AgentProcess:
    """An agent whose tasks (training tasks and search drivers) run on worker node 1."""
    return start_agent("placed", "--task-resources", '{"node_w1": 1}', "--storage", STORAGE)


def test_an_agent_refuses_storage_other_nodes_cannot_reach_before_registering(
        start_agent: Callable[..., AgentProcess], backend: Backend) -> None:
    agent = start_agent("plain", wait=False)  # no --storage: a folder of its own home
    assert agent.proc.wait(timeout=240) == 2
    said = agent.log.read_text(errors="replace")
    assert "storage: expected experiment storage every node of the 3-node Ray cluster reaches" in said
    assert "--storage s3://" in said and "--storage-shared" in said
    assert "plain" not in {a.name for a in backend.api.agent.list()}, "it refused before claiming anything"


def test_each_node_is_measured_and_a_training_task_runs_on_a_worker_node(
        placed: AgentProcess, backend: Backend, cluster: RayCluster, project: Project, tmp_path: Path) -> None:
    nodes = backend.api.agent.get(placed.id).resources["nodes"]
    assert len(nodes) == 3 and all(n["cpus"] == 1 and n["gpus"] == 0 for n in nodes)
    assert all(not n["tensorrt"] and "the node has no GPU" in n["tensorrt_reason"] for n in nodes)
    assert sorted(k for n in nodes for k in n["resources"]) == ["node_w1", "node_w2"]

    # The cluster has 3 CPUs in all, but no node has 2: Ray could never place the task.
    state = snb.TrainState(project_id=project.id, plugin=PLUGIN, agent_id=placed.id, num_cpus=2)
    with pytest.raises(InputError) as refused:
        snb.TrainApi(backend.api).run(state)
    assert refused.value.field == "num_cpus" and "has 1 CPUs, not 2" in str(refused.value)

    ledger = tmp_path / "ledger.jsonl"
    task = snb.TrainApi(backend.api).run(state.model_copy(update={
        "num_cpus": 1, "hyperparameters": f"ledger: {json.dumps(str(ledger))}\n"}))
    task.wait(timeout=WAIT, progress=False)
    # The task's folder is in worker node 1's home: that node ran it.
    homes = {name: (home / "runs" / f"task-{task.id}").is_dir() for name, home in cluster.homes.items()}
    assert homes == {"head": False, "node_w1": True, "node_w2": False}
    assert len(_ledger(ledger)) == 1


def test_a_search_runs_trials_on_several_nodes_and_the_table_names_them(
        placed: AgentProcess, backend: Backend, project: Project, s3: S3Server) -> None:
    task = _search(backend.api, placed.id, project, [{"name": "x", "type": "grid_search", "options": [0.2, 0.5, 0.8]}],
                   {"mode": "max", "metric": "score", "num_samples": 1, "max_concurrent_trials": 3},
                   epochs=2, epoch_seconds=1.0)
    result = task.wait(timeout=WAIT, progress=False)
    trials = task.trials()
    assert "node" in trials.columns and len(trials) == 3
    labels = {f"{n['address']}/{n['node_id'][:8]}" for n in backend.api.agent.get(placed.id).resources["nodes"]}
    assert set(trials["node"]) <= labels
    assert trials["node"].nunique() >= 2, f"all trials ran on one node: {trials['node'].tolist()}"
    assert {t["node"] for t in result["trial_models"]} == set(trials["node"])
    assert any(key.endswith("experiment_state.json") or "experiment_state" in key for key in s3.keys("searches/"))


def test_pbt_stores_checkpoints_from_the_nodes_running_the_trials(
        placed: AgentProcess, backend: Backend, project: Project, s3: S3Server) -> None:
    before = set(s3.keys("searches/"))
    task = _search(backend.api, placed.id, project, [{"name": "x", "type": "uniform", "min": 0.1, "max": 0.9}],
                   {"mode": "max", "metric": "score", "num_samples": 2, "max_concurrent_trials": 2,
                    "scheduler": {"name": "pbt", "options": {"perturbation_interval": 1}}},
                   epochs=3, epoch_seconds=0.5)
    result = task.wait(timeout=WAIT, progress=False)
    assert {t["status"] for t in result["trial_models"]} == {"TERMINATED"}
    checkpoints = [k for k in set(s3.keys("searches/")) - before if "/checkpoint_" in k]
    trial_ids = {t["trial_id"] for t in result["trial_models"]}
    assert {tid for tid in trial_ids if any(f"trial_{tid}/" in k for k in checkpoints)} == trial_ids
    # Two trials on 1-CPU nodes: at least one ran on another node than the head's.
    head = next(n for n in backend.api.agent.get(placed.id).resources["nodes"] if not n["resources"])
    assert any(t["node"] != f"{head['address']}/{head['node_id'][:8]}" for t in result["trial_models"])


def test_an_interrupted_search_is_finished_by_another_agent_from_the_shared_storage(
        placed: AgentProcess, start_agent: Callable[..., AgentProcess], backend: Backend, project: Project,
        tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.jsonl"
    xs = [0.1, 0.3, 0.5, 0.7]
    task = _search(backend.api, placed.id, project, [{"name": "x", "type": "grid_search", "options": xs}],
                   {"mode": "max", "metric": "score", "num_samples": 1, "max_concurrent_trials": 1},
                   epochs=2, epoch_seconds=1.0, ledger=str(ledger))
    wait_for(lambda: len(backend.api.model.all(task_id=task.id)) >= 2, WAIT, "two finished trials", interval=0.5)
    task.stop(timeout=120)
    finished = {m.trial_id: m.id for m in backend.api.model.all(task_id=task.id)}

    rescuer = start_agent("rescuer", "--storage", STORAGE)  # another home: no folder of the first attempt
    retry = task.retry(agent_id=rescuer.id)
    result = retry.wait(timeout=WAIT, progress=False)
    trials = {t["trial_id"]: t for t in result["trial_models"]}
    assert sorted(t["config"]["x"] for t in trials.values()) == xs
    assert retry.logs()["message"].str.contains(f"resuming search .* from {STORAGE}", regex=True).any()
    runs = Counter(line["trial_id"] for line in _ledger(ledger))
    assert set(runs) == set(trials), "the experiment was restored (same trial ids), not started over"
    for trial_id, model_id in finished.items():
        assert runs[trial_id] == 1 and trials[trial_id]["model_id"] == model_id
    assert retry.trials()["node"].notna().all()
