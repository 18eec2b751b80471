"""Run the tutorials in a fresh SYNAPSE_NB_HOME (their kernels inherit this environment), and
stop the backend and agent they started when the session ends."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_HOME = Path(tempfile.mkdtemp(prefix="snb-notebooks-home-"))
os.environ["SYNAPSE_NB_HOME"] = str(_HOME)
os.environ["SYNAPSE_NB_CHECKPOINT_INTERVAL"] = "0"
for _var in ("SYNAPSE_NB_URL", "SYNAPSE_NB_TOKEN"):
    os.environ.pop(_var, None)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from synapse_nb.api import Api

    Api.shutdown_embedded(_HOME)
