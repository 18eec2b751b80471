"""The client's HTTP rules, with an injected transport: retries, idempotency keys, errors."""

from __future__ import annotations

import httpx
import pytest

from synapse_nb.api import Api
from synapse_nb.errors import BackendError, InputError, NotFoundError
from synapse_nb.schemas import MetricPoint


class Recorder:
    """A transport answering from a list of (status, json) and recording each request."""

    def __init__(self, replies: list[tuple[int, object]]) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status, body = self.replies.pop(0)
        return httpx.Response(status, json=body)


def make_api(recorder: Recorder) -> Api:
    api = Api("http://backend.invalid", "secret-token", transport=httpx.MockTransport(recorder))
    api._http.backoff = 0.0  # keep the test quick; the schedule itself is not under test
    return api


PROJECT = {"id": 1, "name": "p", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}


def test_gets_are_retried_after_a_server_error() -> None:
    recorder = Recorder([(503, {"detail": "busy"}), (502, {"detail": "busy"}), (200, PROJECT)])
    assert make_api(recorder).project.get(1).name == "p"
    assert len(recorder.requests) == 3
    assert recorder.requests[0].headers["Authorization"] == "Bearer secret-token"


def test_creating_posts_are_not_retried() -> None:
    recorder = Recorder([(500, {"detail": "boom"}), (201, PROJECT)])
    with pytest.raises(BackendError) as caught:
        make_api(recorder).project.create("p")
    assert caught.value.status == 500 and len(recorder.requests) == 1


def test_metric_batches_are_retried_with_the_same_idempotency_key() -> None:
    recorder = Recorder([(503, {"detail": "busy"}), (200, {"count": 1, "duplicate": False})])
    stored = make_api(recorder).task.log_metrics(7, [MetricPoint(category="train", key="loss", value=0.5)])
    assert stored == 1
    keys = [r.headers["Idempotency-Key"] for r in recorder.requests]
    assert len(keys) == 2 and keys[0] == keys[1]


def test_errors_carry_the_backends_message() -> None:
    recorder = Recorder([(404, {"detail": "project 9 does not exist", "field": "project_id"})])
    with pytest.raises(NotFoundError) as caught:
        make_api(recorder).project.get(9)
    assert caught.value.status == 404 and caught.value.detail == "project 9 does not exist"
    recorder = Recorder([(422, {"detail": "body.name: String should match pattern", "field": "body.name"})])
    with pytest.raises(BackendError, match="body.name"):
        make_api(recorder).dataset.create(1, "x")


def test_an_unreachable_backend_is_a_backend_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    api = Api("http://backend.invalid", "t", transport=httpx.MockTransport(refuse))
    with pytest.raises(BackendError) as caught:
        api.project.all()
    assert caught.value.status == 0 and "can't reach" in str(caught.value)


def test_bad_arguments_fail_before_any_request() -> None:
    with pytest.raises(InputError, match="url"):
        Api("backend:8765", "t")
    with pytest.raises(InputError, match="token"):
        Api("http://backend.invalid", "")
    recorder = Recorder([])
    with pytest.raises(ValueError, match=r"classes\.0\.shape"):
        make_api(recorder).project.create("p", classes=[{"name": "a", "shape": "circle"}])
    assert recorder.requests == []


def test_progress_bar_counts_and_draws_in_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from synapse_nb.api.progress import progress_bar

    with progress_bar(4, "upload shapes", unit="img") as bar:
        bar.update(3)
        bar.update(1)
    assert bar.n == 4
    assert "upload shapes" in capsys.readouterr().err
