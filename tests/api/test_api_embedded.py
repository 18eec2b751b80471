"""The embedded backend: started by from_env, reused, restarted, stopped; and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from api_helpers import yolo_source

from synapse_nb.api import Api, _embedded


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"


def _wait_until(condition: object, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SYNAPSE_NB_HOME", str(tmp_path))
    monkeypatch.delenv("SYNAPSE_NB_URL", raising=False)
    yield tmp_path
    Api.shutdown_embedded(tmp_path)


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SYNAPSE_NB_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "synapse_nb.cli", *args], env=env, capture_output=True, text=True, timeout=120)


def test_from_env_starts_the_backend_and_then_reuses_it(home: Path) -> None:
    api = Api.from_env(start_agent=False, keep_alive=True)
    info = json.loads((home / "server" / "server.json").read_text())
    assert api.is_embedded and api.url == info["url"] and api.url.startswith("http://127.0.0.1:")
    assert api.token == (home / "server" / "token").read_text().strip()
    assert api.health() == {"status": "ok"}
    project = api.project.create("kept")
    again = Api.from_env(start_agent=False)
    assert again.url == api.url and api.server_info().pid == info["pid"] == again.server_info().pid
    assert again.project.get(project.id).name == "kept"

    assert Api.shutdown_embedded(home) is True
    assert not _alive(info["pid"]) and not (home / "server" / "server.json").exists()
    assert Api.shutdown_embedded(home) is False
    # The old client finds its backend gone and starts it again: the data is still there.
    assert api.project.get(project.id).name == "kept"
    assert api.server_info().pid != info["pid"]


def test_the_backend_ends_with_the_processes_that_use_it(home: Path) -> None:
    script = "from synapse_nb.api import Api; api = Api.from_env(start_agent=False); print(api.url, flush=True)"
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, "SYNAPSE_NB_HOME": str(home)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _wait_until(lambda: _embedded.running_server(home) is None), "the backend outlived the process that started it"


def test_a_url_without_a_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_NB_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("SYNAPSE_NB_TOKEN", raising=False)
    with pytest.raises(ValueError, match="SYNAPSE_NB_TOKEN"):
        Api.from_env()


def test_cli_status_import_and_stop(home: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    assert _cli("status", home=home).returncode == 1
    api = Api.from_env(start_agent=False)
    api.agent.register("cli-agent")
    source = tmp_path_factory.mktemp("cli-yolo")
    yolo_source(source)
    imported = _cli("import", "yolo", str(source), "--name", "from-cli", home=home)
    assert imported.returncode == 0, imported.stderr
    assert "from-cli" in imported.stdout and "3 items" in imported.stdout
    status = _cli("status", home=home)
    assert status.returncode == 0, status.stderr
    assert api.url in status.stdout and "projects: 1" in status.stdout and "agents: 1 (1 online)" in status.stdout
    bad = _cli("import", "coco", str(source / "nowhere"), str(source / "none.json"), home=home)
    assert bad.returncode == 2 and "images_dir" in bad.stderr
    stopped = _cli("stop", home=home)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert _embedded.running_server(home) is None
