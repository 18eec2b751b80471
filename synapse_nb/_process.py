"""Process liveness and stopping, through psutil: the one place that asks "does pid N run?".

An exited process its parent has not reaped yet (a zombie) counts as gone: it runs no code
and holds no port, whatever ``kill(pid, 0)`` says.

Example:
    >>> import os
    >>> pid_alive(os.getpid())
    True
    >>> pid_alive(2**22 + 12345)   # above Linux's pid_max: never a process
    False
"""

from __future__ import annotations

__all__ = ["pid_alive", "stop_process"]

import time

import psutil


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie does not; one we may not inspect does)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # it exists, and belongs to someone else


def stop_process(pid: int, timeout: float = 10.0) -> bool:
    """Ask ``pid`` to stop (SIGTERM), then kill it after ``timeout`` s; True if it ran.

    A child of this process is reaped, so it leaves no zombie behind.
    """
    try:
        process = psutil.Process(pid)
        if not pid_alive(pid):
            _reap(process)  # an exited child of ours: nothing runs any more
            return False
        process.terminate()
    except psutil.NoSuchProcess:
        return False
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        _reap(process, 0.1)
    if pid_alive(pid):
        process.kill()
    _reap(process, 1.0)
    return True


def _reap(process: psutil.Process, timeout: float = 0.0) -> None:
    """Collect ``process``'s exit status when it is our child (else psutil only waits)."""
    try:
        process.wait(timeout)
    except (psutil.TimeoutExpired, psutil.NoSuchProcess, ChildProcessError):
        pass
