"""Tasks whose end the backend has not confirmed yet, kept in a file of the agent's home so
an agent restarted meanwhile still records how they ended.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "unsettled-a.json"
    >>> save_unsettled(path, {7: {"message": "lost", "since": 1.0}})
    >>> load_unsettled(path)
    {7: {'message': 'lost', 'since': 1.0}}
"""

from __future__ import annotations

__all__ = ["load_unsettled", "save_unsettled"]

import json
import logging
from pathlib import Path
from typing import Any

from synapse_nb._atomic import atomic_write_text

log = logging.getLogger("synapse_nb.agent")


def load_unsettled(path: Path) -> dict[int, dict[str, Any]]:
    """The unsettled tasks saved at ``path`` (task id -> outcome); none when the file is
    missing or unreadable (said in the log)."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring the unreadable list of unsettled tasks %s: %s", path, exc)
        return {}
    return {int(k): dict(v) for k, v in data.items()}


def save_unsettled(path: Path, unsettled: dict[int, dict[str, Any]]) -> None:
    """Write ``unsettled`` to ``path`` atomically."""
    atomic_write_text(path, json.dumps({str(k): v for k, v in unsettled.items()}))
