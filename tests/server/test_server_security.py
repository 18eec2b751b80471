"""The token, the storage root, the size limits and bad input: refused with a clear 4xx."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from server_helpers import make_project, storage_files

from synapse_nb.server import BackgroundServer
from synapse_nb.server.routes import ROUTERS
from synapse_nb.server.storage import Storage, path_problem


def _routes() -> list[tuple[str, str]]:
    """Every (method, path) the backend serves, with ids filled in."""
    found = [("GET", "/openapi.json")]
    for router in ROUTERS:
        for route in router.routes:
            path = re.sub(r"\{[^}]+\}", lambda m: "0" * 64 if "hash" in m.group() else "1", route.path)
            found += [(method, path) for method in sorted(route.methods) if method != "HEAD"]
    return found


def test_every_route_but_openapi_and_health_needs_the_token(backend: BackgroundServer) -> None:
    routes = _routes()
    assert len(routes) > 40
    with httpx.Client(base_url=backend.url, timeout=10) as anonymous:
        for method, path in routes:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": backend.token}):
                reply = anonymous.request(method, path, headers=headers)
                if (method, path) in {("GET", "/openapi.json"), ("GET", "/health")}:
                    assert reply.status_code == 200, path
                else:
                    assert reply.status_code == 401, f"{method} {path} answered {reply.status_code} without the token"
                    assert "token" in reply.json()["detail"]


def test_token_file_is_private(backend: BackgroundServer) -> None:
    mode = stat.S_IMODE(backend.config.token_path.stat().st_mode)
    assert mode == 0o600
    assert len(backend.token) >= 40


@pytest.mark.parametrize(
    "path",
    ["../escape.txt", "a/../../escape.txt", "/etc/passwd", "a\\..\\b", "a\x00b", "", "a//b", "./a"],
)
def test_task_file_paths_stay_inside_the_store(http: httpx.Client, backend: BackgroundServer, path: str) -> None:
    task = http.post("/tasks", json={"state": {"data_path": "/data"}, "autostart": False}).json()
    reply = http.put(f"/tasks/{task['id']}/files/content", params={"path": path}, content=b"x")
    assert 400 <= reply.status_code < 500, reply.text
    assert not (backend.config.storage_root / "escape.txt").exists()
    assert not (backend.config.storage_root.parent / "escape.txt").exists()


def test_symlinks_in_the_store_are_refused(http: httpx.Client, backend: BackgroundServer, tmp_path: Path) -> None:
    task = http.post("/tasks", json={"state": {"data_path": "/data"}, "autostart": False}).json()
    task_dir = backend.config.storage_root / "tasks" / str(task["id"])
    task_dir.mkdir(parents=True, exist_ok=True)
    os.symlink(tmp_path, task_dir / "link")
    reply = http.put(f"/tasks/{task['id']}/files/content", params={"path": "link/evil.txt"}, content=b"x")
    assert reply.status_code == 422 and "symbolic" in reply.json()["detail"]
    assert not (tmp_path / "evil.txt").exists()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab./\\\x00~:-_ ")), max_size=12))
def test_accepted_paths_resolve_inside_the_root(tmp_path_factory: pytest.TempPathFactory, rel: str) -> None:
    store = Storage(tmp_path_factory.getbasetemp() / "prop-store")
    if path_problem(rel) is None:
        target = store.safe_path(rel)
        assert target.resolve().is_relative_to(store.root)
        assert ".." not in Path(rel).parts and not rel.startswith("/")


def test_body_limits_answer_413(http: httpx.Client) -> None:
    project = make_project(http)
    too_big = {"name": "p", "description": "x" * (3 * 1024 * 1024)}  # the test backend allows 2 MiB
    assert http.post("/projects", json=too_big).status_code == 413
    task = http.post("/tasks", json={"state": {"data_path": "/data"}, "autostart": False}).json()
    huge = http.put(f"/tasks/{task['id']}/files/content", params={"path": "big.bin"}, content=b"0" * (9 * 1024 * 1024))
    assert huge.status_code == 413
    assert http.get(f"/tasks/{task['id']}/files").json()["total"] == 0
    assert http.get(f"/projects/{project['id']}").status_code == 200  # the backend still serves


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b'{"name": 5}', "body.name"),
        (b'{"name": "p", "classes": [{"name": "a", "shape": "circle"}]}', "body.classes[0].shape"),
        (b'{"name": "p", "extra": 1}', "body.extra"),
        (b"[]", "body"),
    ],
)
def test_malformed_bodies_name_the_field(http: httpx.Client, body: bytes, field: str) -> None:
    reply = http.post("/projects", content=body, headers={"Content-Type": "application/json"})
    assert reply.status_code == 422
    assert reply.json()["field"] == field and reply.json()["detail"].startswith(field)


def test_out_of_range_numbers_are_4xx(http: httpx.Client) -> None:
    assert http.get(f"/projects/{2**70}").status_code == 422
    project = make_project(http)
    reply = http.post(f"/projects/{project['id']}/collections", json={"name": "c", "item_ids": [2**70]})
    assert reply.status_code == 422


def _model_parts(files: dict[str, bytes], manifest: list[dict[str, object]]) -> tuple[dict[str, str], list[tuple[str, tuple[str, bytes, str]]]]:
    data = {"meta": json.dumps({"name": "m", "framework": "YOLO", "weights": "weights/best.pt"}), "manifest": json.dumps(manifest)}
    parts = [("files", (name, content, "application/octet-stream")) for name, content in files.items()]
    return data, parts


def test_model_with_a_bad_hash_leaves_nothing(http: httpx.Client, backend: BackgroundServer) -> None:
    good, bad = b"weights" * 100, b"config: 1"
    manifest = [
        {"path": "weights/best.pt", "size": len(good), "sha256": hashlib.sha256(good).hexdigest()},
        {"path": "config.yaml", "size": len(bad), "sha256": hashlib.sha256(b"something else").hexdigest()},
    ]
    before = http.get("/models").json()["total"]
    data, parts = _model_parts({"best.pt": good, "config.yaml": bad}, manifest)
    reply = http.post("/models", data=data, files=parts)
    assert reply.status_code == 422 and "files[1]" in reply.json()["detail"]
    assert http.get("/models").json()["total"] == before
    assert storage_files(backend.config.home, "models") == []
    assert storage_files(backend.config.home, "tmp") == []

    manifest[1]["sha256"] = hashlib.sha256(bad).hexdigest()
    data, parts = _model_parts({"best.pt": good, "config.yaml": bad}, manifest)
    made = http.post("/models", data=data, files=parts)
    assert made.status_code == 201, made.text
    model = made.json()
    assert [f["path"] for f in model["files"]] == ["weights/best.pt", "config.yaml"]
    content = http.get(f"/models/{model['id']}/files/content", params={"path": "weights/best.pt"})
    assert content.content == good and content.headers["X-Content-SHA256"] == manifest[0]["sha256"]


@pytest.mark.parametrize("path", ["../x", "/abs", "a/../b"])
def test_model_manifest_paths_are_checked(http: httpx.Client, path: str) -> None:
    data, parts = _model_parts({"x": b"1"}, [{"path": path, "size": 1, "sha256": hashlib.sha256(b"1").hexdigest()}])
    reply = http.post("/models", data=data, files=parts)
    assert reply.status_code == 422 and "manifest[0].path" in reply.json()["detail"]
