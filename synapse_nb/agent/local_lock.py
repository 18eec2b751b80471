"""One local agent per home: a lock the agent takes before it connects and holds for life.

Example:
    >>> issubclass(AgentAlreadyRunning, RuntimeError)
    True
"""

from __future__ import annotations

__all__ = ["AgentAlreadyRunning", "acquire_local_lock"]

from typing import Any

from synapse_nb._home import sub_dir


class AgentAlreadyRunning(RuntimeError):
    """Another local agent holds this home's lock."""


def acquire_local_lock() -> Any:
    """Take this home's local-agent lock (held until the process ends): two kernels starting
    a local agent each would both claim the home's tasks. Raises :class:`AgentAlreadyRunning`."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(sub_dir("agent") / "local-agent.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise AgentAlreadyRunning(f"another local agent of this home runs already (lock {lock.lock_file})") from None
    return lock
