"""Poller: calls a refresh function every few tenths of a second on a background thread.

Why a thread and not an asyncio task on the kernel's event loop: the kernel's loop is
blocked whenever a cell runs (``task.wait()``, a training loop in the notebook, a long
``time.sleep``), so an asyncio task would freeze exactly when a run is followed; a daemon
thread keeps polling, and ipykernel (JupyterLab, VS Code, Colab alike) sends widget updates
from any thread. The thread spends its time waiting on HTTP, so it costs the kernel little.

Example:
    >>> import threading
    >>> calls = []
    >>> done = threading.Event()
    >>> def refresh():
    ...     calls.append(1)
    ...     if len(calls) == 3:
    ...         done.set()
    ...     return len(calls) < 3   # False: the task has ended, stop polling
    >>> poller = Poller(refresh, interval=0.01, on_error=print)
    >>> poller.start(); _ = done.wait(5); poller.join(5)
    >>> len(calls), poller.running
    (3, False)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import httpx

from synapse_nb.errors import BackendError

log = logging.getLogger("synapse_nb.dashboard")

DEFAULT_INTERVAL = 0.5
MAX_BACKOFF = 10.0


class Poller:
    """Runs ``refresh()`` every ``interval`` seconds until it returns False or :meth:`stop`.

    A backend that cannot be reached is retried with a growing pause (up to 10 s), each
    failure reported through ``on_error``; any other error is reported and ends the polling
    (it is a bug to fix, not a condition to retry).
    """

    def __init__(self, refresh: Callable[[], bool], interval: float = DEFAULT_INTERVAL,
                 on_error: Callable[[str], None] | None = None) -> None:
        self.refresh = refresh
        self.interval = interval
        self.on_error = on_error
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the thread is polling."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start polling (no-op when already running)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="synapse-nb-dashboard", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop after its current refresh."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to end (returns at once when called from the thread itself)."""
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _report(self, message: str) -> None:
        if self.on_error is not None:
            self.on_error(message)

    def _loop(self) -> None:
        pause = self.interval
        while not self._stop.is_set():
            try:
                live = self.refresh()
            except (BackendError, httpx.HTTPError) as exc:
                log.warning("dashboard: backend not reachable: %s", exc)
                self._report(f"backend not reachable ({exc}); retrying in {pause:.0f} s")
                pause = min(max(pause * 2, 1.0), MAX_BACKOFF)
            except Exception as exc:  # a bug in the dashboard: show it, log it, stop polling
                log.exception("dashboard refresh failed")
                self._report(f"the dashboard stopped updating: {type(exc).__name__}: {exc}")
                return
            else:
                pause = self.interval
                if not live:
                    return
            self._stop.wait(pause)
