"""The local agent of the embedded backend: started once per home, in the background.

``Api.from_env()`` without a URL calls :func:`ensure_local_agent`; it returns at once (the
agent needs a few seconds to start Ray) and ``api.agent.local()`` waits for it.

Example:
    >>> agent_state_file().name
    'local.json'
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from synapse_nb._home import sub_dir


def agent_state_file() -> Path:
    """Where the local agent's pid is kept."""
    return sub_dir("agent") / "local.json"


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs. A dead agent this process started stays a zombie until reaped
    (``os.kill(pid, 0)`` takes it for alive): reap it here, and count zombies as dead.

    Example:
        >>> _alive(os.getpid())
        True
    """
    import psutil

    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass  # not our child: its parent reaps it
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def local_agent_pid() -> int | None:
    """The pid of this home's local agent when it is running."""
    path = agent_state_file()
    if not path.is_file():
        return None
    try:
        pid = int(json.loads(path.read_text())["pid"])
    except (ValueError, KeyError, json.JSONDecodeError):
        return None
    return pid if _alive(pid) else None


def ensure_local_agent(api: Any) -> int:
    """Start this home's local agent unless it runs already; returns its pid.

    Under a lock of the home: two processes calling this at once start one agent (the agent
    itself also holds a lock for its life, so a second one would exit at once).
    """
    from filelock import FileLock

    with FileLock(str(sub_dir("agent") / "spawn.lock"), timeout=60):
        pid = local_agent_pid()
        if pid is not None:
            return pid
        return _spawn(api)


def _spawn(api: Any) -> int:
    log_path = sub_dir("logs") / "agent.log"
    env = {k: v for k, v in os.environ.items() if k not in ("SYNAPSE_NB_TOKEN", "SYNAPSE_NB_URL")}
    with open(log_path, "ab") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "synapse_nb.agent", "--local", "--name", "local",
             "--exit-after-backend-lost", "30"],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
            env=env, start_new_session=True, close_fds=True,
        )
    path = agent_state_file()
    tmp = path.with_name(".local.json.tmp")
    tmp.write_text(json.dumps({"pid": proc.pid, "url": api.url}))
    os.replace(tmp, path)
    return proc.pid


def stop_local_agent(timeout: float = 10.0) -> bool:
    """Stop this home's local agent (SIGTERM, then SIGKILL); True if one was running."""
    import signal
    import time

    pid = local_agent_pid()
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    agent_state_file().unlink(missing_ok=True)
    return True
