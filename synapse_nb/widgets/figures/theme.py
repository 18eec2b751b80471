"""The look of every figure and of the notebook UI: one Plotly template, colours, sizes, CSS.

The Plotly template is registered with Plotly as ``"synapse_nb"``; it is read from the
repository's ``widgets/plotly_template.json`` when this package runs from a checkout (so a
designer's edit shows at once) and from the copy shipped inside the package otherwise. The
same holds for ``widgets/theme.css``. Both copies are kept identical by a test.

Presentation helpers every figure builder shares live here too: the empty "no data yet"
figure and compact number formatting for tables.

Example:
    >>> import plotly.graph_objects as go
    >>> fig = apply_theme(go.Figure())
    >>> fig.layout.template.layout.height
    360
    >>> STATUS_COLORS["ERROR"]
    '#b91c1c'
    >>> format_column([0.5, 0.25, None])
    ['0.5000', '0.2500', '—']
"""

from __future__ import annotations

import functools
import json
import math
import numbers
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE_NAME = "synapse_nb"
TEMPLATE_FILE = "plotly_template.json"
CSS_FILE = "theme.css"

# Trial statuses as Ray Tune reports them, in the order a trial moves through them.
STATUSES: tuple[str, ...] = ("PENDING", "RUNNING", "PAUSED", "TERMINATED", "ERROR")
# Dark enough that white text on them stays readable (contrast >= 4.5 on all five).
STATUS_COLORS: Mapping[str, str] = MappingProxyType(
    {
        "PENDING": "#6b7280",
        "RUNNING": "#1d4ed8",
        "PAUSED": "#b45309",
        "TERMINATED": "#15803d",
        "ERROR": "#b91c1c",
    }
)
UNKNOWN_STATUS_COLOR = "#9ca3af"

CELL_COLOR = "#ffffff"
BEST_ROW_COLOR = "#fef3c7"
TEXT_COLOR = "#1f2937"
MUTED_COLOR = "#6b7280"
MISSING = "—"
BEST_MARK = "★"

# Heights that fit a JupyterLab or VS Code output cell without scrolling the notebook;
# widths always follow the cell (the template sets autosize).
HEIGHT = 360
WIDE_HEIGHT = 380
TABLE_MAX_HEIGHT = 420
TABLE_MIN_HEIGHT = 160
TABLE_ROW_HEIGHT = 26
TABLE_HEADER_HEIGHT = 30
# Strings longer than this are cut in table cells (an error message, a long path).
MAX_CELL_TEXT = 60

_PACKAGE_DIR = Path(__file__).resolve().parent
# synapse_nb/widgets/figures/theme.py -> the repository root is three folders up.
_REPO_ROOT = _PACKAGE_DIR.parents[2]


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
    return Path(str(resources.files(__package__).joinpath(name)))


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


def palette() -> tuple[str, ...]:
    """The colours lines and bars cycle through (the template's colorway).

    Example:
        >>> len(palette()) >= 8
        True
    """
    return tuple(_template().layout.colorway)


def sequential_colorscale() -> list[list[Any]]:
    """The colour scale for a continuous value, low to high (used for the tune metric).

    Example:
        >>> sequential_colorscale()[0][0], sequential_colorscale()[-1][0]
        (0.0, 1.0)
    """
    return [list(stop) for stop in _template().layout.colorscale.sequential]


def status_color(status: Any) -> str:
    """The colour of a trial status; unknown or missing statuses are light grey.

    Example:
        >>> status_color("running") == STATUS_COLORS["RUNNING"]
        True
    """
    return STATUS_COLORS.get(str(status).upper(), UNKNOWN_STATUS_COLOR)


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


def css() -> str:
    """The CSS of the ipywidgets UI (``widgets/theme.css``); put it in a ``<style>`` element.

    Example:
        >>> ".snb-card" in css()
        True
    """
    return asset_path(CSS_FILE).read_text(encoding="utf-8")


def empty_figure(message: str = "no data yet", title: str | None = None, height: int | None = None) -> go.Figure:
    """A valid figure with nothing plotted and ``message`` in its middle.

    Every builder returns this for an empty DataFrame, so a dashboard can show a figure
    before the first value arrives.

    Example:
        >>> empty_figure().layout.annotations[0].text
        'no data yet'
    """
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 14, "color": MUTED_COLOR},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return apply_theme(fig, height=height or TABLE_MIN_HEIGHT + 60, title=title)


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas' NA (values a cell shows as a dash).

    Example:
        >>> is_missing(float("nan")), is_missing(0.0)
        (True, False)
    """
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    # pandas.NA and NaT are the only other scalars that are not equal to themselves.
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not _is_bool(value)


def _short_exponent(text: str) -> str:
    return text.replace("e-0", "e-").replace("e+0", "e+")


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - 1] + "…"


def format_number(value: Any) -> str:
    """One value as compact text: 4 significant digits, a dash when missing.

    Example:
        >>> format_number(0.0000123456), format_number(12), format_number(None)
        ('1.235e-5', '12', '—')
    """
    if is_missing(value):
        return MISSING
    if _is_bool(value):
        return str(bool(value)).lower()
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if _is_number(value):
        number = float(value)
        if math.isinf(number):
            return "∞" if number > 0 else "-∞"
        return _short_exponent(f"{number:.4g}")
    return _cut(str(value))


def format_column(values: Iterable[Any]) -> list[str]:
    """A table column as text, every number with the same number of decimals.

    Whole numbers show as integers; columns spanning several orders of magnitude below
    1e-3 (learning rates) use 3 significant digits; the rest use fixed decimals that give
    about 4 significant digits for the largest value. Missing values show as a dash, so a
    column never carries 'nan'.

    Example:
        >>> format_column([0.91, 0.5, 0.123456])
        ['0.9100', '0.5000', '0.1235']
        >>> format_column([1e-4, 3e-3, None])
        ['0.0001', '0.003', '—']
        >>> format_column([16, 32.0])
        ['16', '32']
    """
    items = list(values)
    numbers_only = [float(v) for v in items if _is_number(v) and not is_missing(v)]
    others = [v for v in items if not is_missing(v) and not _is_number(v)]
    finite = [v for v in numbers_only if math.isfinite(v)]
    if others or not finite:
        return [format_number(v) for v in items]
    if all(v.is_integer() and abs(v) < 1e15 for v in finite):
        return [str(int(v)) if not is_missing(v) and math.isfinite(float(v)) else format_number(v) for v in items]
    largest = max(abs(v) for v in finite)
    smallest = min((abs(v) for v in finite if v != 0.0), default=largest)
    if largest >= 1e6 or smallest < 1e-3:
        return [_short_exponent(f"{float(v):.3g}") if not is_missing(v) and math.isfinite(float(v)) else format_number(v) for v in items]
    decimals = min(6, max(0, 3 - math.floor(math.log10(largest)))) if largest > 0 else 0
    return [f"{float(v):.{decimals}f}" if not is_missing(v) and math.isfinite(float(v)) else format_number(v) for v in items]


def table_height(rows: int) -> int:
    """A table figure's height for ``rows`` rows: fits small tables, caps large ones (they scroll).

    Example:
        >>> table_height(3) < table_height(10) <= table_height(500) == TABLE_MAX_HEIGHT
        True
    """
    margins = 52 + 12  # the template's top margin (title) and a small bottom one
    wanted = margins + TABLE_HEADER_HEIGHT + TABLE_ROW_HEIGHT * max(rows, 1) + 8
    return max(TABLE_MIN_HEIGHT, min(TABLE_MAX_HEIGHT, wanted))
