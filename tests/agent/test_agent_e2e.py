"""Agents against a real backend on a real `ray start --head` cluster: joining with token
authentication, sharing a queue, surviving crashing tasks, dying mid-training (the reaper
fails the task; a retry on another agent resumes from the last epoch checkpoint), and a
failed final upload that a retry finishes without training again.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import synapse_nb as snb
from synapse_nb.errors import InputError, TaskFailed
from synapse_nb.schemas import Project, TaskCreate
from tests.agent.e2e_helpers import HEARTBEAT_TIMEOUT, PLUGIN, TINY_YOLO, AgentProcess, Backend, RayHead, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _ledger(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _plugin_state(project: Project, **hyper: object) -> snb.TrainState:
    text = "".join(f"{key}: {json.dumps(value)}\n" for key, value in hyper.items())
    return snb.TrainState(project_id=project.id, plugin=PLUGIN, hyperparameters=text or None)


def test_agent_joins_a_token_cluster_and_runs_a_task(
    backend: Backend, project: Project, ray_head: RayHead, start_agent: Callable[..., AgentProcess], tmp_path: Path
) -> None:
    assert ray_head.token_auth_enabled(), "the cluster should require Ray's token, as a new cluster does"
    agent = start_agent("cluster-a")
    record = backend.api.agent.get(agent.id)
    assert record.ray_address == ray_head.address
    assert record.resources["CPU"] == 2

    ledger = tmp_path / "ledger.jsonl"
    task = snb.TrainApi(backend.api).run(_plugin_state(project, ledger=str(ledger)).model_copy(update={"agent_id": agent.id}))
    task.wait_started(timeout=300)
    task.wait(timeout=300, progress=False)

    (line,) = _ledger(ledger)
    assert line["task_id"] == task.id
    assert line["ray"] is not None and line["ray"].endswith(":" + ray_head.address.rsplit(":", 1)[1])
    assert task.experiment is not None and task.experiment.model_id is not None


def test_two_agents_run_each_of_four_queued_tasks_exactly_once(
    backend: Backend, project: Project, start_agent: Callable[..., AgentProcess], tmp_path: Path
) -> None:
    first = start_agent("cluster-a")  # already online from the test before: same process
    second = start_agent("cluster-b")
    ledger = tmp_path / "ledger.jsonl"
    state = _plugin_state(project, ledger=str(ledger), seconds=2)
    # agent_id=None: any agent may claim them, so the two agents race for every task.
    ids = [backend.api.task.create(TaskCreate(state=state.model_dump(mode="json"))).id for _ in range(4)]

    for task_id in ids:
        snb.Task(backend.api, task_id).wait(timeout=600, progress=False)

    runs = _ledger(ledger)
    assert sorted(line["task_id"] for line in runs) == sorted(ids), "every task ran exactly once"
    ran_on = {backend.api.task.get(task_id).agent_id for task_id in ids}
    assert ran_on == {first.id, second.id}, "both agents took tasks from the queue"


def test_a_crashing_task_never_takes_the_agent_down(
    backend: Backend, project: Project, start_agent: Callable[..., AgentProcess], tmp_path: Path
) -> None:
    agent = start_agent("cluster-a")
    train = snb.TrainApi(backend.api)

    killed = train.run(_plugin_state(project, crash="exit").model_copy(update={"agent_id": agent.id}))
    with pytest.raises(TaskFailed) as failure:
        killed.wait(timeout=300, progress=False)
    assert "worker ended unexpectedly" in failure.value.message

    raised = train.run(_plugin_state(project, crash="raise").model_copy(update={"agent_id": agent.id}))
    with pytest.raises(TaskFailed) as failure:
        raised.wait(timeout=300, progress=False)
    assert failure.value.step == "train"
    assert "failed on purpose" in failure.value.message
    assert "RuntimeError" in (raised.error.traceback or "")

    assert agent.alive
    assert backend.api.agent.get(agent.id).status == "online"
    after = train.run(_plugin_state(project).model_copy(update={"agent_id": agent.id}))
    after.wait(timeout=300, progress=False)
    assert after.status == "finished"


def test_tasks_reuse_the_warm_worker_and_a_stop_kills_and_replaces_it(
    backend: Backend, project: Project, start_agent: Callable[..., AgentProcess], tmp_path: Path
) -> None:
    # One warm worker with torch and ultralytics imported (the agent's default preload).
    agent = start_agent("pooled", "--pool-size", "1")
    train = snb.TrainApi(backend.api)
    ledger = tmp_path / "ledger.jsonl"

    def run(**hyper: object) -> snb.Task:
        return train.run(_plugin_state(project, ledger=str(ledger), **hyper).model_copy(update={"agent_id": agent.id}))

    for _ in range(2):
        run().wait(timeout=300, progress=False)
    first, second = (line["pid"] for line in _ledger(ledger))
    assert first == second, "the second task ran on the same warm worker"

    long = run(seconds=300)
    wait_for(lambda: len(_ledger(ledger)) == 3, 300, "the long task to start")
    pid = _ledger(ledger)[-1]["pid"]
    assert pid == first
    long.stop(timeout=60)
    assert long.status == "stopped"
    wait_for(lambda: not _alive(pid), 60, "the stopped task's worker to be killed")

    run().wait(timeout=300, progress=False)
    assert _ledger(ledger)[-1]["pid"] not in (pid, None), "a fresh warm worker took the next task"
    agent.stop()  # its warm worker holds a CPU of the test cluster: give it back to the other tests


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_an_agent_shut_down_mid_task_goes_offline_and_fails_it_at_once(
    backend: Backend, project: Project, start_agent: Callable[..., AgentProcess]
) -> None:
    agent = start_agent("leaving")
    task = snb.TrainApi(backend.api).run(_plugin_state(project, seconds=120).model_copy(update={"agent_id": agent.id}))
    task.wait_started(timeout=300)

    agent.stop()  # SIGTERM: the agent says goodbye instead of going silent

    record = backend.api.agent.get(agent.id)
    assert record.status == "offline"
    assert task.status == "failed"
    assert "went offline" in task.error.message


def test_a_cut_off_agent_stops_the_worker_of_a_task_the_reaper_failed(
    backend: Backend, project: Project, start_agent: Callable[..., AgentProcess]
) -> None:
    agent = start_agent("cut-off")
    task = snb.TrainApi(backend.api).run(_plugin_state(project, seconds=300).model_copy(update={"agent_id": agent.id}))
    wait_for(lambda: backend.api.task.metrics(task.id), 300, "the task's first metric")

    def metric_count() -> int:
        return len(backend.api.task.metrics(task.id))

    os.kill(agent.proc.pid, signal.SIGSTOP)  # no heartbeats (as behind a broken network); the worker goes on
    try:
        wait_for(lambda: task.status == "failed", HEARTBEAT_TIMEOUT * 10, "the reaper to fail the task")
        assert "cut-off stopped sending heartbeats" in task.error.message
        seen = metric_count()
        wait_for(lambda: metric_count() > seen, 30, "the cut-off agent's worker to go on reporting")
    finally:
        os.kill(agent.proc.pid, signal.SIGCONT)

    # Back in touch, the agent learns the task ended and stops its worker: a retry never
    # trains beside a stale one.
    def quiet() -> bool:
        before = metric_count()
        time.sleep(2)
        return metric_count() == before

    wait_for(quiet, 60, "the stale worker to stop")
    assert backend.api.agent.get(agent.id).status == "online"
    after = snb.TrainApi(backend.api).run(_plugin_state(project).model_copy(update={"agent_id": agent.id}))
    after.wait(timeout=300, progress=False)


def test_agent_killed_mid_training_task_fails_then_retry_resumes_on_another_agent(
    backend: Backend, project: Project, start_agent: Callable[..., AgentProcess], cluster_home: Path
) -> None:
    doomed = start_agent("doomed")
    task = snb.TrainApi(backend.api).run(doomed.id, project.id, model="YOLO/yolov8n-det",
                                         hyperparameters=TINY_YOLO + "epochs: 8\n", enable_benchmark=False)
    task.wait_started(timeout=300)
    wait_for(lambda: any(f.path == "checkpoints/last.pt" for f in backend.api.task.list_files(task.id)),
             600, "the first epoch checkpoint on the backend", interval=0.5)
    assert task.status == "running", "killed mid-training"

    doomed.kill()

    wait_for(lambda: task.status == "failed", HEARTBEAT_TIMEOUT * 10, "the reaper to fail the task")
    assert "doomed stopped sending heartbeats" in task.error.message
    assert backend.api.agent.get(doomed.id).status == "offline"
    epochs_before = {m.epoch for m in backend.api.task.metrics(task.id, category="train")}
    with pytest.raises(InputError) as refused:
        task.retry()  # its own agent is gone
    assert refused.value.field == "agent_id"

    # The retry runs "on another machine": the first attempt's working folder is gone, so
    # only the checkpoint kept on the backend can resume it.
    first_folder = cluster_home / "runs" / f"task-{task.id}"
    assert (first_folder / "train" / "weights" / "last.pt").is_file()
    shutil.rmtree(first_folder)
    rescuer = start_agent("rescuer")
    retry = task.retry(agent_id=rescuer.id)
    retry.wait(timeout=600, progress=False)

    resumed_epochs = sorted({m.epoch for m in backend.api.task.metrics(retry.id, category="train")})
    assert resumed_epochs and resumed_epochs[0] > 0, f"the retry trained from epoch 0: {resumed_epochs}"
    assert resumed_epochs[-1] == 7
    assert epochs_before, "the first attempt logged epochs before it was killed"
    assert any("resuming from" in line.message for line in backend.api.task.logs(retry.id))
    assert retry.experiment is not None and retry.experiment.task_id == retry.id
    # The killed attempt's worker died with its agent: nothing more arrives for it.
    count = len(backend.api.task.metrics(task.id))
    time.sleep(3)
    assert len(backend.api.task.metrics(task.id)) == count


def test_failed_final_upload_retry_skips_training(
    backend: Backend, project: Project, start_agent: Callable[..., AgentProcess]
) -> None:
    agent = start_agent("cluster-a")
    # The backend refuses uploads over 1 MiB: the model (several MB of weights) can't be stored.
    backend.restart(max_upload_bytes=1024 * 1024)
    try:
        task = snb.TrainApi(backend.api).run(agent.id, project.id, model="YOLO/yolov8n-det",
                                             hyperparameters=TINY_YOLO + "epochs: 1\n", enable_benchmark=False)
        with pytest.raises(TaskFailed) as failure:
            task.wait(timeout=600, progress=False)
        assert failure.value.step == "model_upload"
    finally:
        backend.restart(max_upload_bytes=8 * 1024 * 1024 * 1024)
    assert backend.api.task.metrics(task.id, category="train"), "the first attempt trained"

    retry = task.retry()
    retry.wait(timeout=600, progress=False)

    messages = [line.message for line in backend.api.task.logs(retry.id)]
    assert "step train: reused from the earlier attempt" in messages
    assert not backend.api.task.metrics(retry.id, category="train"), "the retry trained again"
    experiment = retry.experiment
    assert experiment is not None and experiment.model_id is not None
    assert experiment.best_checkpoint == "checkpoints/best.pt"
