"""The tutorials as files: small enough for a notebook viewer and a review."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))
from strip_widget_bundles import BUNDLE_KEYS, WIDGET_STATE_MIME, strip_notebook  # noqa: E402

TUTORIALS = sorted(NOTEBOOKS.glob("*.ipynb"))
MAX_BYTES = 2 * 1024 * 1024


def test_there_are_tutorials() -> None:
    assert len(TUTORIALS) >= 6


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_tutorial_is_under_two_megabytes(path: Path) -> None:
    assert path.stat().st_size < MAX_BYTES, f"{path.name} is {path.stat().st_size / 1e6:.1f} MB: run notebooks/strip_widget_bundles.py"


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_tutorial_saves_no_widget_bundle(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    state = notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})
    carrying = [mid for mid, model in state.items() if set(BUNDLE_KEYS) & set(model.get("state", {}))]
    assert not carrying, f"{path.name}: {len(carrying)} widgets carry a bundle copy"


def test_stripping_keeps_the_widget_values() -> None:
    notebook = {"metadata": {"widgets": {WIDGET_STATE_MIME: {"state": {
        "fig": {"model_name": "AnyModel", "state": {"_esm": "bundle", "_css": "x", "_data": [1]}},
        "bar": {"model_name": "FloatProgressModel", "state": {"value": 0.5}},
    }}}}}
    assert strip_notebook(notebook) > 0
    state = notebook["metadata"]["widgets"][WIDGET_STATE_MIME]["state"]
    assert state == {"fig": {"model_name": "AnyModel", "state": {"_data": [1]}},
                     "bar": {"model_name": "FloatProgressModel", "state": {"value": 0.5}}}
    assert strip_notebook(notebook) == 0
