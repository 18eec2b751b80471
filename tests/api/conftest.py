"""A real backend on loopback and an Api client for it (the client tests never mock the server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from synapse_nb.api import Api
from synapse_nb.server import BackgroundServer, ServerConfig


@pytest.fixture(scope="session")
def api_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    """One backend for the client tests (each test makes its own records)."""
    with BackgroundServer(ServerConfig(home=tmp_path_factory.mktemp("api-home"), port=0)) as server:
        yield server


@pytest.fixture(scope="session")
def api(api_backend: BackgroundServer) -> Iterator[Api]:
    """A client of that backend."""
    with Api(api_backend.url, api_backend.token) as client:
        yield client
