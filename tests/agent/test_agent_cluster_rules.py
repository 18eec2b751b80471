"""What an agent on a Ray cluster of several nodes checks before it claims a task, what the
backend does when an agent registers again under its name, and how a run is judged against
the nodes of the agent's cluster (one task on one node), against the real backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import synapse_nb as snb
from synapse_nb.agent.cluster import check_storage, check_worker_url, cluster_summary, is_loopback_url, is_remote_storage
from synapse_nb.errors import InputError
from synapse_nb.schemas import Project, TaskCreate
from synapse_nb.schemas.agent import NodeCapabilities, node_shortfalls
from tests.agent.e2e_helpers import PLUGIN, Backend

TWO_MACHINES = ["10.0.0.1", "10.0.0.2"]


def _node(address: str, suffix: str, cpus: float = 4, gpus: float = 0, tensorrt: bool = False) -> NodeCapabilities:
    return NodeCapabilities(node_id=suffix * 56, address=address, cpus=cpus, gpus=gpus, tensorrt=tensorrt,
                            tensorrt_reason="ok" if tensorrt else "the node has no GPU" if not gpus else "no tensorrt")


@pytest.mark.parametrize("storage", [None, "/home/me/experiments", "file:///srv/exp", "relative/folder"])
def test_a_folder_of_one_machine_is_refused_on_several_nodes_naming_the_setting(storage: str | None) -> None:
    with pytest.raises(InputError) as refused:
        check_storage(storage, shared=False, node_addresses=TWO_MACHINES)
    assert refused.value.field == "storage"
    assert "--storage s3://" in str(refused.value) and "--storage-shared" in str(refused.value)


@pytest.mark.parametrize(("storage", "shared", "nodes"), [
    ("s3://bucket/exp", False, TWO_MACHINES), ("gs://bucket/exp", False, TWO_MACHINES),
    ("/mnt/nfs/exp", True, TWO_MACHINES), (None, False, ["10.0.0.1"]), ("/home/me/exp", False, ["10.0.0.1"]),
])
def test_storage_every_node_reaches_is_accepted(storage: str | None, shared: bool, nodes: list[str]) -> None:
    check_storage(storage, shared=shared, node_addresses=nodes)
    assert is_remote_storage("s3://b/x") and not is_remote_storage("C:/exp") and not is_remote_storage("/x")


def test_a_loopback_worker_url_is_refused_when_another_machine_is_in_the_cluster() -> None:
    with pytest.raises(InputError) as refused:
        check_worker_url("http://127.0.0.1:8000", "10.0.0.1", TWO_MACHINES)
    assert refused.value.field == "worker_url"
    assert "--worker-url http://10.0.0.1:PORT" in str(refused.value) and "10.0.0.2" in str(refused.value)
    with pytest.raises(InputError):
        check_worker_url("http://localhost:8000/", "10.0.0.1", TWO_MACHINES)
    # Reachable URLs, or every node on this machine: fine.
    check_worker_url("http://10.0.0.1:8000", "10.0.0.1", TWO_MACHINES)
    check_worker_url("https://synapse.example.org", "10.0.0.1", TWO_MACHINES)
    check_worker_url("http://127.0.0.1:8000", "10.0.0.1", ["10.0.0.1", "10.0.0.1"])
    assert is_loopback_url("http://[::1]:80") and not is_loopback_url("http://10.1.2.3")


def test_a_task_fits_only_on_a_node_that_has_all_it_asks_for() -> None:
    nodes = [_node("10.0.0.1", "a", cpus=8, gpus=1), _node("10.0.0.2", "b", cpus=2, gpus=1, tensorrt=True)]
    assert node_shortfalls(nodes, cpus=2, gpus=1, tensorrt=True) == []
    # Two GPUs in all, but one per node: no node holds the task.
    assert node_shortfalls(nodes, gpus=2) == ["node 10.0.0.1/aaaaaaaa has 1 GPUs, not 2",
                                              "node 10.0.0.2/bbbbbbbb has 1 GPUs, not 2"]
    lacking = node_shortfalls(nodes, cpus=4, tensorrt=True)
    assert lacking == ["node 10.0.0.1/aaaaaaaa has no TensorRT (no tensorrt)", "node 10.0.0.2/bbbbbbbb has 2 CPUs, not 4"]
    summary = cluster_summary(nodes)
    assert summary["tensorrt"] is True and len(summary["nodes"]) == 2


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    server = Backend(tmp_path_factory.mktemp("cluster-rules"), heartbeat_timeout=600)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def project(backend: Backend) -> Project:
    return backend.api.project.import_samples(num_images=8, image_size=64, name="rules", progress=False)


def test_preflight_judges_each_node_not_the_cluster_total(backend: Backend, project: Project) -> None:
    nodes = [_node("10.0.0.1", "a", cpus=4, gpus=1), _node("10.0.0.2", "b", cpus=4, gpus=1)]
    resources = {"CPU": 8, "GPU": 2, **cluster_summary(nodes)}
    agent = backend.api.agent.register("two-gpu-nodes", resources)
    train = snb.TrainApi(backend.api)
    before = len(backend.api.task.list())
    with pytest.raises(InputError) as refused:
        train.run(agent.id, project.id, plugin=PLUGIN, num_gpus=2)
    assert refused.value.field == "num_gpus"
    assert "node 10.0.0.1/aaaaaaaa has 1 GPUs, not 2" in str(refused.value)
    with pytest.raises(InputError) as no_trt:
        train.run(agent.id, project.id, model="YOLO/yolo11n-det", export_tensorrt=True, num_gpus=1)
    assert no_trt.value.field == "export_tensorrt" and "the node has" not in str(no_trt.value)
    assert "no TensorRT" in str(no_trt.value)
    assert len(backend.api.task.list()) == before, "nothing was created"
    # One GPU fits on either node.
    task = train.run(agent.id, project.id, plugin=PLUGIN, num_gpus=1, autostart=False)
    backend.api.task.stop(task.id)


def test_an_agent_registering_again_fails_the_running_tasks_it_no_longer_runs(
        backend: Backend, project: Project) -> None:
    agent = backend.api.agent.register("restarting", {"CPU": 1})
    state = snb.TrainState(project_id=project.id, plugin=PLUGIN, agent_id=agent.id)
    kept, orphan = (backend.api.task.create(TaskCreate(state=state.model_dump(mode="json"), agent_id=agent.id))
                    for _ in range(2))
    assert backend.api.task.claim(agent.id).id == kept.id
    assert backend.api.task.claim(agent.id).id == orphan.id
    # The new process of the same name still runs `kept` (e.g. its end is not settled yet).
    again = backend.api.agent.register("restarting", {"CPU": 1}, running_task_ids=[kept.id])
    assert again.id == agent.id
    assert backend.api.task.record(kept.id).status == "running"
    record = backend.api.task.record(orphan.id)
    assert record.status == "failed" and record.error is not None
    assert record.error.message == "agent restarting restarted while the task ran"
