"""No task is left "running" by the faults a real deployment sees: the backend answering
503 while the agent records how a task ended (the agent retries until it is confirmed,
even across a SIGKILL and a restart), an agent killed and restarted under its name within
the heartbeat timeout, and two processes starting the embedded stack at the same moment
(exactly one local agent).

The backend is the real one; a small proxy in front of it answers 503 to task status
updates while a test asks it to. The agents are real ``python -m synapse_nb.agent``
processes with a local Ray of 1 CPU.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

import synapse_nb as snb
from synapse_nb.schemas import Project
from tests.agent.e2e_helpers import PLUGIN, REPO, AgentProcess, Backend, stop_groups, tail, wait_for, worker_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


class FlakyProxy:
    """Forwards every request to the backend; answers 503 to ``PUT /tasks/N/status`` while
    ``refuse_status`` is set, and counts those answers."""

    def __init__(self, target: str) -> None:
        self.refuse_status = threading.Event()
        self.refused = 0
        client = httpx.Client(base_url=target, timeout=60)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy.refuse_status.is_set() and self.command == "PUT" and self.path.endswith("/status"):
                    proxy.refused += 1
                    self._answer(503, b'{"detail": "the backend is unavailable (test proxy)"}', "application/json")
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                reply = client.request(self.command, self.path, content=body, headers=headers)
                self._answer(reply.status_code, reply.content, reply.headers.get("content-type", "application/json"))

            def _answer(self, status: int, content: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        self._client = client

    def stop(self) -> None:
        self.server.shutdown()
        self._client.close()


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def backend(root: Path) -> Iterator[Backend]:
    # A long heartbeat timeout: a restarted agent registers well within it.
    server = Backend(root / "backend", heartbeat_timeout=300)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def proxy(backend: Backend) -> Iterator[FlakyProxy]:
    flaky = FlakyProxy(backend.url)
    yield flaky
    flaky.stop()


@pytest.fixture(scope="module")
def project(backend: Backend) -> Project:
    return backend.api.project.import_samples(num_images=8, image_size=64, name="faults", progress=False)


@pytest.fixture(scope="module")
def agents(backend: Backend, proxy: FlakyProxy, root: Path) -> Iterator[Callable[[str], AgentProcess]]:
    """``agents(name)``: a new agent process of that name (its home is the same every time),
    talking to the backend through the proxy, with a local Ray of 1 CPU."""
    started: list[AgentProcess] = []

    def start(name: str) -> AgentProcess:
        agent = AgentProcess(backend, name, root, worker_env(root / f"home-{name}"), "--url", proxy.url,
                             "--num-cpus", "1")
        started.append(agent)
        agent.wait_online()
        return agent

    yield start
    stop_groups([a.proc for a in started])


def _run(backend: Backend, project: Project, agent: AgentProcess, **hyper: object) -> snb.Task:
    text = "".join(f"{key}: {json.dumps(value)}\n" for key, value in hyper.items())
    state = snb.TrainState(project_id=project.id, plugin=PLUGIN, agent_id=agent.id, hyperparameters=text)
    return snb.TrainApi(backend.api).run(state)


def test_a_task_end_the_backend_refuses_is_retried_until_confirmed_even_across_a_restart(
        backend: Backend, proxy: FlakyProxy, project: Project, agents: Callable[[str], AgentProcess]) -> None:
    agent = agents("settler")
    proxy.refuse_status.set()
    try:
        task = _run(backend, project, agent, crash="exit")  # the worker dies: only the agent can say so
        wait_for(lambda: "did not confirm its end yet" in agent.log.read_text(errors="replace"), 300,
                 "the agent to retry recording the task's end")
        assert proxy.refused >= 1 and backend.api.task.record(task.id).status == "running"
        agent.kill()  # SIGKILL while the end is unconfirmed
        restarted = agents("settler")  # the same name, within the heartbeat timeout
        assert restarted.id == agent.id
        refused = proxy.refused
        wait_for(lambda: proxy.refused > refused, 120, "the restarted agent to retry the task's end")
        assert backend.api.task.record(task.id).status == "running", "kept, not failed as an orphan"
    finally:
        proxy.refuse_status.clear()
    wait_for(lambda: backend.api.task.record(task.id).is_final, 120, "the task's end to be recorded")
    record = backend.api.task.record(task.id)
    assert record.status == "failed" and record.error is not None
    assert "the task's worker ended unexpectedly" in record.error.message, record.error.message


def test_an_agent_killed_and_restarted_under_its_name_fails_the_task_it_ran(
        backend: Backend, project: Project, agents: Callable[[str], AgentProcess]) -> None:
    agent = agents("phoenix")
    task = _run(backend, project, agent, seconds=120)
    task.wait_started(timeout=300)
    wait_for(lambda: len(backend.api.task.metrics(task.id)) > 0, 300, "the task to train")
    agent.kill()
    restarted = agents("phoenix")  # long before the 300 s heartbeat timeout
    assert restarted.id == agent.id
    record = backend.api.task.record(task.id)
    assert record.status == "failed" and record.error is not None
    assert record.error.message == "agent phoenix restarted while the task ran"


def test_two_processes_starting_the_embedded_stack_at_once_get_one_local_agent(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code = ("import json, synapse_nb as snb\n"
            "from synapse_nb.agent.embedded import local_agent_pid\n"
            "api = snb.Api.from_env()\n"
            "print(json.dumps({'agent': api.agent.local(wait=240), 'pid': local_agent_pid()}), flush=True)\n")
    env = {**worker_env(home), "SYNAPSE_NB_HOME": str(home)}
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, cwd=str(REPO), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        outs = [p.communicate(timeout=400) for p in procs]
        for proc, (out, err) in zip(procs, outs, strict=True):
            assert proc.returncode == 0, err[-3000:]
        seen = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
        assert seen[0] == seen[1], f"two local agents: {seen}"
        log = home / "logs" / "agent.log"
        assert tail(log, 400).count(") serving http") == 1, "one agent process started and registered"
    finally:
        subprocess.run([sys.executable, "-c", "import synapse_nb as snb; snb.Api.shutdown_embedded()"],
                       env=env, cwd=str(REPO), timeout=120, check=False)
    wait_for(lambda: _gone(seen[0]["pid"]), 60, "the local agent to stop")


def _gone(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


def test_a_second_local_agent_of_a_home_refuses_to_start(tmp_path: Path) -> None:
    from filelock import FileLock

    home = tmp_path / "home"
    env = {**worker_env(home), "SYNAPSE_NB_HOME": str(home)}
    lock = FileLock(str(home / "agent" / "local-agent.lock"))
    os.makedirs(home / "agent", exist_ok=True)
    with lock:  # as a running local agent holds it
        done = subprocess.run([sys.executable, "-m", "synapse_nb.agent", "--local", "--name", "local",
                               "--num-cpus", "1"], env=env, cwd=str(REPO), capture_output=True, text=True,
                              timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "another local agent of this home runs already" in done.stderr


def test_an_embedded_stack_whose_user_left_at_once_stops_by_itself(tmp_path: Path) -> None:
    import psutil

    home = tmp_path / "home"
    env = {**worker_env(home), "SYNAPSE_NB_HOME": str(home)}
    # A script that ends before its local agent has even started Ray.
    subprocess.run([sys.executable, "-c", "import synapse_nb as snb; snb.Api.from_env()"], env=env, cwd=str(REPO),
                   check=True, timeout=300)

    def ours() -> list[psutil.Process]:
        found = []
        for proc in psutil.process_iter(["cmdline", "environ"]):
            try:
                if (proc.info["environ"] or {}).get("SYNAPSE_NB_HOME") == str(home) and proc.status() != "zombie":
                    found.append(proc)
            except psutil.Error:
                continue
        return found

    wait_for(lambda: not ours(), 240, "the backend, the local agent and its Ray to stop")
    said = (home / "logs" / "agent.log").read_text(errors="replace")  # its local agent was started
    # It found its backend gone (or lost it later) rather than starting one of its own.
    assert "nothing to serve" in said or "backend unreachable for too long" in said, said[-2000:]
    assert not (home / "server" / "server.json").exists() or not ours()
