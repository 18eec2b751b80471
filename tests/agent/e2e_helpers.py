"""Real processes for the end-to-end tests: a backend, agents, and a `ray start --head` cluster.

Nothing here is a stand-in: the backend is the FastAPI app over SQLite (served from a
thread of the test process so it can be restarted with other limits), each agent is a
``python -m synapse_nb.agent`` process, and the cluster is ``ray start --head --block``.
Every process is started in its own session and stopped by its own id (its process
group), never by name: other Rays on this machine are left alone.

Import as ``tests.agent.e2e_helpers`` (the trainapi tests use it too).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synapse_nb.api import Api
from synapse_nb.server import BackgroundServer, ServerConfig

REPO = Path(__file__).resolve().parents[2]
# Tiny trainings: 16-32 images of 64 px, batch 8, 1-3 epochs (see the tests' docstrings).
TINY_YOLO = "imgsz: 64\nbatch: 8\nworkers: 0\nplots: false\nseed: 0\n"
PLUGIN = "tests.agent.e2e_plugins:LedgerAction"
# Seconds without a heartbeat before the test backends mark an agent offline.
HEARTBEAT_TIMEOUT = 4.0


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> Any:
    """Poll ``condition`` until it returns something truthy; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def tail(path: Path, lines: int = 40) -> str:
    """The end of a log file (for assertion messages)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"<no log at {path}>"


def stop_groups(procs: list[subprocess.Popen[bytes]], grace: float = 15.0) -> None:
    """Stop processes started in sessions of their own, in parallel: SIGTERM each leader
    (an agent or `ray start --block` then shuts its Ray down itself; signalling Ray's own
    processes directly makes them linger), SIGTERM what is left of the groups after
    ``grace`` seconds, and SIGKILL what is left after that."""
    steps = ((None, grace), (signal.SIGTERM, 5.0), (signal.SIGKILL, 10.0))
    for sig, wait in steps:
        left = []
        for proc in procs:
            try:
                if sig is None:
                    proc.terminate()
                else:
                    os.killpg(proc.pid, sig)
                left.append(proc)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + wait
        while left and time.monotonic() < deadline:
            for proc in left:
                proc.poll()  # reap the leader, or its group never looks empty
            left = [proc for proc in left if _group_alive(proc.pid)]
            time.sleep(0.2)
        procs = left
        if not procs:
            return


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


class Backend:
    """A backend served from a thread of this process, restartable on the same port and home."""

    def __init__(self, home: Path, heartbeat_timeout: float = HEARTBEAT_TIMEOUT, **config: Any) -> None:
        self.home = home
        self._config = {"heartbeat_timeout": heartbeat_timeout, **config}
        self.server = BackgroundServer(ServerConfig(home=home, port=0, **self._config)).start()
        self.url = self.server.url
        self.port = int(self.url.rsplit(":", 1)[1])
        self.token = self.server.token
        self.api = Api(self.url, self.token)

    def restart(self, **changes: Any) -> None:
        """Stop and start again on the same port and home, with ``changes`` to the config."""
        self.server.stop()
        self._config.update(changes)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.server = BackgroundServer(ServerConfig(home=self.home, port=self.port, **self._config)).start()
                return
            except OSError:  # the old socket may linger a moment
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def stop(self) -> None:
        self.api.close()
        self.server.stop()


class RayHead:
    """``ray start --head --block`` on loopback with token authentication, in a home of its own.

    ``HOME`` points at a temporary folder holding ``.ray/auth_token``, the way a user's
    token lives in ``~/.ray``: Ray 2.60 then enables token authentication for the cluster,
    and agents joining by address must send that token.
    """

    def __init__(self, root: Path, env: dict[str, str], num_cpus: int = 2, timeout: float = 180.0) -> None:
        self.home = root / "user-home"
        (self.home / ".ray").mkdir(parents=True, exist_ok=True)
        token = self.home / ".ray" / "auth_token"
        token.write_text(secrets.token_hex(16))
        token.chmod(0o600)
        # Unix socket paths must stay short: a temp folder of its own under /tmp.
        self.temp_dir = Path(os.environ.get("TMPDIR", "/tmp")) / f"snb-rh-{secrets.token_hex(3)}"
        self.log = root / "ray-head.log"
        self.env = {**env, "HOME": str(self.home), "RAY_USAGE_STATS_ENABLED": "0"}
        self.env.pop("RAY_AUTH_MODE", None)
        ray_cli = Path(sys.executable).with_name("ray")
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [str(ray_cli), "start", "--head", "--block", "--port", "0", f"--num-cpus={num_cpus}",
                 "--disable-usage-stats", "--include-dashboard=false", "--node-ip-address", "127.0.0.1",
                 "--temp-dir", str(self.temp_dir)],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=self.env,
                start_new_session=True, cwd=str(REPO),
            )
        port = wait_for(self._port, timeout, f"the Ray head to start (log: {self.log})", interval=0.5)
        self.address = f"127.0.0.1:{port}"

    def _port(self) -> str | None:
        if self.proc.poll() is not None:
            raise AssertionError(f"ray start exited with {self.proc.returncode}:\n{tail(self.log)}")
        match = re.search(r"--address='[^':]+:(\d+)'", self.log.read_text(errors="replace"))
        return match.group(1) if match else None

    def token_auth_enabled(self) -> bool:
        """Whether Ray said it enabled token authentication for this cluster."""
        return "Token authentication is enabled" in self.log.read_text(errors="replace")

    def stop(self) -> None:
        stop_groups([self.proc], grace=20.0)
        shutil.rmtree(self.temp_dir, ignore_errors=True)


class AgentProcess:
    """``python -m synapse_nb.agent --name NAME --url URL [...]`` with the token in its environment."""

    def __init__(self, backend: Backend, name: str, log_dir: Path, env: dict[str, str], *args: str) -> None:
        self.backend = backend
        self.name = name
        self.log = log_dir / f"agent-{name}.log"
        full_env = {**env, "SYNAPSE_NB_TOKEN": backend.token}
        full_env.pop("SYNAPSE_NB_URL", None)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "synapse_nb.agent", "--name", name, "--url", backend.url, *args],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=full_env,
                start_new_session=True, cwd=str(REPO),
            )
        self.id: int | None = None

    def wait_online(self, timeout: float = 240.0) -> int:
        """Wait until the agent registered and is online; return its id."""

        def online() -> int | None:
            if self.proc.poll() is not None:
                raise AssertionError(f"agent {self.name} exited with {self.proc.returncode}:\n{tail(self.log)}")
            for agent in self.backend.api.agent.list(status="online"):
                if agent.name == self.name and agent.pid == self.proc.pid:
                    return agent.id
            return None

        self.id = wait_for(online, timeout, f"agent {self.name} to come online (log: {self.log})", interval=0.5)
        return self.id

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the agent process only (as a machine crash or OOM kill would)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        stop_groups([self.proc])


def worker_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of agents and Ray nodes in the tests: their own home, the repository
    on the path (plugins load by name), checkpoints kept after every epoch."""
    env = {k: v for k, v in os.environ.items() if k not in ("SYNAPSE_NB_TOKEN", "SYNAPSE_NB_URL")}
    pythonpath = [str(REPO), *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p)]
    env.update({"SYNAPSE_NB_HOME": str(home), "PYTHONPATH": os.pathsep.join(pythonpath),
                "SYNAPSE_NB_CHECKPOINT_INTERVAL": "0", **extra})
    return env
