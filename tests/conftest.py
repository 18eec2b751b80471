"""Shared test set-up.

Every test session gets its own SYNAPSE_NB_HOME (database, storage, caches, runs,
ultralytics settings) so tests never touch a user's files, and no backend URL leaks in
from the environment.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="snb-test-home-"))
os.environ["SYNAPSE_NB_HOME"] = str(_SESSION_HOME)
for _var in ("SYNAPSE_NB_URL", "SYNAPSE_NB_TOKEN", "SYNAPSE_NB_CA_BUNDLE"):
    os.environ.pop(_var, None)
# The test plugins (tests.agent.e2e_plugins:..., and tests/tuning's modules, on the
# PYTHONPATH by their own name) are code of this repo: the agents the tests start may run them.
os.environ["SYNAPSE_NB_ALLOW_PLUGINS"] = "tests,tune_plugins,tune_function_plugin,tune_direct_report"

import synapse_nb  # noqa: E402  (after the environment above)

# CI replays the same generated examples every run (a submission lands only when CI passes,
# so a new counterexample must not appear there by chance); local runs keep exploring.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _is_local(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
    else:  # AF_UNIX paths and the like
        return True
    if host in ("localhost", ""):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # an unresolved host name: resolving it would already be network
    return ip.is_loopback or ip.is_unspecified


class NetworkBlocked(OSError):
    """Raised instead of connecting anywhere but this machine."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Refuse every connection except loopback; yields the list of refused addresses."""
    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not _is_local(address):
            attempts.append(address)
            raise NetworkBlocked(f"network blocked in tests: connect to {address!r}")
        return real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        if not _is_local(address):
            attempts.append(address)
            raise NetworkBlocked(f"network blocked in tests: connect to {address!r}")
        return real_connect_ex(self, address)

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host not in (None, "localhost", "127.0.0.1", "::1", "0.0.0.0") and not _is_local((host,)):
            attempts.append(("dns", host))
            raise NetworkBlocked(f"network blocked in tests: DNS lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    yield attempts


@pytest.fixture(scope="session")
def session_home() -> Path:
    """The SYNAPSE_NB_HOME of this test session."""
    return _SESSION_HOME


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the embedded backend and local agent this session may have started."""
    from synapse_nb.api import Api

    Api.shutdown_embedded(_SESSION_HOME)
