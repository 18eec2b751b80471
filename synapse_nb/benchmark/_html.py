"""One self-contained HTML page for a benchmark report.

plotly.js is embedded once, inline: the page is opened on machines without internet (and
a CDN script would also leak that the report was opened). Later figures reuse it.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from synapse_nb.benchmark.report import BenchmarkReport

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
.row { display: flex; flex-wrap: wrap; gap: 1rem; } .row > div { flex: 1 1 420px; min-width: 0; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; }
"""


def render_html(report: BenchmarkReport) -> str:
    """The whole page as a string (the caller writes it atomically)."""
    from synapse_nb.benchmark import figures

    builders = [figures.metrics_summary, figures.per_class_ap, figures.pr_curve, figures.speed_table]
    sections = []
    for index, build in enumerate(builders):
        fig = build(report)
        sections.append(
            fig.to_html(
                full_html=False,
                include_plotlyjs=index == 0,  # True = the library inline, never a CDN link
                include_mathjax=False,
                config={"displaylogo": False, "responsive": True},
                div_id=f"benchmark-{build.__name__.replace('_', '-')}",
            )
        )
    printouts = "".join(
        f"<div><h3>pycocotools output: {html.escape(runtime)}</h3><pre>{html.escape(evaluation.summary_text)}</pre></div>"
        for runtime, evaluation in report.evaluation.items()
    )
    runtimes = ", ".join(html.escape(r) for r in report.evaluation)
    created = report.created.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Benchmark: {html.escape(report.model_name)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Benchmark: {html.escape(report.model_name)}</h1>"
        f"<p class=\"meta\">{report.val_size} val images &middot; evaluated: {runtimes} &middot; {created}</p>"
        + "".join(f"<section>{section}</section>" for section in sections)
        + f"<section><div class=\"row\">{printouts}</div></section></body></html>\n"
    )
