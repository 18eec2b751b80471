"""Running the backend: in the foreground (``synapse-nb serve``, ``python -m
synapse_nb.server``), as the embedded background process ``Api.from_env()`` starts, or in a
thread of this process (tests, benchmarks).

The port is bound before the server starts (port 0 picks a free one), and the URL and pid
are written to ``<home>/server/server.json`` atomically once the server accepts requests,
so a client that finds the file can talk to the server at once.

Example:
    >>> import tempfile, pathlib, httpx
    >>> with BackgroundServer(ServerConfig(home=pathlib.Path(tempfile.mkdtemp()), port=0)) as server:
    ...     httpx.get(server.url + "/health").json()
    {'status': 'ok'}
"""

from __future__ import annotations

__all__ = ["BackgroundServer", "START_TIMEOUT", "owners_dir", "read_info", "serve", "write_info"]

import datetime as dt
import json
import logging
import os
import shutil
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

from synapse_nb._atomic import atomic_write_text
from synapse_nb._process import pid_alive
from synapse_nb.server.config import ServerConfig

log = logging.getLogger("synapse_nb.server")

START_TIMEOUT = 30.0


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _url(host: str, port: int, scheme: str = "http") -> str:
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        shown = "127.0.0.1"  # bound everywhere; this machine reaches it on loopback
    return f"{scheme}://{shown}:{port}"


def write_info(path: Path, data: dict[str, Any]) -> None:
    """Write ``server.json`` atomically (temporary name, then rename), readable by its owner only."""
    atomic_write_text(path, json.dumps(data), mode=0o600)


def read_info(path: Path) -> dict[str, Any] | None:
    """The contents of ``server.json``, or None if absent or unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def owners_dir(config: ServerConfig) -> Path:
    """Where processes that use an embedded backend register (one empty file per pid)."""
    return config.server_dir / "owners"


def _owners_alive(owner_pid: int, folder: Path) -> bool:
    """Whether the starting process, or any process registered in ``folder``, still runs."""
    if pid_alive(owner_pid):
        return True
    alive = False
    for entry in folder.glob("*") if folder.is_dir() else []:
        if entry.name.isdigit() and pid_alive(int(entry.name)):
            alive = True
        else:
            entry.unlink(missing_ok=True)
    return alive


class _Uvicorn:
    """A uvicorn server for ``config`` on a socket bound now."""

    def __init__(self, config: ServerConfig, log_level: str = "warning") -> None:
        import uvicorn

        from synapse_nb.server.app import create_app

        self.config = config
        self.socket = _bind(config.host, config.port)
        self.port = self.socket.getsockname()[1]
        self.url = _url(config.host, self.port, config.scheme)
        self.app = create_app(config)
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app, log_level=log_level, lifespan="on", access_log=False, timeout_keep_alive=30,
                ssl_certfile=None if config.certfile is None else str(config.certfile),
                ssl_keyfile=None if config.keyfile is None else str(config.keyfile),
            )
        )

    def run(self) -> None:
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.socket.close()


def serve(config: ServerConfig, owner_pid: int | None = None, info_file: bool = True, log_level: str = "warning") -> None:
    """Run the backend in this thread until stopped (Ctrl-C, SIGTERM, or the owner exiting).

    With ``owner_pid`` the backend stops once that process and every process registered in
    ``<home>/server/owners/`` have ended: the embedded backend lives as long as the notebook
    kernels (or scripts) using it, and no longer.
    """
    runner = _Uvicorn(config, log_level=log_level)
    if owner_pid is not None:
        # Owners registered with an earlier backend of this home are not this one's.
        shutil.rmtree(owners_dir(config), ignore_errors=True)
    info = {
        "url": runner.url,
        "pid": os.getpid(),
        "host": config.host,
        "port": runner.port,
        "home": str(config.home),
        "owner_pid": owner_pid,
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(),
    }

    def announce() -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not runner.server.started and not runner.server.should_exit and time.monotonic() < deadline:
            time.sleep(0.01)
        if runner.server.started and info_file:
            write_info(config.info_path, info)
        print(f"synapse_nb backend serving at {runner.url} (home {config.home}; token in {config.token_path})", flush=True)
        while owner_pid is not None and not runner.server.should_exit:
            if not _owners_alive(owner_pid, owners_dir(config)):
                log.warning("every process using the embedded backend ended; stopping it")
                runner.server.should_exit = True
            time.sleep(0.5)

    threading.Thread(target=announce, name="synapse-nb-announce", daemon=True).start()
    # Uvicorn in the main thread re-raises SIGTERM after its shutdown, which kills the process
    # before the info file is removed: serve from a thread and stop it from here instead.
    server_thread = threading.Thread(target=runner.run, name="synapse-nb-server")
    previous = _stop_on_signals(runner.server) if threading.current_thread() is threading.main_thread() else {}
    try:
        server_thread.start()
        while server_thread.is_alive():
            server_thread.join(0.5)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if info_file:
            current = read_info(config.info_path)
            if current is not None and current.get("pid") == os.getpid():
                config.info_path.unlink(missing_ok=True)


def _stop_on_signals(server: Any) -> dict[int, Any]:
    """SIGTERM and Ctrl-C stop ``server`` gracefully (twice: at once); the previous handlers."""

    def stop(signum: int, frame: Any) -> None:
        if server.should_exit:
            server.force_exit = True
        server.should_exit = True

    return {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}


class BackgroundServer:
    """The backend served from a thread of this process: ``with BackgroundServer(cfg) as s: s.url``."""

    def __init__(self, config: ServerConfig) -> None:
        self._runner = _Uvicorn(config)
        self.config = config
        self.url = self._runner.url
        self._thread = threading.Thread(target=self._runner.run, name="synapse-nb-backend", daemon=True)

    @property
    def token(self) -> str:
        """The bearer token of this backend."""
        return self.config.token_path.read_text(encoding="utf-8").strip()

    def start(self) -> BackgroundServer:
        """Start serving; returns once requests are accepted."""
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._runner.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the backend for {self.config.home} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread (and its database connections) to end."""
        self._runner.server.should_exit = True
        self._thread.join(timeout=30)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
