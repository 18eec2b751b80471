"""Compare the benchmarks of several models: the same sections side by side, one colour per model.

Reports are read from the model registry (``benchmark/report.json`` of each model). Before
anything is drawn, models scored on different splits or at different IoU thresholds are
named in a warning: their numbers do not compare. Below the charts: the images where the
models disagree (one finds an object another misses or mislabels) and the images every
model gets wrong.

Example:
    >>> import synapse_nb as snb
    >>> snb.widgets.compare(api, [3, 5])  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
from pydantic import BaseModel

from synapse_nb.benchmark.coco_eval import EvaluationReport
from synapse_nb.benchmark.report import BenchmarkReport
from synapse_nb.errors import InputError

__all__ = [
    "Comparison", "REPORT_FILE", "compare", "compare_figures", "comparison_warnings", "disagreements",
    "load_reports",
]

REPORT_FILE = "benchmark/report.json"


class Comparison(BaseModel):
    """The images behind a comparison, by image id (file names where known)."""

    disagree: list[str]
    all_wrong: list[str]


def load_reports(api: Any, model_ids: list[int]) -> dict[str, BenchmarkReport]:
    """Each model's benchmark report, labelled ``'<model name> (model <id>)'``.

    Example:
        >>> list(load_reports(api, [3, 5]))  # doctest: +SKIP
        ['yolo11n-det (model 3)', 'yolov8n-det (model 5)']
    """
    if not isinstance(model_ids, (list, tuple)) or len(model_ids) < 1:
        raise InputError("model_ids", "a list of model ids, e.g. [3, 5]", got=model_ids)
    if len(set(model_ids)) != len(model_ids):
        raise InputError("model_ids", "distinct model ids", got=model_ids)
    reports: dict[str, BenchmarkReport] = {}
    for model_id in model_ids:
        record = api.model.get(int(model_id))
        if not any(f.path == REPORT_FILE for f in record.files):
            raise InputError("model_ids", f"models trained with the benchmark on (model {model_id} has no {REPORT_FILE})",
                             got=model_id)
        report = BenchmarkReport.model_validate(json.loads(api.model.read_bytes(int(model_id), REPORT_FILE)))
        reports[f"{record.model_name or record.name} (model {model_id})"] = report
    return reports


def comparison_warnings(reports: Mapping[str, BenchmarkReport]) -> list[str]:
    """Why numbers of these reports may not compare: different splits or matching IoU.

    Example:
        >>> comparison_warnings({})
        []
    """
    out = []
    prints = {name: r.split_fingerprint for name, r in reports.items()}
    if len(set(prints.values())) > 1 or None in prints.values() and len(prints) > 1:
        groups: dict[str | None, list[str]] = {}
        for name, value in prints.items():
            groups.setdefault(value, []).append(name)
        out.append("The models were scored on different val splits (" +
                   "; ".join(", ".join(names) for names in groups.values()) + "): their numbers do not compare.")
    ious = {name: r.primary.match_iou for name, r in reports.items()}
    if len(set(ious.values())) > 1:
        out.append("The models were matched at different IoU thresholds: " +
                   ", ".join(f"{n}: {v:g}" for n, v in ious.items()))
    return out


def _primary(reports: Mapping[str, BenchmarkReport]) -> dict[str, EvaluationReport]:
    return {name: report.primary for name, report in reports.items()}


def disagreements(reports: Mapping[str, BenchmarkReport]) -> Comparison:
    """Images where the models' per-image outcomes differ, and images every model gets wrong.

    "Wrong" is any FP or FN on the image at the model's F1-optimal confidence.

    Example:
        >>> disagreements({}).all_wrong
        []
    """
    evaluations = _primary(reports)
    per_model = [{str(r.image_id): r for r in (ev.per_image or [])} for ev in evaluations.values()]
    if not per_model:
        return Comparison(disagree=[], all_wrong=[])
    shared = set.intersection(*(set(m) for m in per_model))
    disagree, wrong = [], []
    for image_id in sorted(shared, key=lambda i: (len(i), i)):
        rows = [m[image_id] for m in per_model]
        name = rows[0].file_name or image_id
        if len({(r.tp, r.fp, r.fn) for r in rows}) > 1:
            disagree.append(name)
        if all(r.fp + r.fn > 0 for r in rows):
            wrong.append(name)
    return Comparison(disagree=disagree, all_wrong=wrong)


def compare_figures(reports: Mapping[str, BenchmarkReport]) -> dict[str, go.Figure]:
    """Every benchmark section with the models side by side, one colour per model.

    Example:
        >>> list(compare_figures(reports))[:2]  # doctest: +SKIP
        ['metrics_summary', 'per_class_ap']
    """
    from synapse_nb.widgets.figures import benchmark as figures
    from synapse_nb.widgets.figures import benchmark_sections as sections

    evaluations = _primary(reports)
    built = {"metrics_summary": figures.metrics_summary(evaluations), "per_class_ap": figures.per_class_ap(evaluations),
             "pr_curve": figures.pr_curve(evaluations)}
    if sections.evaluations_of(evaluations):
        for build in sections.SECTION_FIGURES[:-1]:  # the per-image table is one model's: see disagreements
            built[build.__name__] = build(evaluations)
    return built


def compare(api: Any, model_ids: list[int]) -> Any:
    """A notebook view comparing the benchmark of ``model_ids`` (see the module docstring).

    Example:
        >>> view = compare(api, [3, 5])  # doctest: +SKIP
    """
    import html

    import ipywidgets as w

    from synapse_nb.widgets._common import style_html, unwrapped_tables

    reports = load_reports(api, list(model_ids))
    notes = comparison_warnings(reports)
    found = disagreements(reports)
    parts: list[Any] = [w.HTML(style_html()), w.HTML('<div class="snb-title" style="font-size:16px">Compare: '
                                                     + html.escape(", ".join(reports)) + "</div>")]
    parts += [w.HTML(f'<div class="snb-notice">{html.escape(n)}</div>') for n in notes]
    parts += [go.FigureWidget(unwrapped_tables(fig)) for fig in compare_figures(reports).values()]
    listing = "".join(
        f"<p><b>{html.escape(title)}</b> ({len(items)}): {html.escape(', '.join(items[:50])) or '—'}</p>"
        for title, items in (("Images where the models disagree", found.disagree),
                             ("Images every model gets wrong", found.all_wrong)))
    parts.append(w.HTML(listing))
    box = w.VBox(parts)
    box.add_class("snb-root")
    return box
