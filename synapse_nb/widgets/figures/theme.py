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

__all__ = [
    "BEST_MARK", "BEST_ROW_COLOR", "CELL_COLOR", "CSS_FILE", "HEADER_COLOR", "HEIGHT", "MAX_CELL_TEXT",
    "METRIC_HEADER_COLOR", "MISSING", "MUTED_COLOR", "STATUSES", "STATUS_COLORS", "TABLE_HEADER_HEIGHT",
    "TABLE_MAX_HEIGHT", "TABLE_MIN_HEIGHT", "TABLE_ROW_HEIGHT", "TEMPLATE_FILE", "TEMPLATE_NAME",
    "TEXT_COLOR", "UNKNOWN_STATUS_COLOR", "WIDE_HEIGHT", "apply_theme", "asset_path", "column_widths", "css",
    "empty_figure", "format_column", "format_number", "is_missing", "palette", "row_fill",
    "sequential_colorscale", "status_color", "table_figure", "table_height", "template",
]

import math
import numbers
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import plotly.graph_objects as go

# The Plotly template and its loading live below the widgets (the benchmark page uses them too).
from synapse_nb._plotly_theme import TEMPLATE_FILE, TEMPLATE_NAME, apply_theme, asset_path, template

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
HEADER_COLOR = "#f3f4f6"
METRIC_HEADER_COLOR = "#e0e7ff"
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

def palette() -> tuple[str, ...]:
    """The colours lines and bars cycle through (the template's colorway).

    Example:
        >>> len(palette()) >= 8
        True
    """
    return tuple(template().layout.colorway)


def sequential_colorscale() -> list[list[Any]]:
    """The colour scale for a continuous value, low to high (used for the tune metric).

    Example:
        >>> sequential_colorscale()[0][0], sequential_colorscale()[-1][0]
        (0.0, 1.0)
    """
    return [list(stop) for stop in template().layout.colorscale.sequential]


def status_color(status: Any) -> str:
    """The colour of a trial status; unknown or missing statuses are light grey.

    Example:
        >>> status_color("running") == STATUS_COLORS["RUNNING"]
        True
    """
    return STATUS_COLORS.get(str(status).upper(), UNKNOWN_STATUS_COLOR)


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


def _scientific(value: float) -> str:
    return "0" if value == 0.0 else _short_exponent(f"{value:.2e}")


def format_column(values: Iterable[Any]) -> list[str]:
    """A table column as text, every number in the same format.

    Whole numbers show as integers. Otherwise fixed decimals give about 4 significant digits
    to the largest value, unless that would leave more than a tenth of the values with fewer
    than 2 significant digits (a learning rate searched over several decades): then every
    value is written in scientific notation. Missing values show as a dash, so a column
    never carries 'nan'.

    Example:
        >>> format_column([0.91, 0.5, 0.123456])
        ['0.9100', '0.5000', '0.1235']
        >>> format_column([1e-5, 2e-4, 3e-3, 0.05, None])
        ['1.00e-5', '2.00e-4', '3.00e-3', '5.00e-2', '—']
        >>> format_column([16, 32.0])
        ['16', '32']
    """
    items = list(values)
    if any(not is_missing(v) and not _is_number(v) for v in items):
        return [format_number(v) for v in items]
    finite = [float(v) for v in items if not is_missing(v) and math.isfinite(float(v))]
    if not finite:
        return [format_number(v) for v in items]

    def each(write: Any) -> list[str]:
        return [write(float(v)) if not is_missing(v) and math.isfinite(float(v)) else format_number(v) for v in items]

    if all(v.is_integer() and abs(v) < 1e15 for v in finite):
        return each(lambda v: str(int(v)))
    largest = max(abs(v) for v in finite)
    if largest >= 1e7:
        return each(_scientific)
    decimals = min(6, max(0, 3 - math.floor(math.log10(largest))))
    nonzero = [abs(v) for v in finite if v != 0.0]
    lossy = sum(1 for v in nonzero if v < 10.0 ** (1 - decimals))
    if lossy > 0.1 * len(nonzero):
        return each(_scientific)
    return each(lambda v: f"{v:.{decimals}f}")


def _text_width(text: str) -> float:
    # Capitals, digits and symbols (★, ▼) are wider than the average character of a proportional font.
    return sum(2.0 if not c.isascii() else 1.3 if c.isupper() else 1.1 if c.isdigit() else 1.0 for c in text)


def column_widths(header: list[str], columns: list[list[str]], widest: int = 20) -> list[float]:
    """Relative column widths for a table: the longest of header and cells in characters
    (capped at ``widest``; longer text wraps), plus room for the cell padding.

    Example:
        >>> column_widths(["trial", "status"], [["t_1"], ["RUNNING"]])
        [10.0, 13.1]
    """
    padding = 4  # plotly's cell padding, in characters: without it short columns clip their text
    widths = []
    for title, cells in zip(header, columns, strict=True):
        longest = max(cells, key=len, default="")
        wanted = max(4.0, _text_width(title) + 1, _text_width(longest))
        widths.append(round(padding + min(float(widest), wanted), 1))
    return widths


def row_fill(best_row: int | None) -> str | list[str]:
    """The fill of a plain table column: white, the best row (if any) highlighted.

    plotly.js repeats the last colour of a short list over the remaining rows, so the list
    stops right after the best row: a 500-row table carries a few colours per column, not 500.

    Example:
        >>> row_fill(None) == CELL_COLOR, row_fill(1) == [CELL_COLOR, BEST_ROW_COLOR, CELL_COLOR]
        (True, True)
    """
    return CELL_COLOR if best_row is None else [CELL_COLOR] * best_row + [BEST_ROW_COLOR, CELL_COLOR]


def table_figure(
    header: list[str],
    columns: list[list[str]],
    *,
    header_fill: list[str],
    fill: list[str | list[str]] | str,
    align: list[str],
    column_width: list[float],
    font_color: list[str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """A themed ``go.Table`` figure from column lists, as tall as its rows need (capped).

    ``fill`` is one colour, or one entry per column: a colour or per-row colours (see
    :func:`row_fill`); a flat list of colours therefore colours columns, not rows.

    Example:
        >>> fig = table_figure(["a"], [["1", "2"]], header_fill=["#fff"], fill=CELL_COLOR, align=["right"],
        ...                    column_width=[1.0])
        >>> fig.data[0].type, fig.layout.height
        ('table', 160)
    """
    cells: dict[str, Any] = {"values": columns, "fill": {"color": fill}, "align": align}
    if font_color is not None:
        cells["font"] = {"color": font_color}
    # A plain dict: plotly validates it once when the figure is built, not twice (object + figure).
    table = {
        "type": "table",
        "header": {"values": header, "fill": {"color": header_fill}, "align": align},
        "cells": cells,
        "columnwidth": column_width,
    }
    fig = go.Figure(data=[table])
    fig.update_layout(margin={"l": 8, "r": 8, "t": 44, "b": 8})
    return apply_theme(fig, height=table_height(len(columns[0]) if columns else 0), title=title)


def table_height(rows: int) -> int:
    """A table figure's height for ``rows`` rows: fits small tables, caps large ones (they scroll).

    Example:
        >>> table_height(3) < table_height(10) <= table_height(500) == TABLE_MAX_HEIGHT
        True
    """
    margins = 44 + 8  # table figures' top margin (title) and bottom one
    wanted = margins + TABLE_HEADER_HEIGHT + TABLE_ROW_HEIGHT * max(rows, 1) + 8
    return max(TABLE_MIN_HEIGHT, min(TABLE_MAX_HEIGHT, wanted))
