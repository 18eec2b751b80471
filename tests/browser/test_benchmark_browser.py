"""The benchmark's HTML report in a real browser, offline: every section draws, the worst
images show, and the page is photographed for the docs (``docs/benchmark.png``).

The report comes from a real training (a sample project, yolov8n, 30 epochs at 64 px)
that learned something: its AP50 is above zero, so the charts show a model, not noise.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.browser.test_wizard_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, DOCS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed: `make browser`"),
]

# From scratch (no pretrained weights offline): 30 epochs on 48 images is what it takes for
# AP50 to leave zero (about 0.2); the longest training of the suite, so only here.
TRAINING = {"epochs": 30, "imgsz": 64, "batch": 8, "workers": 0, "plots": False, "seed": 0}
SECTIONS = ("metrics-summary", "per-class-ap", "pr-curve", "outcomes", "confusion-matrix", "most-confused",
            "iou-histogram", "reliability-diagram", "confidence-profile", "per-image-table")


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import os

    os.environ.setdefault("SYNAPSE_NB_HOME", str(tmp_path_factory.mktemp("home")))
    from synapse_nb.actions import run_local
    from synapse_nb.api import Api
    from synapse_nb.frameworks.ultralytics_yolo.action import YoloTrainAction

    api = Api.from_env(start_agent=False)
    project = api.project.import_samples(num_images=48, image_size=64, name="benchmark-browser", seed=0, progress=False)
    run_local(YoloTrainAction, {"dataset": project.id, "model": "YOLO/yolov8n-det", "hyperparameter": TRAINING,
                                "enable_benchmark": True}, api=api)
    task = api.task.list(project_id=project.id, limit=1).items[0]
    assert task.status == "finished", task.error
    model_dir = api.model.download(task.result["experiment"]["model_id"], tmp_path_factory.mktemp("model") / "m")
    return model_dir / "benchmark" / "report.html"


def photograph(report_html: Path, dest: Path) -> list[str]:
    """Open the report in Chromium, wait for every section to draw, screenshot the top of the
    page to ``dest`` (and the whole page beside it); return any external request it made."""
    from playwright.sync_api import sync_playwright

    external: list[str] = []

    def note_external(request: Any) -> None:
        if urlparse(request.url).scheme in ("http", "https", "ws", "wss"):
            external.append(request.url)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", note_external)
            page.goto(report_html.as_uri())
            for section in SECTIONS:
                # plotly draws each figure into an SVG (tables too) once plotly.js has run
                page.wait_for_selector(f"#benchmark-{section} .main-svg", timeout=60_000)
            assert page.locator(".gallery img").count() >= 1  # the worst images, embedded
            assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
            dest.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(dest.with_name(dest.stem + "-full.png")), full_page=True)
            page.set_viewport_size({"width": 1400, "height": 2400})  # the docs show the top sections
            page.screenshot(path=str(dest))
        finally:
            browser.close()
    return external


@pytest.mark.timeout(1200)
def test_report_draws_every_section_offline(report_html: Path) -> None:
    from synapse_nb.benchmark import BenchmarkReport

    report = BenchmarkReport.from_json(report_html.with_name("report.json"))
    shot = ARTIFACTS / "benchmark.png"
    assert photograph(report_html, shot) == []  # nothing fetched from anywhere: plotly.js and images are inline
    # Training from scratch on a CPU is not bit-reproducible: a run that happened to learn
    # nothing (AP50 0) is not what the docs should show, so only a learning run replaces it.
    if report.primary.map50 > 0.0:
        DOCS.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS / "benchmark.png")
