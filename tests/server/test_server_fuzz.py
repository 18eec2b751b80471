"""A fuzz of the published OpenAPI schema with schemathesis: no request may get a 5xx.

For every operation, valid and invalid requests (path, query, headers, bodies) are generated
from /openapi.json and sent to a real backend; each must be answered with a 2xx or 4xx,
never a server error. Examples are bounded so the whole run takes about a minute.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from synapse_nb.server import BackgroundServer, ServerConfig
from synapse_nb.server.routes import ROUTERS

EXAMPLES = 40

OPERATIONS = sorted(
    (method, route.path)
    for router in ROUTERS
    for route in router.routes
    for method in route.methods  # type: ignore[attr-defined]
    if method != "HEAD"
)


@pytest.fixture(scope="module")
def fuzz_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    home: Path = tmp_path_factory.mktemp("fuzz-home")
    with BackgroundServer(ServerConfig(home=home, port=0, max_body_bytes=1024 * 1024, max_upload_bytes=4 * 1024 * 1024)) as server:
        # A few records, so generated ids sometimes hit something real.
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.token}"}) as http:
            project = http.post("/projects", json={"name": "fuzz", "classes": [{"name": "a"}], "tags": [{"name": "t"}]}).json()
            http.post(f"/projects/{project['id']}/datasets", json={"name": "d"})
            agent = http.post("/agents", json={"name": "fuzz-agent"}).json()
            http.post("/tasks", json={"state": {"data_path": "/data"}, "agent_id": agent["id"]})
        yield server


@pytest.fixture(scope="module")
def published_schema(fuzz_backend: BackgroundServer) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{fuzz_backend.url}/openapi.json")


def test_every_route_is_published(published_schema: schemathesis.BaseSchema) -> None:
    published = {(op.ok().method.upper(), op.ok().path) for op in published_schema.get_all_operations()}
    assert set(OPERATIONS) <= published


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_request_gets_a_server_error(published_schema: schemathesis.BaseSchema, fuzz_backend: BackgroundServer, method: str, path: str) -> None:
    operation = published_schema[path][method]
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))
    headers = {"Authorization": f"Bearer {fuzz_backend.token}"}
    failures: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=fuzz_backend.url, headers=headers, timeout=30)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} for {case.as_curl_command()}: {response.text[:300]}")

    run()
    assert failures == [], "\n".join(failures[:5])


def test_fuzzing_did_not_break_the_backend(fuzz_backend: BackgroundServer) -> None:
    with httpx.Client(base_url=fuzz_backend.url, headers={"Authorization": f"Bearer {fuzz_backend.token}"}) as http:
        assert http.get("/projects").status_code == 200
        assert re.fullmatch(r"[-\w]+", fuzz_backend.token)
