"""The reaper: marks agents offline when their heartbeats stop, and fails what they ran.

A task whose agent died would otherwise stay 'running' forever; instead it fails with the
reason "agent <name> stopped sending heartbeats", and the notebook can retry it.

Example:
    >>> import tempfile, pathlib
    >>> from synapse_nb.server.db import Database
    >>> db = Database(pathlib.Path(tempfile.mkdtemp()) / "db.sqlite3")
    >>> reap_once(db, timeout=15.0, now=0.0)
    []
"""

from __future__ import annotations

__all__ = ["Reaper", "reap_once"]

import logging
import threading
import time

from synapse_nb.server.db import Database
from synapse_nb.server.routes.agents import mark_offline

log = logging.getLogger("synapse_nb.server")


def reap_once(db: Database, timeout: float, now: float | None = None) -> list[int]:
    """One pass: agents silent for more than ``timeout`` seconds go offline; return their ids."""
    cutoff = (time.time() if now is None else now) - timeout
    with db.write() as conn:
        rows = conn.execute(
            "SELECT id, name FROM agents WHERE status = 'online' AND (last_heartbeat IS NULL OR last_heartbeat < ?)", (cutoff,)
        ).fetchall()
        for row in rows:
            failed = mark_offline(conn, row["id"], row["name"], f"agent {row['name']} stopped sending heartbeats")
            log.warning("agent %s stopped sending heartbeats; failed its tasks %s", row["name"], failed)
    return [row["id"] for row in rows]


class Reaper:
    """Runs :func:`reap_once` every ``period`` seconds in a daemon thread until stopped."""

    def __init__(self, db: Database, timeout: float, period: float) -> None:
        self.db = db
        self.timeout = timeout
        self.period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="synapse-nb-reaper", daemon=True)
        self._started_at = time.time()

    def start(self) -> None:
        """Start the thread."""
        self._started_at = time.time()
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            # Agents can't have reached a backend that just (re)started: give them one timeout.
            if time.time() - self._started_at < self.timeout:
                continue
            try:
                reap_once(self.db, self.timeout)
            except Exception:  # the reaper must outlive a locked database or a failed pass
                log.exception("reaper pass failed; trying again in %.1f s", self.period)
