"""The project's Plotly template, for every figure: the notebook's and the saved HTML pages'.

It sits below the benchmark (and below the widgets, whose theme module re-exports it) so
the benchmark page the agent writes gets the same look without loading any widget code.
The template is read from the repository's ``widgets/plotly_template.json`` when this
package runs from a checkout (so a designer's edit shows at once) and from the copy shipped
inside the package otherwise.

Example:
    >>> import plotly.graph_objects as go
    >>> apply_theme(go.Figure(), height=300).layout.height
    300
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

__all__ = ["TEMPLATE_FILE", "TEMPLATE_NAME", "apply_theme", "asset_path", "template"]

TEMPLATE_NAME = "synapse_nb"
TEMPLATE_FILE = "plotly_template.json"

_PACKAGE_DIR = Path(__file__).resolve().parent
# synapse_nb/_plotly_theme.py -> the repository root is one folder up.
_REPO_ROOT = _PACKAGE_DIR.parent
# The packaged copies of the front-end assets ship beside the figure modules.
_ASSETS_DIR = _PACKAGE_DIR / "widgets" / "figures"


def asset_path(name: str) -> Path:
    """Where the front-end asset ``name`` is read from: the repository copy, else the packaged one.

    Example:
        >>> asset_path("theme.css").name
        'theme.css'
    """
    repo_copy = _REPO_ROOT / "widgets" / name
    # pyproject.toml marks a source checkout; an installed package never has one beside it.
    if (_REPO_ROOT / "pyproject.toml").is_file() and repo_copy.is_file():
        return repo_copy
    return _ASSETS_DIR / name


@functools.cache
def _template_json() -> str:
    return asset_path(TEMPLATE_FILE).read_text(encoding="utf-8")


@functools.cache
def _template() -> go.layout.Template:
    template = go.layout.Template(json.loads(_template_json()))
    pio.templates[TEMPLATE_NAME] = template
    return template


def template() -> go.layout.Template:
    """The ``synapse_nb`` Plotly template (registered with ``plotly.io.templates`` on first use).

    Example:
        >>> template().layout.autosize
        True
        >>> import plotly.io as pio
        >>> "synapse_nb" in pio.templates
        True
    """
    return _template()


def apply_theme(fig: go.Figure, height: int | None = None, title: str | None = None) -> go.Figure:
    """Give ``fig`` the synapse_nb template (and optionally a height and title); returns ``fig``.

    Example:
        >>> fig = apply_theme(go.Figure(), height=300, title="Losses")
        >>> fig.layout.height, fig.layout.title.text
        (300, 'Losses')
    """
    update: dict[str, Any] = {"template": _template()}
    if height is not None:
        update["height"] = int(height)
    if title is not None:
        update["title_text"] = title
    fig.update_layout(**update)
    return fig
