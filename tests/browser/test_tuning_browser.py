"""A tuning dashboard in a real browser, with the right best trial marked.

A notebook in JupyterLab trains a starting model that learns (20 epochs on the sample
project), then runs an ASHA search over four learning rates that fine-tunes it for up to 3
epochs, and shows the search's dashboard. The small rates come first, so ASHA usually stops
the later, large ones after an epoch and the trials end at different budgets: the best trial
must be one of those that ran the most epochs (the equal-budget rule), whatever an
early-stopped trial's last value was. The test
computes that trial itself from the trials table, checks that the dashboard marks it (the
★ row of the trials table, the ★ best curve) and draws no "no trials yet" placeholder, and
photographs the dashboard (``docs/tuning.png``).
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.browser.browser_lab import ARTIFACTS, DOCS, NEEDS_CHROMIUM, Lab, blank_figures, chromium_page, \
    open_and_run

NOTEBOOK = Path(__file__).with_name("tuning_e2e.ipynb")
METRIC = "val/mAP50-95"

pytestmark = [pytest.mark.browser, pytest.mark.slow, NEEDS_CHROMIUM]


def best_at_equal_budget(trials: pd.DataFrame, metric: str) -> set[str]:
    """The trials that may be called best: the highest ``metric`` (mode max) among the
    trials that ran the most iterations any trial ran (several if they tie)."""
    done = trials[trials["status"] != "ERROR"].copy()
    done["iterations"] = done["iterations"].astype(int)
    full = done[done["iterations"] == done["iterations"].max()]
    top = full[metric].astype(float).max()
    return set(full.loc[full[metric].astype(float) == top, "trial_id"])


def plot_texts(dashboard: Any) -> list[str]:
    """Every text plotly drew in the dashboard (table cells, legends, titles)."""
    return dashboard.evaluate(
        "root => Array.from(root.querySelectorAll('.js-plotly-plot text')).map(t => t.textContent.trim())")


@pytest.mark.timeout(1800)
def test_tuning_dashboard_marks_the_best_trial_at_equal_budget(jupyterlab: Lab) -> None:
    from synapse_nb.api import Api, Task

    with chromium_page(3000, "tuning-failure.png") as (_browser, page, external):
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
                if message.type in ("error", "warning") and "WebGL" not in message.text else None)
        open_and_run(page, jupyterlab, NOTEBOOK)
        dashboard = page.locator(".jp-OutputArea .snb-root").first
        try:
            # The starting model trains first (about a minute, more on a busy machine).
            dashboard.locator(".snb-badge").first.wait_for(state="visible", timeout=900_000)
        except Exception as exc:
            output = page.locator(".jp-OutputArea").first.inner_text(timeout=5_000)
            pytest.fail(f"the search's dashboard did not appear: {exc}\noutput:\n{output[-3000:]}\n{jupyterlab.log_tail()}")
        deadline = time.monotonic() + 900
        status = ""
        while time.monotonic() < deadline:
            status = dashboard.locator(".snb-badge").first.inner_text(timeout=10_000).strip()
            if status in ("finished", "failed", "stopped"):
                break
            page.wait_for_timeout(2000)
        assert status == "finished", f"the search ended as {status or 'still running'!r}:\n{dashboard.inner_text()[-3000:]}"

        api = Api.from_env(start_agent=False)
        search = Task(api, api.task.list(limit=1).items[0])
        trials = search.trials()
        expected = best_at_equal_budget(trials, METRIC)
        assert search.result["best_trial"]["trial_id"] in expected, (search.result["best_trial"], trials.to_string())
        assert trials.attrs["best_trial"] in expected

        # The dashboard's last poll after the end shows the result and draws the figures anew.
        dashboard.locator(".snb-kv .snb-key:text-is('best trial')").first.wait_for(state="visible", timeout=120_000)
        assert not dashboard.get_by_role("button", name=re.compile("Stop task")).is_visible()
        assert blank_figures(page, dashboard) == 0, ("a chart of the finished search draws nothing", problems)
        page.wait_for_function(
            "root => Array.from(root.querySelectorAll('.js-plotly-plot text')).some(t => t.textContent.includes('★'))",
            arg=dashboard.element_handle(), timeout=60_000)
        page.wait_for_timeout(2000)  # plotly finishes laying out the table and the curves
        texts = plot_texts(dashboard)
        starred_rows = {t.removeprefix("★").strip() for t in texts if t.startswith("★")}
        assert starred_rows and starred_rows <= expected, (starred_rows, expected, trials.to_string(), problems)
        assert any(t.endswith("★ best") and t.split(" ★")[0] in expected for t in texts), texts
        assert page.locator(".jp-OutputArea :text('no trials yet')").count() == 0
        dashboard.evaluate("element => element.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(2000)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "tuning.png"
        dashboard.screenshot(path=str(shot))

    DOCS.mkdir(exist_ok=True)
    shutil.copy(shot, DOCS / "tuning.png")
    assert external == [], f"the page tried to reach the network: {external}"
