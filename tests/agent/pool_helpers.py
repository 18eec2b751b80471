"""Functions the pool tests run on warm workers; a module of its own, so Ray workers import
it by name (``tests.agent.pool_helpers``, the repository root on their PYTHONPATH)."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

# Kept after a task returns, as a leak would be.
KEPT: list[bytes] = []


def whoami() -> dict[str, Any]:
    """The worker's process id, and whether it had imported its preload (``wave``)."""
    return {"pid": os.getpid(), "preloaded": "wave" in sys.modules}


def slow_answer() -> str:
    time.sleep(2)
    return "answered"


def leak(mib: int) -> int:
    """Keep ``mib`` MiB after returning; written, so the pages are resident."""
    KEPT.append(b"x" * (mib * 2**20))
    return os.getpid()
