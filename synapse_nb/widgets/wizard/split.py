"""Step 4, Train/val split: random, by datasets, by tags or by collections, with live counts.

Every change re-splits the project's items at once and shows how many land in train and in
val, or why the split cannot work (an empty side, a tag no item carries, leakage). Each
kind's controls sit in their own framed panel under the kind buttons, and only the chosen
kind's panel shows. Under them: how each class falls on each side (a bar chart and
:attr:`SplitStep.class_counts`), with a warning when a class is missing from a side or its
share differs between the sides by more than :data:`MAX_SHARE_GAP`.

Example:
    >>> SplitStep.title
    'Train/val split'
"""

from __future__ import annotations

__all__ = ["CHART_WIDTH", "KINDS", "SplitStep"]

from typing import Any

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go

from synapse_nb.errors import InputError
from synapse_nb.splits import CollectionsSplit, DatasetsSplit, RandomSplit, TagsSplit
from synapse_nb.state import TrainState
from synapse_nb.widgets._common import error_text, esc, message_html, plural
from synapse_nb.widgets.figures.split import LEGEND, split_class_chart
from synapse_nb.widgets.wizard._card import StepCard, auto_width
from synapse_nb.widgets.wizard._split_data import MAX_SHARE_GAP, class_count_frame, split_warnings

CHART_WIDTH = 540
KINDS = [("Random", "random"), ("Datasets", "datasets"), ("Tags", "tags"), ("Collections", "collections")]


def _wide() -> w.Layout:
    return w.Layout(width="320px")


def _panel(kind: str, caption: str, rows: list[w.Widget]) -> w.VBox:
    """One split kind's controls, framed so they read as that kind's (and only its)."""
    box = w.VBox([w.HTML(f'<div class="snb-muted">{esc(caption)}</div>'), *rows])
    box.add_class("snb-split-form")
    box.add_class(f"snb-split-{kind}")  # lets a page (and the browser test) find each kind's panel
    return box


def _counts_table(counts: pd.DataFrame) -> str:
    totals = {side: int(counts[side].sum()) for side in ("train", "val")}
    rows = "".join(
        f"<tr><td>{esc(name)}</td>" + "".join(
            f"<td>{int(row[side])} <span class='snb-muted'>({(row[side] / totals[side] if totals[side] else 0):.0%})</span></td>"
            for side in ("train", "val")) + "</tr>"
        for name, row in counts.iterrows())
    return (f'<table class="snb-table snb-class-counts"><tr><th>class</th><th>train objects</th><th>val objects</th></tr>'
            f"{rows}<tr><th>all</th><th>{totals['train']}</th><th>{totals['val']}</th></tr></table>")


class SplitStep(StepCard):
    """The four split kinds, each with its own small form, and the live train/val counts."""

    key = "split"
    title = "Train/val split"

    def build(self) -> list[w.Widget]:
        self._project_id: int | None = None
        self.kind = w.ToggleButtons(options=KINDS, value="random")
        # random
        self.percent = w.IntSlider(value=80, min=1, max=99, description="Percent", continuous_update=True)
        self.side = w.ToggleButtons(options=[("of items to train", "train"), ("of items to val", "val")], value="train",
                                    style={"button_width": "auto"})
        self.seed = w.IntText(value=0, description="Seed", layout=w.Layout(width="180px"),
                              tooltip="the same seed gives the same split of the same items")
        random_form = _panel("random", "Random: a share of the items, drawn with a seed (same seed, same split).",
                             [w.HBox([self.percent, self.side]), self.seed])
        # datasets
        self.train_datasets = w.SelectMultiple(options=[], description="Train", rows=4, layout=_wide())
        self.val_datasets = w.SelectMultiple(options=[], description="Val", rows=4, layout=_wide())
        datasets_form = _panel("datasets", "Datasets: whole datasets on each side.",
                               [w.HBox([self.train_datasets, self.val_datasets])])
        # tags
        self.train_tag = w.Combobox(description="Train tag", value="train", ensure_option=False, layout=_wide())
        self.val_tag = w.Combobox(description="Val tag", value="val", ensure_option=False, layout=_wide())
        self.untagged = w.ToggleButtons(options=[("untagged → train", "train"), ("untagged → val", "val"),
                                                 ("ignore untagged", "ignore")], value="train")
        tags_form = _panel("tags", "Tags: items tagged for each side; what happens to untagged items.",
                           [w.HBox([self.train_tag, self.val_tag]), self.untagged])
        # collections
        self.train_collections = w.SelectMultiple(options=[], description="Train", rows=4, layout=_wide())
        self.val_collections = w.SelectMultiple(options=[], description="Val", rows=4, layout=_wide())
        self.allow_overlap = w.Checkbox(value=False, indent=False, layout=auto_width(),
                                        description="Allow items on both sides (train/val leakage)")
        collections_form = _panel("collections", "Collections: the items of chosen collections on each side.",
                                  [w.HBox([self.train_collections, self.val_collections])])
        self.forms = {"random": random_form, "datasets": datasets_form, "tags": tags_form,
                      "collections": collections_form}
        self.counts = w.HTML()
        self.class_table = w.HTML()
        self.class_warnings = w.HTML()
        self.chart = go.FigureWidget(split_class_chart(pd.DataFrame(columns=["train", "val"])))
        # A fixed width: the box it sits in has one, and plotly sizes a figure drawn while the
        # page lays out from a width it measured too early.
        self.chart.layout.width = CHART_WIDTH
        self._class_counts: pd.DataFrame | None = None
        # Always shown (the empty figure until there are classes): plotly draws nothing into a
        # figure first drawn while hidden, and does not redraw it when it is shown.
        self.class_box = w.HBox([self.class_table, w.Box([self.chart], layout=w.Layout(width=f"{CHART_WIDTH + 10}px"))],
                                layout=w.Layout(align_items="flex-start", grid_gap="16px"))
        for control in (self.kind, self.percent, self.side, self.seed, self.train_datasets, self.val_datasets,
                        self.train_tag, self.val_tag, self.untagged, self.train_collections, self.val_collections,
                        self.allow_overlap):
            control.observe(lambda _c: self.update_counts(), names="value")
        self._show_form()
        return [self.kind, *self.forms.values(), self.allow_overlap, self.counts,
                self.class_box, self.class_warnings]

    def on_activate(self) -> None:
        data = self.ctx.project
        if data is None or data.project.id == self._project_id:
            self.update_counts()
            return
        self._project_id = data.project.id
        by_dataset = {d.id: d for d in data.datasets}
        dataset_options = [(f"{d.name} ({plural(d.item_count, 'item')})", d.id) for d in by_dataset.values()]
        collection_options = [(f"{c.name} ({plural(data.stats.collections.get(c.id, 0), 'item')})", c.id) for c in data.collections]
        for select in (self.train_datasets, self.val_datasets):
            select.value = ()
            select.options = dataset_options
        for select in (self.train_collections, self.val_collections):
            select.value = ()
            select.options = collection_options
        for combo in (self.train_tag, self.val_tag):
            combo.options = tuple(data.tags)
        self.update_counts()

    def _show_form(self) -> None:
        for kind, form in self.forms.items():
            form.layout.display = None if kind == self.kind.value else "none"
        self.allow_overlap.layout.display = "none" if self.kind.value == "random" else None

    def split(self) -> Any:
        """The split the controls describe (raises when they describe none)."""
        kind = self.kind.value
        overlap = self.allow_overlap.value
        if kind == "random":
            return RandomSplit(percent=self.percent.value, split=self.side.value, seed=self.seed.value)
        if kind == "datasets":
            return DatasetsSplit(train_datasets=list(self.train_datasets.value), val_datasets=list(self.val_datasets.value),
                                 allow_overlap=overlap)
        if kind == "tags":
            return TagsSplit(train_tag=self.train_tag.value.strip(), val_tag=self.val_tag.value.strip(),
                             untagged_action=self.untagged.value, allow_overlap=overlap)
        return CollectionsSplit(train_collections=list(self.train_collections.value),
                                val_collections=list(self.val_collections.value), allow_overlap=overlap)

    def counts_now(self) -> tuple[int, int]:
        """``(train items, val items)`` of the current split on the project (raises like the split)."""
        data = self.ctx.project
        if data is None:
            raise InputError("project_id", "a project picked in step 1")
        return self.ctx.split_counts(self.split())

    def classes(self) -> list[str]:
        """The classes the split is shown for: those ticked in step 3 (every class before)."""
        data = self.ctx.project
        if data is None:
            return []
        return self.ctx.classes if self.ctx.classes is not None else [c.name for c in data.project.classes]

    @property
    def class_counts(self) -> pd.DataFrame:
        """Objects of each class on each side of the current split: index the classes,
        columns ``train`` and ``val`` (raises like the split when it describes none)."""
        data = self.ctx.project
        if data is None:
            raise InputError("project_id", "a project picked in step 1")
        # Counted where the items are: the wizard holds only the project's first items.
        counted = self.ctx.split_class_counts(self.split())
        return class_count_frame(counted.train, counted.val, self.classes())

    def update_counts(self) -> None:
        """Re-split and show the live counts, or the reason the split does not work."""
        self._show_form()
        self.show_error(None)
        try:
            n_train, n_val = self.counts_now()
            counts = self.class_counts
        except ValueError as exc:
            self.counts.value = message_html("error", error_text(exc))
            self._show_classes(None)
            return
        self._show_classes(counts)
        total = self.ctx.project.item_count if self.ctx.project else 0
        unused = total - n_train - n_val
        extra = f" · {plural(unused, 'item')} unused" if unused > 0 else ""
        extra += " · some items on both sides" if unused < 0 else ""
        if self.kind.value == "random":
            extra += f" · seed {self.seed.value}"
        self.counts.value = (f'<div class="snb-counts">Train: <b>{plural(n_train, "item")}</b> · '
                             f'Val: <b>{plural(n_val, "item")}</b>{esc(extra)}</div>')

    def _show_classes(self, counts: pd.DataFrame | None) -> None:
        """The per-class table, chart and warnings of ``counts`` (cleared when None)."""
        self._class_counts = counts
        if counts is not None and not counts.empty:
            self._draw(counts)
        elif self.chart.data:
            with self.chart.batch_update():  # no split: no bars (the error says why)
                for trace in self.chart.data:
                    trace.y = [0] * len(trace.x or ())
        if counts is None:
            self.class_table.value = ""
            self.class_warnings.value = ""
            return
        self.class_table.value = _counts_table(counts)
        warned = split_warnings(counts, MAX_SHARE_GAP)
        self.class_warnings.value = "".join(message_html("warning", f"⚠ {text}") for text in warned)

    def _draw(self, counts: pd.DataFrame) -> None:
        """Bring the chart to ``counts``: its two bar traces are added once, then updated in
        place (plotly.js in the page draws a replaced figure's new traces unreliably)."""
        built = split_class_chart(counts)
        if len(self.chart.data) != len(built.data):
            self.chart.data = ()
            self.chart.add_traces(built.data)
            with self.chart.batch_update():
                self.chart.layout.annotations = ()
                self.chart.update_layout(barmode="group", legend=LEGEND)
                self.chart.update_xaxes(visible=True, title_text="class")
                self.chart.update_yaxes(visible=True, title_text="objects", rangemode="nonnegative")
            return
        with self.chart.batch_update():
            for trace, new in zip(self.chart.data, built.data):
                trace.x = new.x
                trace.y = new.y
                trace.customdata = new.customdata

    def check(self) -> None:
        self.counts_now()

    def summary(self) -> str:
        n_train, n_val = self.counts_now()
        return f"{self.split().describe()} — {n_train} train / {n_val} val"

    def fields(self) -> dict[str, Any]:
        return {"train_val_split": self.split()}

    def restore(self, state: TrainState) -> None:
        self.on_activate()
        split = state.train_val_split
        self.kind.value = split.kind
        if isinstance(split, RandomSplit):
            self.percent.value = split.percent
            self.side.value = split.split_side
            self.seed.value = split.seed
            return
        self.allow_overlap.value = split.allow_overlap
        if isinstance(split, TagsSplit):
            self.train_tag.value = split.train_tag
            self.val_tag.value = split.val_tag
            self.untagged.value = split.untagged_action
        elif isinstance(split, DatasetsSplit):
            self._select(self.train_datasets, split.train_datasets, "train_val_split.train_datasets", "datasets")
            self._select(self.val_datasets, split.val_datasets, "train_val_split.val_datasets", "datasets")
        elif isinstance(split, CollectionsSplit):
            self._select(self.train_collections, split.train_collections, "train_val_split.train_collections",
                         "collections")
            self._select(self.val_collections, split.val_collections, "train_val_split.val_collections", "collections")

    @staticmethod
    def _select(select: w.SelectMultiple, ids: list[int], field: str, what: str) -> None:
        known = [value for _label, value in select.options]
        missing = [i for i in ids if i not in known]
        if missing:
            raise InputError(field, f"{what} of the project: {known}", got=missing)
        select.value = tuple(ids)
