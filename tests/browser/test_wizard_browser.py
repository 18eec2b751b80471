"""The one real-browser test: JupyterLab + Debian's headless Chromium driven by Playwright.

A notebook shows the wizard; the browser clicks through the eight steps, starts a tiny
training (16 images of 64 px, yolov8n, 2 epochs) on the local agent, and waits until the
dashboard draws the mAP curve and the task finishes. On the way it checks what each step
shows a person choosing (annotated thumbnails, the sortable model table with scores and
weights status, each split kind's controls under that kind only, the per-class split chart,
the settings table with defaults and meanings, the estimate and the code) and screenshots
each step while it is open. Screenshots land in ``test-artifacts/browser/``; each step's is
copied to ``docs/wizard-<step>.png``, the wizard and the dashboard to ``docs/``.

Nothing reaches the network: JupyterLab runs on 127.0.0.1 with a token, its news and
update checks off; the browser refuses any request that is not to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = Path(__file__).with_name("wizard_e2e.ipynb")
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
DOCS = ROOT / "docs"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 # no host but this machine resolves: the page cannot reach the network at all
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost"]
HYPERPARAMETERS = "epochs: 2\nimgsz: 64\nbatch: 8\n"
MODEL = "YOLO/yolov8n-det"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed: `make browser`"),
]


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


@pytest.fixture
def jupyterlab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 with a token, a temporary root and home, no news or update checks."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
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
        monkeypatch.setenv("SYNAPSE_NB_HOME", str(home))
        from synapse_nb.api import Api

        Api.shutdown_embedded(home)


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


class WizardPage:
    """The notebook page, with helpers to act on one wizard step."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.shots = 0
        self.step_shots: dict[str, Path] = {}
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def step(self, key: str) -> Any:
        return self.page.locator(f".snb-step-{key}")

    def select(self, key: str) -> None:
        # The button's name starts with its icon's glyph: match the end, and not "Select all".
        # Only widget buttons: a chart's toolbar has "Box Select" and "Lasso Select" buttons.
        self.step(key).locator("button.widget-button").filter(has_text=re.compile(r"(^|\W)Select$")).click()
        self.page.wait_for_selector(f".snb-step-{key}.snb-step--done", timeout=30_000)
        self.shot(f"{key}-done")

    def shot(self, name: str, locator: Any = None) -> Path:
        self.shots += 1
        path = ARTIFACTS / f"{self.shots:02d}-{name}.png"
        (locator or self.page.locator(".snb-root").first).screenshot(path=str(path))
        return path

    def step_shot(self, key: str) -> Path:
        """The open step alone: it becomes docs/wizard-<key>.png."""
        path = self.shot(f"step-{key}", self.step(key))
        self.step_shots[key] = path
        DOCS.mkdir(exist_ok=True)
        shutil.copy(path, DOCS / f"wizard-{key}.png")
        return path

    def visible(self, selector: str, timeout: float = 30_000) -> Any:
        locator = self.page.locator(selector).first
        locator.wait_for(state="visible", timeout=timeout)
        return locator

    def output_text(self) -> str:
        return self.page.locator(".jp-OutputArea").first.inner_text(timeout=5_000)


@pytest.mark.timeout(1800)
def test_wizard_in_jupyterlab_trains_and_shows_the_dashboard(jupyterlab: Lab) -> None:
    from playwright.sync_api import expect, sync_playwright

    from synapse_nb.frameworks import list_models

    external: list[str] = []

    def note_external(request: Any) -> None:
        if urlparse(request.url).scheme in ("http", "https", "ws", "wss") and \
                urlparse(request.url).hostname not in ("127.0.0.1", "localhost"):
            external.append(request.url)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = None
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2000})
            # Observed, not intercepted: a Python route handler only runs while Playwright is
            # called, so it would stall the page's requests in between. The browser itself
            # cannot resolve any other host (see CHROMIUM_ARGS).
            page.on("request", note_external)
            page.goto(f"{jupyterlab.url}/lab/tree/{NOTEBOOK.name}?token={jupyterlab.token}")
            page.wait_for_selector(".jp-Notebook", timeout=120_000)
            page.wait_for_timeout(4000)  # JupyterLab finishes laying out the notebook after it appears
            # Headless, the notebook starts its kernel only once the page has had some input.
            page.locator(".jp-CodeCell .jp-InputArea-editor").first.click()
            page.keyboard.press("Escape")
            jupyterlab.wait_for_kernel(page)
            run_first_code_cell(page, jupyterlab)
            ui = WizardPage(page)
            try:
                # A busy machine can take minutes to import and start the backend.
                page.wait_for_selector(".snb-step-project select", timeout=600_000)
            except Exception as exc:
                pytest.fail(f"the wizard did not appear: {exc}\noutput:\n{ui.output_text()}\n{jupyterlab.log_tail()}")
            ui.shot("wizard-opened")

            # 1. Project (the only one in this fresh home): counts, groups, annotated thumbnails
            ui.step("project").locator("select").select_option(index=0)
            page.wait_for_selector(".snb-step-project .snb-counts", timeout=30_000)
            ui.visible(".snb-step-project table.snb-groups")
            page.wait_for_function("document.querySelectorAll('.snb-step-project .snb-thumb img').length >= 3",
                                   timeout=30_000)
            ui.visible(".snb-step-project .snb-thumb-cap")
            ui.step_shot("project")
            ui.select("project")
            # 2. Model: the sortable table with published scores and weights status
            model = ui.step("model")
            ui.visible(".snb-step-model .snb-pick-table")
            for column in ("COCO mAP50-95", "CPU ms", "GPU ms", "weights", "params (M)"):
                assert model.get_by_role("button", name=column, exact=True).is_visible(), column
            assert model.get_by_text(re.compile("pretrained weights here|can be pulled|trains from scratch")).first.is_visible()
            model.get_by_role("button", name="COCO mAP50-95", exact=True).click()
            page.wait_for_selector(".snb-step-model button:text('COCO mAP50-95 ▼')", timeout=30_000)
            # The best published score first (the rows are re-laid out as the sort arrives).
            expect(model.locator(".snb-pick-body button").first).to_have_text("rtdetr-x-det", timeout=30_000)
            model.get_by_role("button", name=MODEL.split("/")[1], exact=True).click()
            page.wait_for_selector(".snb-step-model .snb-row--picked", timeout=30_000)
            ui.visible(".snb-step-model :text('docs.ultralytics.com')")
            ui.step_shot("model")
            ui.select("model")
            # 3. Classes: their defaults (all classes)
            page.wait_for_selector(".snb-step-classes input[type=checkbox]", timeout=30_000)
            ui.step_shot("classes")
            ui.select("classes")
            # 4. Split: each kind's controls under that kind only; the per-class chart
            split = ui.step("split")
            kinds = {"Random": "random", "Datasets": "datasets", "Tags": "tags", "Collections": "collections"}
            for label, kind in [*kinds.items(), ("Random", "random")]:
                split.get_by_role("button", name=label, exact=True).click()
                panel = ui.visible(f".snb-step-split .snb-split-{kind}")
                for other in kinds.values():
                    if other != kind:
                        assert not page.locator(f".snb-step-split .snb-split-{other}").first.is_visible(), (kind, other)
                # The panel lies under the kind buttons, not beside them.
                kind_row = split.get_by_role("button", name="Collections", exact=True).bounding_box()
                assert panel.bounding_box()["y"] >= kind_row["y"] + kind_row["height"] - 1, kind
            side = split.get_by_role("button", name="of items to train", exact=True)
            panel_box = ui.visible(".snb-step-split .snb-split-random").bounding_box()
            side_box = side.bounding_box()
            assert panel_box["y"] <= side_box["y"] and side_box["y"] + side_box["height"] <= panel_box["y"] + panel_box["height"]
            ui.visible(".snb-step-split table.snb-class-counts")
            ui.visible(".snb-step-split .js-plotly-plot")
            page.wait_for_selector(".snb-step-split .legendtext:text-is('val')", timeout=30_000)
            assert "seed 0" in split.locator(".snb-counts").inner_text()
            ui.step_shot("split")
            ui.select("split")
            # 5. Hyperparameters: a tiny run; the settings table marks what differs from the defaults
            editor = ui.step("hyperparameters").locator("textarea").first
            editor.fill(HYPERPARAMETERS)
            page.wait_for_selector(".snb-step-hyperparameters :text('valid YAML: 3 settings')", timeout=30_000)
            page.wait_for_selector(".snb-step-hyperparameters :text('3 settings differ from the defaults')",
                                   timeout=30_000)
            assert page.locator(".snb-step-hyperparameters tr.snb-changed").count() == 3
            ui.visible(".snb-step-hyperparameters td:text('number of epochs to train for')")
            wizard_shot = ui.shot("hyperparameters-edited")
            ui.step_shot("hyperparameters")
            ui.select("hyperparameters")
            # 6. Benchmark (on), 7. export (none)
            ui.step_shot("benchmark")
            ui.select("benchmark")
            ui.step_shot("export")
            ui.select("export")
            # 8. Start: the default name as a run makes it, the estimate, and the run as code
            start = ui.step("start")
            placeholder = start.locator("input[type=text]").first.get_attribute("placeholder") or ""
            assert placeholder.startswith("‹task id› e2e-shapes yolov8n-det"), placeholder
            assert "image passes" in ui.visible(".snb-step-start .snb-estimate").inner_text()
            start.get_by_role("button", name=re.compile("Copy as code$")).click()
            code = ui.visible(".snb-step-start textarea")
            cell = code.input_value()
            assert "snb.TrainApi(api).run(" in cell and f"model={MODEL!r}" in cell and "epochs: 2" in cell, cell
            ui.step_shot("start")
            # On the local agent (it starts Ray first: Refresh until it is listed)
            deadline = time.monotonic() + 600
            while start.locator("select option").count() == 0:
                if time.monotonic() > deadline:
                    pytest.fail(f"no agent came online:\n{start.inner_text()}")
                page.wait_for_timeout(3000)
                start.get_by_role("button", name="Refresh").click()
            ui.step_shot("start")
            start.get_by_role("button", name="Start training").click()
            try:
                page.wait_for_selector(".snb-step-start :text('started task')", timeout=120_000)
            except Exception as exc:
                message = start.inner_text()
                pytest.fail(f"the run was not started: {exc}\nstart step says:\n{message}")

            dashboard = page.locator(".snb-root .snb-root").first
            map_legend = ".snb-root .snb-root .legendtext:text-is('val/mAP50')"
            deadline = time.monotonic() + 900
            status = ""
            seen_map_while_running = False
            while time.monotonic() < deadline:
                status = dashboard.locator(".snb-badge").first.inner_text(timeout=10_000).strip()
                if status in ("finished", "failed", "stopped"):
                    break
                if not seen_map_while_running and page.locator(map_legend).count():
                    seen_map_while_running = True
                    ui.shot("dashboard-live", dashboard)
                page.wait_for_timeout(2000)
            if status != "finished":
                ui.shot("dashboard-ended", dashboard)
                report = dashboard.inner_text(timeout=10_000)
                pytest.fail(f"the training task ended as {status or 'still running'!r}:\n{report[-3000:]}")
            page.wait_for_selector(map_legend, timeout=30_000)  # the mAP chart
            page.wait_for_selector(".snb-root .snb-root :text('Benchmark on the val split')", timeout=30_000)
            # The whole dashboard in one picture: a page tall enough, its top at the top.
            page.set_viewport_size({"width": 1400, "height": 4200})
            dashboard.evaluate("element => element.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(3000)  # let plotly redraw at the new size
            dashboard_shot = ui.shot("dashboard", dashboard)
        except BaseException:
            if page is not None:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "failure.png"))
            raise
        finally:
            browser.close()

    DOCS.mkdir(exist_ok=True)
    shutil.copy(wizard_shot, DOCS / "wizard.png")
    shutil.copy(dashboard_shot, DOCS / "dashboard.png")
    assert external == [], f"the page tried to reach the network: {external}"
