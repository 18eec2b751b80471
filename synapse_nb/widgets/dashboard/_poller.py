"""Poller: fetches on a background thread every few tenths of a second; UiLoop: where the
widget updates happen.

Why a thread for fetching: an asyncio task on the kernel's event loop would stop whenever a
cell runs (``task.wait()``, a training loop in the notebook), exactly when a run is
followed; a daemon thread keeps asking the backend, spending its time waiting on HTTP.

Why the updates go back to the kernel's event loop: plotly's FigureWidget is not
thread-safe, and the front-end talks to it too (it sends relayout and restyle messages when a
figure is drawn), which the kernel handles on its own thread. So the poll thread hands each
update to the kernel's loop (``call_soon_threadsafe``) and waits for it: every widget is only
ever changed on the kernel's thread. This is the same in JupyterLab, VS Code and Colab (all
run ipykernel, whose cells and widget messages run on an asyncio loop). While a cell keeps
the kernel busy the next update waits (the poll thread with it) and lands as soon as the
cell ends, with everything logged meanwhile. Without a running loop (a script, the tests)
updates run on the poll thread, serialised by the dashboard's lock.

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

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from tenacity import RetryCallState

from synapse_nb._retry import backend_retrying
from synapse_nb.errors import BackendError

log = logging.getLogger("synapse_nb.dashboard")


class UiLoop:
    """Runs callables on the kernel's event loop (the loop running where it was created), or
    in the calling thread when there is none.

    Example:
        >>> UiLoop().call(lambda: 2 + 2)   # no running loop here: runs at once
        4
    """

    def __init__(self) -> None:
        try:
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None

    def call(self, fn: Callable[[], T], stop: threading.Event | None = None) -> T | None:
        """Run ``fn`` on the loop and wait for it (returns None if ``stop`` is set first)."""
        loop = self.loop
        if loop is None or loop.is_closed() or _on_loop_thread(loop):
            return fn()
        done = threading.Event()
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:  # handed back to the caller's thread below
                box["error"] = exc
            finally:
                done.set()

        loop.call_soon_threadsafe(run)
        # The loop waits while a cell runs: keep waiting, but give up when polling stops.
        while not done.wait(0.25):
            if (stop is not None and stop.is_set()) or loop.is_closed():
                return None
        if "error" in box:
            raise box["error"]
        return box.get("value")


def _on_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False

T = TypeVar("T")
DEFAULT_INTERVAL = 0.5
MAX_BACKOFF = 10.0


class Poller:
    """Runs ``refresh()`` every ``interval`` seconds until it returns False or :meth:`stop`.

    A backend that cannot be reached is retried with the project's growing pause (1 s, then
    twice as long, up to 10 s), each failure reported through ``on_error``; any other error
    is reported and ends the polling (it is a bug to fix, not a condition to retry).
    """

    def __init__(self, refresh: Callable[[], bool], interval: float = DEFAULT_INTERVAL,
                 on_error: Callable[[str], None] | None = None) -> None:
        self.refresh = refresh
        self.interval = interval
        self.on_error = on_error
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> threading.Event:
        """Set once :meth:`stop` was called."""
        return self._stop

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
        retrying = backend_retrying(
            retry=lambda exc: isinstance(exc, (BackendError, httpx.HTTPError)),
            stop=lambda state: self._stop.is_set(),
            first=1.0,
            longest=MAX_BACKOFF,
            sleep=self._stop.wait,  # stop() ends the pause at once
            before_sleep=self._unreachable,
        )
        while not self._stop.is_set():
            try:
                live = retrying(self.refresh)
            except (BackendError, httpx.HTTPError):
                return  # stopped while the backend was away
            except Exception as exc:  # a bug in the dashboard: show it, log it, stop polling
                log.exception("dashboard refresh failed")
                self._report(f"the dashboard stopped updating: {type(exc).__name__}: {exc}")
                return
            if not live:
                return
            self._stop.wait(self.interval)

    def _unreachable(self, state: RetryCallState) -> None:
        assert state.outcome is not None and state.next_action is not None
        exc = state.outcome.exception()
        log.warning("dashboard: backend not reachable: %s", exc)
        self._report(f"backend not reachable ({exc}); retrying in {state.next_action.sleep:.0f} s")
