"""PickTable: a sortable table of a DataFrame in which a person picks one row.

Each column header is a button that sorts by that column (again: the other way); the
``pick`` column of each row is a button that picks the row. ``value`` is the index of the
picked row (None when none is), observable like a widget's value.

Example:
    >>> import pandas as pd
    >>> t = PickTable(pd.DataFrame({"name": ["a", "b"], "mAP": [0.3, 0.5]}, index=["A", "B"]), pick="name")
    >>> t.sort("mAP", descending=True); t.row_order()
    ['B', 'A']
    >>> t.value = "A"; t.picked_label()
    'a'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import ipywidgets as w
import pandas as pd
import traitlets

from synapse_nb.errors import InputError
from synapse_nb.widgets._common import esc
from synapse_nb.widgets.wizard._model_data import sorted_frame

Formatter = Callable[[Any], str]
MISSING = "—"


def cell_text(value: Any, fmt: Formatter | None = None) -> str:
    """How one cell shows its value: a dash where there is none.

    Example:
        >>> cell_text(float("nan")), cell_text(2.5, "{:.2f}".format), cell_text("x")
        ('—', '2.50', 'x')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return fmt(value) if fmt is not None else str(value)


class PickTable(traitlets.HasTraits):
    """The table widget (``widget``) of ``frame``; one row is picked by its button.

    ``formats`` maps a column to a function giving its cell text; ``widths`` a column to
    its CSS width; ``tooltips`` a column to its header's tooltip.
    """

    value = traitlets.Any(None, allow_none=True)

    def __init__(self, frame: pd.DataFrame, pick: str, formats: Mapping[str, Formatter] | None = None,
                 widths: Mapping[str, str] | None = None, tooltips: Mapping[str, str] | None = None,
                 max_height: str = "340px") -> None:
        super().__init__()
        self.pick = pick
        self.formats = dict(formats or {})
        self.widths = dict(widths or {})
        self.tooltips = dict(tooltips or {})
        self.sort_column: str | None = None
        self.descending = False
        self.header = w.GridBox([])
        self.body = w.GridBox([])
        self.body.add_class("snb-pick-body")
        scroller = w.Box([self.body], layout=w.Layout(max_height=max_height, overflow="auto", width="100%"))
        self.widget = w.VBox([self.header, scroller])
        self.widget.add_class("snb-pick-table")
        self._rows: dict[Hashable, list[w.Widget]] = {}
        self.frame = frame
        self.set_frame(frame)

    # -- contents ------------------------------------------------------------------------

    def set_frame(self, frame: pd.DataFrame) -> None:
        """Show ``frame`` (its own order, or the current sort); keeps the pick if its row is still there."""
        self.frame = frame
        columns = list(frame.columns)
        template = " ".join(self.widths.get(c, "auto") for c in columns)
        self.header.layout = w.Layout(grid_template_columns=template, width="100%")
        self.body.layout = w.Layout(grid_template_columns=template, width="100%")
        header_cells = []
        for column in columns:
            button = w.Button(description=self._header_text(column), tooltip=self.tooltips.get(column, f"sort by {column}"),
                              layout=w.Layout(width="auto"))
            button.add_class("snb-pick-sort")
            button.on_click(lambda _b, c=column: self._header_clicked(c))
            header_cells.append(button)
        self.header.children = header_cells
        self._rows = {}
        for key, row in frame.iterrows():
            cells: list[w.Widget] = []
            for column in columns:
                text = cell_text(row[column], self.formats.get(column))
                if column == self.pick:
                    cell: w.Widget = w.Button(description=text, tooltip=f"pick {text}", layout=w.Layout(width="auto"))
                    cell.on_click(lambda _b, k=key: setattr(self, "value", k))
                else:
                    cell = w.HTML(f'<span class="snb-cell">{esc(text)}</span>')
                cells.append(cell)
            self._rows[key] = cells
        if self.value not in self._rows:
            self.value = None
        self._lay_out()

    def _header_text(self, column: str) -> str:
        if column != self.sort_column:
            return column
        return f"{column} {'▼' if self.descending else '▲'}"

    def _header_clicked(self, column: str) -> None:
        descending = not self.descending if column == self.sort_column else self.frame[column].dtype.kind in "fi"
        self.sort(column, descending)

    def sort(self, column: str | None, descending: bool = False) -> None:
        """Sort the rows by ``column`` (None: the frame's own order); rows without a value go last."""
        if column is not None and column not in self.frame.columns:
            raise InputError("sort", f"one of the columns {list(self.frame.columns)}", got=column)
        self.sort_column, self.descending = column, descending
        for button, name in zip(self.header.children, self.frame.columns):
            button.description = self._header_text(name)
        self._lay_out()

    def row_order(self) -> list[Hashable]:
        """The row keys top to bottom, as shown."""
        return list(sorted_frame(self.frame, self.sort_column, self.descending).index)

    def _lay_out(self) -> None:
        self.body.children = [cell for key in self.row_order() for cell in self._rows[key]]
        self._highlight()

    # -- the pick ------------------------------------------------------------------------

    @traitlets.validate("value")
    def _known(self, proposal: Any) -> Any:
        key = proposal["value"]
        if key is not None and key not in self._rows:
            raise InputError("value", f"a row of the table: {list(self._rows)}", got=key)
        return key

    @traitlets.observe("value")
    def _picked(self, _change: Any) -> None:
        self._highlight()

    def _highlight(self) -> None:
        for key, cells in self._rows.items():
            for cell in cells:
                if key == self.value:
                    cell.add_class("snb-row--picked")
                else:
                    cell.remove_class("snb-row--picked")

    @property
    def options(self) -> list[tuple[str, Hashable]]:
        """``(pick column text, row key)`` of every row, in the frame's order."""
        column = list(self.frame.columns).index(self.pick)
        return [(cells[column].description, key) for key, cells in self._rows.items()]

    def picked_label(self) -> str | None:
        """The pick column's text of the picked row."""
        return dict((k, label) for label, k in self.options).get(self.value) if self.value is not None else None

    @property
    def disabled(self) -> bool:
        """Whether the table takes no clicks (every sort and pick button disabled)."""
        buttons = self._buttons()
        return bool(buttons) and all(b.disabled for b in buttons)

    @disabled.setter
    def disabled(self, value: bool) -> None:
        for button in self._buttons():
            button.disabled = value

    def _buttons(self) -> list[w.Button]:
        column = list(self.frame.columns).index(self.pick)
        return [*self.header.children, *(cells[column] for cells in self._rows.values())]

    def pick_button(self, key: Hashable) -> w.Button:
        """The button that picks row ``key``."""
        return self._rows[key][list(self.frame.columns).index(self.pick)]

