"""The embedded backend: started in the background for this machine when no URL is set.

``Api.from_env()`` without ``SYNAPSE_NB_URL`` calls :func:`ensure_server`: it reuses the
backend of this ``SYNAPSE_NB_HOME`` when one answers (its ``/health`` replies and the token
in ``<home>/server/token`` is accepted), else starts ``python -m synapse_nb.server --home H
--port 0 --owner-pid <this process>`` as a detached process and waits until it has written
its URL to ``<home>/server/server.json``. A file lock makes two processes starting at once
share one backend.

How it stops: the embedded backend ends when the process that started it and every
process that reused it (registered under ``<home>/server/owners/``) have ended; or at once
with ``Api.shutdown_embedded()`` / ``synapse-nb stop``. ``synapse-nb serve`` runs a backend
in the foreground instead, until Ctrl-C.

Example:
    >>> from pathlib import Path
    >>> info_path(Path("/tmp/snb")).as_posix()
    '/tmp/snb/server/server.json'
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from synapse_nb._home import home_dir
from synapse_nb._locks import file_lock
from synapse_nb._process import stop_process
from synapse_nb.api import _local_agent
from synapse_nb.errors import BackendError

START_TIMEOUT = 30.0
PROBE_TIMEOUT = 2.0


def server_dir(home: Path) -> Path:
    """``<home>/server``."""
    return Path(home) / "server"


def info_path(home: Path) -> Path:
    """``<home>/server/server.json``: URL and pid of the running backend."""
    return server_dir(home) / "server.json"


def token_path(home: Path) -> Path:
    """``<home>/server/token``."""
    return server_dir(home) / "token"


def read_info(home: Path) -> dict[str, Any] | None:
    """The running backend's ``server.json``, or None."""
    try:
        data = json.loads(info_path(home).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def read_token(home: Path) -> str | None:
    """The backend's token for ``home``, or None before its first start."""
    try:
        return token_path(home).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def probe(url: str, token: str | None) -> dict[str, Any] | None:
    """The backend's ``/server`` facts if it answers at ``url`` and accepts ``token``; else None."""
    if not token:
        return None
    try:
        with httpx.Client(base_url=url, timeout=PROBE_TIMEOUT, trust_env=False) as client:
            if client.get("/health").status_code != 200:
                return None
            reply = client.get("/server", headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError:
        return None
    return reply.json() if reply.status_code == 200 else None


def running_server(home: Path) -> tuple[str, str, dict[str, Any]] | None:
    """``(url, token, facts)`` of the live backend of ``home``, or None."""
    info = read_info(home)
    token = read_token(home)
    if info is None or not isinstance(info.get("url"), str):
        return None
    facts = probe(info["url"], token)
    if facts is None or facts.get("pid") != info.get("pid"):
        return None
    assert token is not None
    return info["url"], token, facts


def register_owner(home: Path, pid: int | None = None) -> None:
    """Tell the embedded backend that this process uses it (it stays up while we run)."""
    folder = server_dir(home) / "owners"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / str(pid or os.getpid())).touch()


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def _spawn(home: Path) -> tuple[str, str]:
    log_path = server_dir(home) / "server.log"
    info_path(home).unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("SYNAPSE_NB_URL", "SYNAPSE_NB_TOKEN")}
    env["SYNAPSE_NB_HOME"] = str(home)
    command = [sys.executable, "-m", "synapse_nb.server", "--home", str(home), "--port", "0", "--owner-pid", str(os.getpid())]
    with open(log_path, "ab") as log_file:
        # Its own session: Ctrl-C in a terminal or an interrupted cell must not kill it
        # mid-write; it ends when its owners do (see the module docstring).
        proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, env=env, start_new_session=True, close_fds=True
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        info = read_info(home)
        if info is not None and info.get("pid") == proc.pid:
            token = read_token(home)
            if token is not None:
                return str(info["url"]), token
        code = proc.poll()
        if code is not None:
            raise BackendError(0, f"the embedded backend exited with code {code} at start; its log {log_path}:\n{_log_tail(log_path)}")
        time.sleep(0.02)
    proc.terminate()
    raise BackendError(0, f"the embedded backend did not start within {START_TIMEOUT:.0f} s; its log {log_path}:\n{_log_tail(log_path)}")


def ensure_server(home: Path, owner: bool = True, start: bool = True) -> tuple[str, str] | None:
    """URL and token of the embedded backend of ``home``, started if needed.

    ``owner``: this process keeps the backend alive while it runs. ``start=False`` only finds
    a running backend (None when there is none), for helper processes such as the local
    agent, which must never keep a backend alive on their own.
    """
    home = Path(home)
    with file_lock(server_dir(home) / ".start.lock"):
        found = running_server(home)
        if found is not None:
            url, token, _ = found
        elif not start:
            return None
        else:
            url, token = _spawn(home)
        if owner:
            register_owner(home)
        return url, token


def ensure_local_agent(api: Any) -> None:
    """Start the local agent of the embedded backend (see :mod:`synapse_nb.api._local_agent`)."""
    _local_agent.ensure_local_agent(api)


def _stop_local_agent() -> None:
    _local_agent.stop_local_agent()


def shutdown(home: Path, timeout: float = 15.0, stop_agent: bool = True) -> bool:
    """Stop the embedded backend of ``home`` (and its local agent); True if one was running."""
    home = Path(home)
    # The local agent's files live under SYNAPSE_NB_HOME: stop it only for that home.
    if stop_agent and home.resolve() == home_dir(create=False).resolve():
        _stop_local_agent()
    found = running_server(home)
    if found is None:
        return False
    pid = int(found[2]["pid"])
    stop_process(pid, timeout)
    info = read_info(home)
    if info is not None and info.get("pid") == pid:
        info_path(home).unlink(missing_ok=True)
    return True
