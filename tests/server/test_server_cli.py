"""`synapse-nb serve` as a person runs it: a real process that says where it serves and where
its token is, answers with that token, and stops on SIGTERM, removing its info file."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx


def test_serve_prints_its_url_and_token_file_and_stops_on_sigterm(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "synapse_nb.cli", "serve", "--home", str(tmp_path), "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = ""
        assert process.stdout is not None
        for line in process.stdout:
            if "serving at" in line:
                break
        match = re.search(r"serving at (\S+) \(home (\S+); token in (\S+)\)", line)
        assert match, f"no address line, last output: {line!r}"
        url, home, token_file = match.groups()
        assert Path(home) == tmp_path and Path(token_file) == tmp_path / "server" / "token"
        token = Path(token_file).read_text(encoding="utf-8").strip()
        assert httpx.get(f"{url}/projects", timeout=30).status_code == 401
        answer = httpx.get(f"{url}/projects", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert answer.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    assert not (tmp_path / "server" / "server.json").exists()
