"""Plotly figures of the benchmark's matching sections: where a model fails, and why.

Each function takes what :mod:`.benchmark`'s figures take (a BenchmarkReport, its dict, an
EvaluationReport) or a mapping of model names to EvaluationReports (to compare models):
one panel per evaluation, side by side, one colour per model. Clickable traces carry in
``customdata`` the key the notebook's gallery filters on (class names, image ids).

Example:
    >>> from synapse_nb.benchmark.figure_sections import confusion_matrix
    >>> confusion_matrix(report).data[0].type  # doctest: +SKIP
    'heatmap'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from synapse_nb.benchmark.coco_eval import EvaluationReport
from synapse_nb.benchmark.figures import _LABELS, ReportLike, _evaluations, _fmt, _themed

__all__ = [
    "SECTION_FIGURES", "confidence_profile", "confusion_matrix", "evaluations_of", "iou_histogram",
    "most_confused", "outcomes", "per_image_table", "reliability_diagram", "sort_rows",
]

Evaluations = dict[str, EvaluationReport]
_OUTCOME_COLORS = {"TP": "#2ca02c", "FP": "#d62728", "FN": "#ff7f0e"}


def evaluations_of(report: ReportLike | Mapping[str, EvaluationReport]) -> Evaluations:
    """Name -> evaluation, with the sections present (older reports lack them: left out).

    Example:
        >>> evaluations_of({"model 1": report_1, "model 2": report_2})  # doctest: +SKIP
    """
    if isinstance(report, Mapping) and report and all(isinstance(v, EvaluationReport) for v in report.values()):
        named = dict(report)
    else:
        named = {_LABELS.get(k, k): v for k, v in _evaluations(report).items()}  # type: ignore[arg-type]
    return {name: ev for name, ev in named.items() if ev.outcomes is not None}


def _panels(evaluations: Evaluations, title: str, rows: int = 1, **kwargs: Any) -> go.Figure:
    titles = list(evaluations) if rows == 1 else [f"{n}" for n in evaluations] * rows
    fig = make_subplots(rows=rows, cols=max(1, len(evaluations)), subplot_titles=titles or None, **kwargs)
    fig.update_layout(title={"text": title})
    return fig


def _color(index: int) -> str:
    from synapse_nb._plotly_theme import template

    colours = tuple(template().layout.colorway)
    return colours[index % len(colours)]


def outcomes(report: ReportLike | Mapping[str, EvaluationReport]) -> go.Figure:
    """TP, FP and FN per class at the F1-optimal confidence, stacked; one panel per model.

    A bar's ``customdata`` is ``[class name, outcome]`` (what a click filters the gallery by).

    Example:
        >>> [t.name for t in outcomes(report).data]  # doctest: +SKIP
        ['TP', 'FP', 'FN']
    """
    evaluations = evaluations_of(report)
    fig = _panels(evaluations, "Outcomes per class at the F1-optimal confidence (IoU 0.50)")
    for col, (name, ev) in enumerate(evaluations.items(), start=1):
        assert ev.outcomes is not None
        classes = [c.class_name for c in ev.outcomes.per_class]
        for kind in ("TP", "FP", "FN"):
            values = [getattr(c, kind.lower()) for c in ev.outcomes.per_class]
            fig.add_bar(x=classes, y=values, name=kind, legendgroup=kind, showlegend=col == 1,
                        marker_color=_OUTCOME_COLORS[kind], customdata=[[c, kind] for c in classes],
                        hovertemplate=f"%{{x}}: %{{y}} {kind}<extra>{name}</extra>", row=1, col=col)
    fig.update_layout(barmode="stack")
    return _themed(fig)


def confusion_matrix(report: ReportLike | Mapping[str, EvaluationReport]) -> go.Figure:
    """Heatmap of actual (rows) against predicted (columns) classes, background last.

    Example:
        >>> confusion_matrix(report).data[0].y[-1]  # doctest: +SKIP
        '(background)'
    """
    evaluations = evaluations_of(report)
    fig = _panels(evaluations, "Confusion matrix at the F1-optimal confidence (rows: actual, columns: predicted)")
    for col, (name, ev) in enumerate(evaluations.items(), start=1):
        matrix = ev.confusion_matrix
        assert matrix is not None
        accuracy = _fmt(matrix.classification_accuracy, 3)
        fig.add_heatmap(
            z=matrix.counts, x=matrix.classes, y=matrix.classes, colorscale="Blues", showscale=False,
            text=[[str(v) for v in row] for row in matrix.counts], texttemplate="%{text}",
            hovertemplate=f"actual %{{y}}<br>predicted %{{x}}<br>%{{z}} objects<extra>{name}, "
                          f"classification accuracy {accuracy}</extra>",
            row=1, col=col)
        fig.update_yaxes(autorange="reversed", title_text="actual" if col == 1 else None, row=1, col=col)
        fig.update_xaxes(title_text="predicted", row=1, col=col)
    return _themed(fig)


def most_confused(report: ReportLike | Mapping[str, EvaluationReport]) -> go.Figure:
    """The class pairs confused most often (actual -> predicted), as horizontal bars.

    Example:
        >>> most_confused(report).data[0].orientation  # doctest: +SKIP
        'h'
    """
    evaluations = evaluations_of(report)
    fig = _panels(evaluations, "Most confused class pairs (actual → predicted)")
    for col, (name, ev) in enumerate(evaluations.items(), start=1):
        assert ev.confusion_matrix is not None
        pairs = ev.confusion_matrix.most_confused
        fig.add_bar(x=[p.count for p in pairs], y=[f"{p.actual} → {p.predicted}" for p in pairs], orientation="h",
                    name=name, marker_color=_color(col - 1), customdata=[[p.actual, p.predicted] for p in pairs],
                    hovertemplate="%{y}: %{x}<extra>" + name + "</extra>", showlegend=False, row=1, col=col)
        fig.update_yaxes(autorange="reversed", row=1, col=col)
        if not pairs:
            fig.add_annotation(text="no object was given another class", showarrow=False, xref="x domain",
                               yref="y domain", x=0.5, y=0.5, row=1, col=col)
    return _themed(fig)


def iou_histogram(report: ReportLike | Mapping[str, EvaluationReport]) -> go.Figure:
    """Localization accuracy: the IoU histogram of the true positives, mean IoU in the title.

    Example:
        >>> iou_histogram(report).layout.xaxis.title.text  # doctest: +SKIP
        'IoU with the object'
    """
    evaluations = evaluations_of(report)
    means = ", ".join(f"{n}: {_fmt(ev.mean_iou, 3)}" for n, ev in evaluations.items())
    fig = _panels(evaluations, f"Localization: IoU of true positives (mean {means})")
    for col, (name, ev) in enumerate(evaluations.items(), start=1):
        assert ev.localization is not None
        hist = ev.localization.histogram
        centres = [(a + b) / 2 for a, b in zip(hist.edges[:-1], hist.edges[1:], strict=True)]
        fig.add_bar(x=centres, y=hist.counts, width=hist.edges[1] - hist.edges[0], name=name, showlegend=False,
                    marker_color=_color(col - 1), hovertemplate="IoU %{x:.3f}: %{y}<extra>" + name + "</extra>",
                    row=1, col=col)
        fig.update_xaxes(title_text="IoU with the object", range=[hist.edges[0], 1.0], row=1, col=col)
    return _themed(fig)


def reliability_diagram(report: ReportLike | Mapping[str, EvaluationReport]) -> go.Figure:
    """Share of true positives against mean confidence per bin; the diagonal is perfect calibration.

    Example:
        >>> reliability_diagram(report).data[-1].name  # doctest: +SKIP
        'perfectly calibrated'
    """
    evaluations = evaluations_of(report)
    scores = ", ".join(f"{n}: ECE {_fmt(ev.ece, 3)}, MCE {_fmt(ev.mce, 3)}" for n, ev in evaluations.items())
    fig = _panels(evaluations, f"Reliability diagram ({scores})")
    for col, (name, ev) in enumerate(evaluations.items(), start=1):
        assert ev.calibration is not None
        bins = [b for b in ev.calibration.bins if b.count]
        fig.add_bar(x=[(b.lower + b.upper) / 2 for b in bins], y=[b.accuracy for b in bins], width=0.09, name=name,
                    marker_color=_color(col - 1), showlegend=False, customdata=[[b.count, b.mean_confidence] for b in bins],
                    hovertemplate="confidence %{customdata[1]:.3f}<br>true positives %{y:.1%}<br>"
                                  "%{customdata[0]} detections<extra>" + name + "</extra>", row=1, col=col)
        fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dash", "color": "grey"},
                        name="perfectly calibrated", showlegend=col == 1, row=1, col=col)
        fig.update_xaxes(title_text="confidence", range=[0, 1], row=1, col=col)
        fig.update_yaxes(title_text="share of true positives" if col == 1 else None, range=[0, 1], row=1, col=col)
    return _themed(fig)


def confidence_profile(report: ReportLike | Mapping[str, EvaluationReport]) -> go.Figure:
    """Precision, recall and F1 against the confidence threshold (optimum marked), and below
    them the confidence histograms of true and false positives.

    Example:
        >>> [t.name for t in confidence_profile(report).data][:3]  # doctest: +SKIP
        ['precision', 'recall', 'F1']
    """
    evaluations = evaluations_of(report)
    fig = _panels(evaluations, "Confidence profile", rows=2, vertical_spacing=0.15)
    styles = {"precision": "#1f77b4", "recall": "#ff7f0e", "F1": "#2ca02c"}
    for col, (name, ev) in enumerate(evaluations.items(), start=1):
        profile = ev.confidence_profile
        assert profile is not None
        for label, values in (("precision", profile.precision), ("recall", profile.recall), ("F1", profile.f1)):
            fig.add_scatter(x=profile.thresholds, y=values, mode="lines", name=label, legendgroup=label,
                            line={"color": styles[label]}, showlegend=col == 1,
                            hovertemplate=f"threshold %{{x:.2f}}: {label} %{{y:.3f}}<extra>{name}</extra>", row=1, col=col)
        if profile.optimum is not None:
            fig.add_vline(x=profile.optimum, line_dash="dot", row=1, col=col,
                          annotation_text=f"F1-optimal {profile.optimum:.3f}")
        for label, hist, colour in (("TP confidence", profile.tp_confidence, _OUTCOME_COLORS["TP"]),
                                    ("FP confidence", profile.fp_confidence, _OUTCOME_COLORS["FP"])):
            centres = [(a + b) / 2 for a, b in zip(hist.edges[:-1], hist.edges[1:], strict=True)]
            fig.add_bar(x=centres, y=hist.counts, name=label, legendgroup=label, marker_color=colour, opacity=0.7,
                        width=hist.edges[1] - hist.edges[0], showlegend=col == 1, row=2, col=col)
        fig.update_xaxes(title_text="confidence threshold", range=[0, 1], row=1, col=col)
        fig.update_xaxes(title_text="confidence", range=[0, 1], row=2, col=col)
    fig.update_layout(barmode="overlay", height=650)
    return _themed(fig)


def per_image_table(report: ReportLike | Mapping[str, EvaluationReport], sort_by: str = "errors",
                    limit: int = 200) -> go.Figure:
    """The per-image TP, FP, FN, precision and recall, worst first (``sort_by``: a column name,
    'errors' = FP + FN); the first model's table when several are given.

    Example:
        >>> per_image_table(report, sort_by="recall").data[0].header.values[0]  # doctest: +SKIP
        'image'
    """
    evaluations = evaluations_of(report)
    header = ["image", "TP", "FP", "FN", "precision", "recall"]
    if not evaluations:
        return _themed(go.Figure(go.Table(header={"values": header}, cells={"values": [[] for _ in header]})))
    name, ev = next(iter(evaluations.items()))
    rows = sort_rows(ev, sort_by)[:limit]
    columns = [[r.file_name or str(r.image_id) for r in rows], [r.tp for r in rows], [r.fp for r in rows],
               [r.fn for r in rows], [_fmt(r.precision, 3) for r in rows], [_fmt(r.recall, 3) for r in rows]]
    fig = go.Figure(go.Table(header={"values": header}, cells={"values": columns}))
    fig.update_layout(title={"text": f"Per image ({name}, {len(ev.per_image or [])} images, sorted by {sort_by})"})
    return _themed(fig)


def sort_rows(evaluation: EvaluationReport, sort_by: str = "errors") -> list[Any]:
    """The per-image rows, worst first by ``sort_by`` ('errors', 'tp', 'fp', 'fn', 'precision', 'recall').

    Example:
        >>> [r.image_id for r in sort_rows(report, "fn")][:1]  # doctest: +SKIP
        [3]
    """
    rows = list(evaluation.per_image or [])
    if sort_by == "errors":
        return sorted(rows, key=lambda r: (-(r.fp + r.fn), r.tp, str(r.image_id)))
    if sort_by in ("tp", "fp", "fn"):
        return sorted(rows, key=lambda r: (-getattr(r, sort_by), str(r.image_id)))
    if sort_by in ("precision", "recall"):
        # lowest first; an undefined value (nothing to count) is not a failure: last
        return sorted(rows, key=lambda r: (getattr(r, sort_by) is None, getattr(r, sort_by) or 0.0, str(r.image_id)))
    from synapse_nb.errors import InputError

    raise InputError("sort_by", "'errors', 'tp', 'fp', 'fn', 'precision' or 'recall'", got=sort_by)


SECTION_FIGURES = (outcomes, confusion_matrix, most_confused, iou_histogram, reliability_diagram, confidence_profile,
                   per_image_table)
