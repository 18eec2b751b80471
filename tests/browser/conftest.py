"""The JupyterLab of a browser test, serving the notebook its module names (``NOTEBOOK``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.browser_lab import Lab, serving


@pytest.fixture
def jupyterlab(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    """JupyterLab on 127.0.0.1 serving the test module's ``NOTEBOOK``, in a home of its own."""
    with serving(request.module.NOTEBOOK, tmp_path, monkeypatch) as lab:
        yield lab
