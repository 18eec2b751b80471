"""The local agent of the embedded backend: started once per home, in the background, by
the client (as it starts the backend); the agent process itself is :mod:`synapse_nb.agent`.

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

from synapse_nb._atomic import atomic_write_text
from synapse_nb._home import sub_dir
from synapse_nb._process import pid_alive, stop_process


def agent_state_file() -> Path:
    """Where the local agent's pid is kept."""
    return sub_dir("agent") / "local.json"


def local_agent_pid() -> int | None:
    """The pid of this home's local agent when it is running."""
    path = agent_state_file()
    if not path.is_file():
        return None
    try:
        pid = int(json.loads(path.read_text())["pid"])
    except (ValueError, KeyError, json.JSONDecodeError):
        return None
    return pid if pid_alive(pid) else None


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
    atomic_write_text(agent_state_file(), json.dumps({"pid": proc.pid, "url": api.url}))
    return proc.pid


def stop_local_agent(timeout: float = 10.0) -> bool:
    """Stop this home's local agent (SIGTERM, then SIGKILL); True if one was running."""
    pid = local_agent_pid()
    if pid is None:
        return False
    stop_process(pid, timeout)
    agent_state_file().unlink(missing_ok=True)
    return True
