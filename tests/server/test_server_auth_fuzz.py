"""The schemathesis fuzz once per role: whatever a user, agent, task or revoked token sends,
the backend answers with a 2xx or 4xx, never a server error (the admin token is fuzzed by
test_server_fuzz.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from synapse_nb.server import BackgroundServer, ServerConfig
from tests.server.auth_helpers import Principals, headers, seed

EXAMPLES = 4


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BackgroundServer, Principals]]:
    home: Path = tmp_path_factory.mktemp("role-fuzz-home")
    with BackgroundServer(ServerConfig(home=home, port=0, max_body_bytes=1024 * 1024, max_upload_bytes=4 * 1024 * 1024)) as server:
        yield server, seed(server, home)


@pytest.mark.parametrize("role", ["user", "agent", "task", "revoked"])
def test_no_role_gets_a_server_error(served: tuple[BackgroundServer, Principals], role: str) -> None:
    server, principals = served
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    auth = headers(principals.tokens[role])
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        @given(case=strategy)
        def run(case: schemathesis.Case) -> None:
            response = case.call(base_url=server.url, headers=auth, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{role}: {response.status_code} for {case.as_curl_command()}: {response.text[:300]}")
            if role == "revoked" and case.path not in ("/health", "/openapi.json"):
                assert response.status_code == 401, case.as_curl_command()

        run()
    assert failures == [], "\n".join(failures[:5])
