"""A real backend on loopback for the server tests, and small helpers to talk to it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from synapse_nb.server import BackgroundServer, ServerConfig


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    """One backend for the session (tests make their own projects, so they don't interfere)."""
    home = tmp_path_factory.mktemp("server-home")
    with BackgroundServer(ServerConfig(home=home, port=0, max_body_bytes=2 * 1024 * 1024, max_upload_bytes=8 * 1024 * 1024)) as server:
        yield server


@pytest.fixture(scope="session")
def http(backend: BackgroundServer) -> Iterator[httpx.Client]:
    """An httpx client with the backend's token."""
    with httpx.Client(base_url=backend.url, headers={"Authorization": f"Bearer {backend.token}"}, timeout=30) as client:
        yield client
