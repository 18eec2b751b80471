"""One self-contained HTML page for a benchmark report.

plotly.js is embedded once, inline: the page is opened on machines without internet (and
a CDN script would also leak that the report was opened). Later figures reuse it. The
figures come from a function the caller hands over, so this headless module imports no
figure code; thumbnails of the worst images are embedded as PNG data.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from synapse_nb.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from synapse_nb.benchmark.gallery import Thumbnail
    from synapse_nb.benchmark.report import BenchmarkReport

FigureBuilder = Callable[["BenchmarkReport"], Mapping[str, Any]]
NO_WORST_IMAGES = "No image has a false positive or a missed object at the F1-optimal confidence."
_LEGEND = ("green: true positive (thin: the object, thick: the detection) &middot; red: false positive &middot; "
           "magenta: misclassified (actual &rarr; predicted) &middot; orange: missed object")

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
.row { display: flex; flex-wrap: wrap; gap: 1rem; } .row > div { flex: 1 1 420px; min-width: 0; }
.warn { background: #fff4e5; border-left: 4px solid #f0a020; padding: 0.5rem 0.8rem; }
.gallery { display: flex; flex-wrap: wrap; gap: 0.6rem; } .gallery figure { margin: 0; width: 256px; }
.gallery img { max-width: 256px; border: 1px solid #ddd; } figcaption { font-size: 0.8rem; color: #444; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; }
"""


def render_html(report: BenchmarkReport, figures: FigureBuilder, thumbnails: Mapping[str, Sequence[Thumbnail]] | None = None) -> str:
    """The whole page as a string (the caller writes it atomically).

    ``figures(report)`` gives the page's figures by id (e.g.
    ``synapse_nb.benchmark.figures.report_figures``): the headless core draws none
    itself. ``thumbnails`` (per runtime) are the worst images, embedded as PNG data.
    """
    built = figures(report)
    if not isinstance(built, Mapping) or not built:
        raise InputError("figures", "a function returning {id: plotly Figure} for the report", got=type(built).__name__)
    sections = []
    for index, (name, fig) in enumerate(built.items()):
        sections.append(
            fig.to_html(
                full_html=False,
                include_plotlyjs=index == 0,  # True = the library inline, never a CDN link
                include_mathjax=False,
                config={"displaylogo": False, "responsive": True},
                div_id=f"benchmark-{name.replace('_', '-')}",
            )
        )
    gallery = ""
    for runtime, thumbs in (thumbnails or {}).items():
        if thumbs:
            cells = "".join(
                f'<figure><img alt="{html.escape(t.caption)}" src="data:image/png;base64,{t.png_base64}">'
                f"<figcaption>{html.escape(t.caption)}</figcaption></figure>" for t in thumbs)
            gallery += f'<h2>Worst images: {html.escape(runtime)}</h2><p class="meta">{_LEGEND}</p><div class="gallery">{cells}</div>'
        else:
            # Said, not left out: an empty section would read as a report that lost its images.
            gallery += (f'<h2>Worst images: {html.escape(runtime)}</h2><p class="meta gallery-none">{NO_WORST_IMAGES}</p>')
    warnings = "".join(f'<p class="warn">{html.escape(text)}</p>' for text in report.warnings())
    printouts = "".join(
        f"<div><h3>COCOeval output: {html.escape(runtime)}</h3><pre>{html.escape(evaluation.summary_text)}</pre></div>"
        for runtime, evaluation in report.evaluation.items()
    )
    runtimes = ", ".join(html.escape(r) for r in report.evaluation)
    created = report.created.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Benchmark: {html.escape(report.model_name)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Benchmark: {html.escape(report.model_name)}</h1>"
        f"<p class=\"meta\">{report.val_size} val images &middot; evaluated: {runtimes} &middot; {created}</p>"
        + warnings
        + "".join(f"<section>{section}</section>" for section in sections)
        + (f"<section>{gallery}</section>" if gallery else "")
        + f"<section><div class=\"row\">{printouts}</div></section></body></html>\n"
    )
