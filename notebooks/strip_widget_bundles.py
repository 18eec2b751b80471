"""Remove the copies of front-end bundles from a notebook's saved widget state.

An executed tutorial saves the state of every widget it displayed. Each Plotly
``FigureWidget`` is an anywidget whose state holds the whole Plotly JavaScript bundle
(``_esm``, about 3.5 MB), so a notebook with nine figures weighs 30 MB and no notebook
viewer or code review can open it. The bundle is the same for every figure and comes with
the installed package, so the saved copy adds nothing: dropping it keeps the notebook small
while every other part of the widget state (values, layouts, children) stays.

Run it after executing a tutorial::

    .venv/bin/python notebooks/strip_widget_bundles.py notebooks/*.ipynb
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
# State keys that hold code or styles shipped with an installed package, not data.
BUNDLE_KEYS = ("_esm", "_css", "_anywidget_esm")


def strip_notebook(notebook: dict) -> int:
    """Drop bundle copies from ``notebook``'s widget state in place; return the bytes removed.

    >>> nb = {"metadata": {"widgets": {WIDGET_STATE_MIME: {"state": {
    ...     "m1": {"model_name": "AnyModel", "state": {"_esm": "x" * 10, "value": 1}}}}}}}
    >>> strip_notebook(nb)
    12
    >>> nb["metadata"]["widgets"][WIDGET_STATE_MIME]["state"]["m1"]["state"]
    {'value': 1}
    """
    state = notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})
    removed = 0
    for model in state.values():
        model_state = model.get("state", {})
        for key in BUNDLE_KEYS:
            if key in model_state:
                removed += len(json.dumps(model_state.pop(key)))
    return removed


def strip_file(path: Path) -> int:
    """Strip one notebook file, rewriting it only when something was removed."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    removed = strip_notebook(notebook)
    if removed:
        # nbformat's own layout (sorted keys, indent 1), written to a temporary name first.
        tmp = path.with_name(path.name + ".tmp")
        text = json.dumps(notebook, sort_keys=True, indent=1, ensure_ascii=False)
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(path)
    return removed


def main(argv: list[str]) -> int:
    for name in argv:
        removed = strip_file(Path(name))
        print(f"{name}: removed {removed / 1e6:.1f} MB of bundled widget code")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
