"""Where an agent joining a Ray cluster by address finds Ray's authentication token.

Ray 2.60 enables token authentication for a new cluster when a token exists; a client
joining with an explicit address must then send it (the end-to-end case joins a real
`ray start --head` cluster: tests/agent/test_agent_e2e.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from synapse_nb.agent.ray_runtime import ray_token_available, use_ray_token_if_available


@pytest.fixture
def clean_ray_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No token anywhere: an empty home, no Ray variables."""
    for name in ("RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_AUTH_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_no_token_anywhere(clean_ray_env: Path) -> None:
    assert not ray_token_available()
    assert not use_ray_token_if_available()


def test_token_in_the_users_ray_folder(clean_ray_env: Path) -> None:
    (clean_ray_env / ".ray").mkdir()
    (clean_ray_env / ".ray" / "auth_token").write_text("abc123\n")
    assert ray_token_available()


def test_token_from_the_environment(clean_ray_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAY_AUTH_TOKEN", "abc123")
    assert ray_token_available()


def test_token_path_must_name_a_file_with_a_token(clean_ray_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = clean_ray_env / "token"
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", str(token))
    assert not ray_token_available()
    token.write_text("   \n")
    assert not ray_token_available()
    token.write_text("abc123")
    assert ray_token_available()
    # RAY_AUTH_TOKEN_PATH wins over ~/.ray: a token there doesn't count when the path is set.
    token.unlink()
    (clean_ray_env / ".ray").mkdir()
    (clean_ray_env / ".ray" / "auth_token").write_text("abc123")
    assert not ray_token_available()


@pytest.mark.parametrize(("mode", "expected"), [("token", True), ("disabled", False), ("TOKEN", True)])
def test_an_explicit_mode_is_left_as_set(clean_ray_env: Path, monkeypatch: pytest.MonkeyPatch, mode: str,
                                         expected: bool) -> None:
    monkeypatch.setenv("RAY_AUTH_TOKEN", "abc123")
    monkeypatch.setenv("RAY_AUTH_MODE", mode)
    assert use_ray_token_if_available() is expected
    assert os.environ["RAY_AUTH_MODE"] == mode
