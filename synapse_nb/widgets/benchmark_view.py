"""BenchmarkView: the benchmark in the notebook, where clicking a chart opens the images behind it.

Click a confusion-matrix cell, a per-class outcome bar or pick a per-image row, and the
gallery below shows the images behind it with ground truth and predictions drawn (see
:mod:`synapse_nb.benchmark.gallery` for the colours). The other sections are shown as
figures.

Example:
    >>> from synapse_nb.widgets import BenchmarkView
    >>> BenchmarkView(report, images_dir="coco/images")  # doctest: +SKIP
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as w
import plotly.graph_objects as go

from synapse_nb.benchmark.coco_eval import EvaluationReport
from synapse_nb.benchmark.gallery import draw_image, image_rows
from synapse_nb.benchmark.report import BenchmarkReport
from synapse_nb.errors import InputError
from synapse_nb.widgets._common import style_html, unwrapped_tables
from synapse_nb.widgets.figures import benchmark_sections as sections
from synapse_nb.widgets.figures.benchmark import report_figures

__all__ = ["BenchmarkView"]

_SORTS = [("most errors", "errors"), ("most FN", "fn"), ("most FP", "fp"), ("lowest recall", "recall"),
          ("lowest precision", "precision"), ("most TP", "tp")]


class BenchmarkView:
    """The benchmark sections of one evaluation, with a gallery the charts filter.

    ``report``: a BenchmarkReport (or its dict) or one EvaluationReport; ``runtime`` picks
    which evaluation ('pytorch', 'onnx'); ``images_dir`` holds the val split's images by file
    name (e.g. from ``api.project.export(project_id, 'coco', dest, split=...)``).
    """

    def __init__(self, report: BenchmarkReport | EvaluationReport | Mapping[str, Any], images_dir: Path | str,
                 runtime: str = "pytorch", page_size: int = 12) -> None:
        if isinstance(report, Mapping):
            report = BenchmarkReport.model_validate(report)
        self.report = report
        if isinstance(report, BenchmarkReport):
            if runtime not in report.evaluation:
                raise InputError("runtime", f"one of {sorted(report.evaluation)}", got=runtime)
            self.evaluation = report.evaluation[runtime]
        elif isinstance(report, EvaluationReport):
            self.evaluation = report
        else:
            raise InputError("report", "a BenchmarkReport, its dict or an EvaluationReport", got=type(report).__name__)
        if self.evaluation.per_image is None:
            raise InputError("report", "a report with the per-image section (scored by this version)")
        self.images_dir = Path(images_dir)
        if not self.images_dir.is_dir():
            raise InputError("images_dir", "the folder holding the val split's images", got=str(images_dir))
        self.page_size = page_size
        self.shown: list[Any] = []
        self.filter_text = w.HTML()
        self.gallery = w.Box(layout=w.Layout(display="flex", flex_flow="row wrap"))
        single = {"model": self.evaluation}
        self.confusion = go.FigureWidget(unwrapped_tables(sections.confusion_matrix(single)))
        self.outcomes = go.FigureWidget(unwrapped_tables(sections.outcomes(single)))
        self.confusion.data[0].on_click(self.on_confusion_click)
        for trace in self.outcomes.data:
            trace.on_click(self.on_outcome_click)
        self.sort = w.Dropdown(options=_SORTS, value="errors", description="Sort by")
        self.images = w.Select(options=[], rows=10, description="Images", layout=w.Layout(width="520px"))
        self.sort.observe(lambda _c: self._fill_images(), names="value")
        self.images.observe(lambda c: self.show_image(c["new"]) if c["new"] is not None else None, names="value")
        self._fill_images()
        shown = report if isinstance(report, BenchmarkReport) else single
        others = [go.FigureWidget(unwrapped_tables(fig)) for name, fig in report_figures(shown).items()
                  if name not in ("confusion_matrix", "outcomes", "per_image_table")]
        self.widget = w.VBox([w.HTML(style_html()), self.confusion, self.outcomes,
                              w.HBox([self.images, self.sort]), self.filter_text, self.gallery, *others])
        self.widget.add_class("snb-root")
        self.filter()

    # -- click callbacks (plotly FigureWidget on_click signature: trace, points, state) -----------

    def on_confusion_click(self, trace: Any, points: Any, state: Any = None) -> None:
        """A confusion-matrix cell was clicked: show the images of that (actual, predicted) pair."""
        if points.xs and points.ys:
            self.filter(actual=str(points.ys[0]), predicted=str(points.xs[0]))

    def on_outcome_click(self, trace: Any, points: Any, state: Any = None) -> None:
        """A per-class outcome bar was clicked: show that class's images with that outcome."""
        if points.point_inds:
            class_name, outcome = trace.customdata[points.point_inds[0]]
            self.filter(class_name=str(class_name), outcome=str(outcome))

    # -- gallery -----------------------------------------------------------------------------------

    def filter(self, **criteria: Any) -> list[Any]:
        """Show the images matching ``criteria`` (see :func:`~synapse_nb.benchmark.gallery.image_rows`);
        without criteria the worst images. Returns the image ids shown."""
        rows = image_rows(self.evaluation, **criteria)
        if not criteria:
            rows = [r for r in sections.sort_rows(self.evaluation, "errors") if r.fp + r.fn > 0]
        described = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in criteria.items()) or "the worst images"
        self._show(rows, f"{len(rows)} image(s): {described}")
        return self.shown

    def show_image(self, image_id: Any) -> None:
        """Show one image (a per-image row was picked)."""
        rows = [r for r in self.evaluation.per_image or [] if r.image_id == image_id]
        self._show(rows, f"image {rows[0].file_name if rows else image_id}")

    def _show(self, rows: list[Any], text: str) -> None:
        import html

        rows = rows[: self.page_size]
        self.shown = [r.image_id for r in rows]
        self.filter_text.value = f'<div class="snb-muted">{html.escape(text)}</div>'
        tiles = []
        for row in rows:
            if not row.file_name:
                continue
            buffer = io.BytesIO()
            draw_image(self.images_dir / row.file_name, row.objects, max_size=256).save(buffer, format="PNG")
            caption = f"{row.file_name}: TP {row.tp}, FP {row.fp}, FN {row.fn}"
            tiles.append(w.VBox([w.Image(value=buffer.getvalue(), format="png"), w.HTML(html.escape(caption))]))
        self.gallery.children = tuple(tiles)

    def _fill_images(self) -> None:
        rows = sections.sort_rows(self.evaluation, self.sort.value)
        self.images.options = [(f"{r.file_name or r.image_id}  TP {r.tp}  FP {r.fp}  FN {r.fn}", r.image_id) for r in rows]
        self.images.value = None

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
