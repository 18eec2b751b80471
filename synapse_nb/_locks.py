"""The inter-process file lock every shared folder on one machine uses (``filelock``).

Caches and downloads that several tasks (or the notebook and the agent) share take it
around their writes; the embedded backend's start takes it so one process starts it.

Example:
    >>> import tempfile, pathlib
    >>> with file_lock(pathlib.Path(tempfile.mkdtemp()) / "x.lock"):
    ...     pass
"""

from __future__ import annotations

__all__ = ["file_lock"]

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing, owner-only) for the block;
    waits while another process, or another thread, holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A new FileLock per call: one instance is re-entrant within its thread, and two
    # blocks of this process must exclude each other as two processes do.
    with FileLock(path, mode=0o600):
        yield
