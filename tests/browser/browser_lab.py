"""JupyterLab and Debian's headless Chromium for the real-browser tests: a lab server on
127.0.0.1 serving one notebook, the notebook opened and run, the page's requests to anywhere
but this machine recorded, and the benchmark's HTML report photographed.

Nothing reaches the network: JupyterLab runs on 127.0.0.1 with a token, its news and update
checks off; the browser cannot resolve any host but this machine (``CHROMIUM_ARGS``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
DOCS = ROOT / "docs"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 # no host but this machine resolves: the page cannot reach the network at all
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost"]
NEEDS_CHROMIUM = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="Debian's Chromium (/usr/bin/chromium) is not installed: `make browser`")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Lab:
    """A JupyterLab server of this test."""

    def __init__(self, url: str, token: str, home: Path, log: Path) -> None:
        self.url = url
        self.token = token
        self.home = home
        self.log = log

    def kernel_state(self) -> str | None:
        kernels = httpx.get(f"{self.url}/api/kernels", params={"token": self.token}, timeout=10).json()
        return kernels[0]["execution_state"] if kernels else None

    def wait_for_kernel(self, page: Any, timeout: float = 300) -> None:
        """Wait until the notebook's kernel has started and is idle (slow on a busy machine)."""
        deadline = time.monotonic() + timeout
        while self.kernel_state() != "idle":
            if time.monotonic() > deadline:
                pytest.fail(f"the kernel did not start:\n{self.log_tail()}")
            page.wait_for_timeout(1000)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def run_first_code_cell(page: Any, lab: Lab) -> None:
    """Run the notebook's code cell with Shift+Enter, and make sure the kernel got it: a
    keypress that lands before the editor has focus is lost, so try again if nothing ran."""
    cell = page.locator(".jp-CodeCell").first
    for _attempt in range(3):
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            prompt = cell.locator(".jp-InputPrompt").inner_text().strip()
            if prompt != "[ ]:" or lab.kernel_state() == "busy":
                return
            page.wait_for_timeout(500)
    pytest.fail(f"the notebook's cell never ran:\n{lab.log_tail()}")


@contextmanager
def serving(notebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 with a token, a temporary root and home, no news or update
    checks, serving ``notebook``; on exit the embedded stack the kernel started is stopped."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(notebook, root / notebook.name)
    config = tmp_path / "jupyter-config"
    config.mkdir()
    (config / "jupyter_lab_config.py").write_text(
        "c.LabApp.news_url = None\n"
        "c.LabApp.check_for_updates_class = 'jupyterlab.NeverCheckForUpdate'\n"
    )
    settings = tmp_path / "lab-settings"
    notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"checkForUpdates": False, "fetchNews": "false"}))
    home = tmp_path / "snb-home"
    token = secrets.token_hex(16)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SYNAPSE_NB_URL", "SYNAPSE_NB_TOKEN")}
    env.update(SYNAPSE_NB_HOME=str(home), JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"), IPYTHONDIR=str(tmp_path / "ipython"))
    log = tmp_path / "jupyterlab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", f"--IdentityProvider.token={token}",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
             # no extension manager: it would look extensions up on PyPI
             "--LabApp.extension_manager=readonly",
             f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
             *(["--allow-root"] if os.geteuid() == 0 else [])],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    lab = Lab(url, token, home, log)
    # This process reads what the notebook made (`Api.from_env(start_agent=False)`) in its home.
    monkeypatch.setenv("SYNAPSE_NB_HOME", str(home))
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/api/status", params={"token": token}, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{lab.log_tail()}")
            time.sleep(0.5)
        yield lab
    finally:
        try:
            httpx.post(f"{url}/api/shutdown", params={"token": token}, timeout=10)
        except httpx.HTTPError:
            pass  # already gone: the wait below settles it
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        # The kernel started the embedded backend and the local agent of `home`: stop them now.
        from synapse_nb.api import Api

        Api.shutdown_embedded(home)


class ExternalRequests(list[str]):
    """The page's requests to anywhere but this machine (observed, not intercepted: a Python
    route handler only runs while Playwright is called, so it would stall the page's requests
    in between)."""

    def __call__(self, request: Any) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in ("127.0.0.1", "localhost"):
            self.append(request.url)


@contextmanager
def chromium_page(height: int, failure_shot: str) -> Iterator[tuple[Any, Any, ExternalRequests]]:
    """Headless Chromium with one page ``height`` px tall: yields (browser, page, the page's
    requests to anywhere but this machine); a failure inside screenshots the page to
    ``ARTIFACTS / failure_shot`` first."""
    from playwright.sync_api import sync_playwright

    external = ExternalRequests()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": height})
            page.on("request", external)
            try:
                yield browser, page, external
            except BaseException:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / failure_shot))
                raise
        finally:
            browser.close()


def open_and_run(page: Any, lab: Lab, notebook: Path) -> None:
    """Open ``notebook`` in the lab, start its kernel and run its first code cell."""
    page.goto(f"{lab.url}/lab/tree/{notebook.name}?token={lab.token}")
    page.wait_for_selector(".jp-Notebook", timeout=120_000)
    page.wait_for_timeout(4000)  # JupyterLab finishes laying out the notebook after it appears
    # Headless, the notebook starts its kernel only once the page has had some input.
    page.locator(".jp-CodeCell .jp-InputArea-editor").first.click()
    page.keyboard.press("Escape")
    lab.wait_for_kernel(page)
    run_first_code_cell(page, lab)


_BLANK_FIGURES = ("root => Array.from(root.querySelectorAll('.js-plotly-plot')).filter(gd => "
                  "!(gd.data || []).length && !((gd.layout || {}).annotations || []).some(a => a.visible !== false)).length")


def blank_figures(page: Any, root: Any, timeout: float = 120_000) -> int:
    """How many plotly figures under ``root`` (a locator) still draw nothing (no trace and no
    message, the look of a figure whose view lost an edit) after waiting up to ``timeout``
    ms for every one to be drawn (an ended task's figures are drawn anew)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    handle = root.element_handle()
    try:
        page.wait_for_function(f"root => ({_BLANK_FIGURES})(root) === 0", arg=handle, timeout=timeout)
    except PlaywrightTimeout:
        pass  # the count below says how many stayed blank
    return int(root.evaluate(_BLANK_FIGURES))


REPORT_SECTIONS = ("metrics-summary", "per-class-ap", "pr-curve", "outcomes", "confusion-matrix", "most-confused",
                   "iou-histogram", "reliability-diagram", "confidence-profile", "per-image-table")


def photograph_report(browser: Any, report_html: Path, dest: Path) -> list[str]:
    """Open the benchmark's HTML report (a file, offline) in ``browser``, wait for every
    section to draw, screenshot the top of the page to ``dest`` (and the whole page beside
    it); return any request it made to anywhere (it needs none: plotly.js and the images are
    inline)."""
    requests: list[str] = []

    def note(request: Any) -> None:
        if urlparse(request.url).scheme in ("http", "https", "ws", "wss"):
            requests.append(request.url)

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.on("request", note)
        page.goto(report_html.as_uri())
        for section in REPORT_SECTIONS:
            # plotly draws each figure into an SVG (tables too) once plotly.js has run
            page.wait_for_selector(f"#benchmark-{section} .main-svg", timeout=60_000)
        # The worst images, embedded; a model without a single error says so instead.
        assert page.locator(".gallery img").count() >= 1 or page.locator(".gallery-none").count() == 1
        assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        dest.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(dest.with_name(dest.stem + "-full.png")), full_page=True)
        page.set_viewport_size({"width": 1400, "height": 2400})  # the docs show the top sections
        page.screenshot(path=str(dest))
    finally:
        page.close()
    return requests
