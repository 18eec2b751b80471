"""The figures' theme: one template, one CSS, identical repository and packaged copies."""

from __future__ import annotations

import json
import math
import re
from importlib import resources
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_nb.widgets.figures import theme

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = resources.files("synapse_nb.widgets.figures")


@pytest.mark.parametrize("name", [theme.TEMPLATE_FILE, theme.CSS_FILE])
def test_repository_and_packaged_assets_are_identical(name: str) -> None:
    repo_copy = (ROOT / "widgets" / name).read_bytes()
    packaged_copy = PACKAGED.joinpath(name).read_bytes()
    assert repo_copy == packaged_copy, f"widgets/{name} and synapse_nb/widgets/figures/{name} differ: copy one over the other"


def test_template_is_registered_and_sized_for_notebooks() -> None:
    template = theme.template()
    assert theme.TEMPLATE_NAME in pio.templates
    layout = template.layout
    assert layout.autosize is True
    assert layout.width is None  # the cell decides the width
    assert 300 <= layout.height <= 420
    assert list(layout.colorway) == list(theme.palette())
    assert json.loads((ROOT / "widgets" / theme.TEMPLATE_FILE).read_text())["layout"]["colorway"] == list(theme.palette())


def test_a_figure_can_use_the_template_by_name() -> None:
    theme.template()
    fig = go.Figure(layout={"template": theme.TEMPLATE_NAME})
    assert list(fig.layout.template.layout.colorway) == list(theme.palette())


def test_apply_theme_returns_the_same_figure_with_the_template() -> None:
    fig = go.Figure()
    themed = theme.apply_theme(fig, height=333, title="Losses")
    assert themed is fig
    assert fig.layout.height == 333
    assert fig.layout.title.text == "Losses"
    assert list(fig.layout.template.layout.colorway) == list(theme.palette())


def test_status_colours_match_the_css_variables() -> None:
    css = theme.css()
    for status, color in theme.STATUS_COLORS.items():
        match = re.search(rf"--snb-status-{status.lower()}:\s*(#[0-9a-fA-F]{{6}})", css)
        assert match, f"theme.css has no --snb-status-{status.lower()}"
        assert match.group(1).lower() == color.lower()
        assert f".snb-status-{status}" in css
    assert set(theme.STATUS_COLORS) == set(theme.STATUSES)


def test_status_colour_is_case_insensitive_and_grey_for_unknown() -> None:
    assert theme.status_color("terminated") == theme.STATUS_COLORS["TERMINATED"]
    assert theme.status_color(None) == theme.UNKNOWN_STATUS_COLOR
    assert theme.status_color("SOMETHING") == theme.UNKNOWN_STATUS_COLOR


def test_css_is_the_theme_file() -> None:
    assert theme.css() == (ROOT / "widgets" / theme.CSS_FILE).read_text(encoding="utf-8")
    assert ".snb-card" in theme.css()


def test_empty_figure_is_valid_and_says_so() -> None:
    fig = theme.empty_figure()
    assert len(fig.data) == 0
    assert fig.layout.annotations[0].text == "no data yet"
    json.loads(fig.to_json())  # serialisable, so it renders


def test_format_number_is_compact() -> None:
    assert theme.format_number(None) == "—"
    assert theme.format_number(float("nan")) == "—"
    assert theme.format_number(True) == "true"
    assert theme.format_number(42) == "42"
    assert theme.format_number(0.123456) == "0.1235"
    assert theme.format_number(1.5e-5) == "1.5e-5"
    assert theme.format_number("x" * 100).endswith("…")
    assert len(theme.format_number("x" * 100)) == theme.MAX_CELL_TEXT


def test_format_column_uses_one_precision_per_column() -> None:
    assert theme.format_column([0.9, 0.12345, None]) == ["0.9000", "0.1235", "—"]
    # one tiny value among many does not turn a metric column into scientific notation
    assert theme.format_column([0.9, 0.5, 0.3, 0.2, 0.1, 0.7, 0.6, 0.4, 0.8, 0.95, 0.0004])[-1] == "0.0004"
    # a learning rate searched over decades does
    assert theme.format_column([1e-5, 3e-4, 2e-3, 0.05]) == ["1.00e-5", "3.00e-4", "2.00e-3", "5.00e-2"]
    assert theme.format_column([1.2345, 12.5]) == ["1.23", "12.50"]
    assert theme.format_column([8.0, 16.0, None]) == ["8", "16", "—"]
    assert theme.format_column(["SGD", 0.1, None]) == ["SGD", "0.1", "—"]
    assert theme.format_column([]) == []


@given(st.lists(st.one_of(st.none(), st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)), max_size=30))
def test_format_column_keeps_values_readable_and_close(values: list[float | None]) -> None:
    cells = theme.format_column(values)
    assert len(cells) == len(values)
    finite = [abs(v) for v in values if v is not None]
    largest = max(finite, default=0.0)
    for value, cell in zip(values, cells, strict=True):
        assert "nan" not in cell.lower() and "inf" not in cell.lower()
        if value is None:
            assert cell == theme.MISSING
        else:
            # About 3-4 significant digits, relative to the value or the column's largest.
            assert math.isclose(float(cell), value, rel_tol=5.1e-3, abs_tol=5e-3 * largest + 1e-300)


@given(st.integers(min_value=0, max_value=100_000))
def test_table_height_is_bounded(rows: int) -> None:
    assert theme.TABLE_MIN_HEIGHT <= theme.table_height(rows) <= theme.TABLE_MAX_HEIGHT
