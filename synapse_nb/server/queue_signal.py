"""QueueSignal: wakes the agents waiting in a claim the moment a task is queued.

An agent's claim may wait (``POST /tasks/claim?wait=1``) instead of returning "nothing"
at once: the task a person submits is then claimed when it is queued, not at the agent's
next poll. A counter under a condition variable keeps a task queued between a claim's look
at the queue and its wait from being missed.

Example:
    >>> signal = QueueSignal()
    >>> seen = signal.generation()
    >>> signal.notify()
    >>> signal.wait(seen, timeout=0)
    True
"""

from __future__ import annotations

__all__ = ["QueueSignal"]

import threading


class QueueSignal:
    """A count of queued tasks, and a way to wait for the next one."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._generation = 0

    def generation(self) -> int:
        """How many times a task was queued so far (read before looking at the queue)."""
        with self._changed:
            return self._generation

    def notify(self) -> None:
        """A task was queued: wake every waiting claim."""
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float) -> bool:
        """Wait until a task is queued after ``seen``; False when ``timeout`` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._generation != seen, timeout=timeout)
