"""Tuning end to end: the embedded backend, its local agent (Ray), a tiny sample project.

The cheap plugins (tune_plugins.py, tune_function_plugin.py) are imported by name in the
agent's Ray workers: this folder goes on the PYTHONPATH they inherit. It is set here, when
pytest collects this file, which is before any test starts the local agent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
os.environ["PYTHONPATH"] = os.pathsep.join([str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])])


@pytest.fixture(scope="session")
def api() -> Iterator[Any]:
    """A client of this session's embedded backend (its local agent starts with it)."""
    import synapse_nb as snb

    client = snb.Api.from_env()
    yield client
    client.close()


@pytest.fixture(scope="session")
def agent_id(api: Any) -> int:
    """The local agent (waits until it is online)."""
    return int(api.agent.local(wait=180))


@pytest.fixture(scope="session")
def project(api: Any) -> Any:
    """16 sample images of 64 px, two classes."""
    return api.project.import_samples(num_images=16, image_size=64, num_classes=2, seed=0, name="tuning-shapes")


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    """A file the score plugin appends one line to per trial execution."""
    return tmp_path / "ledger.jsonl"
