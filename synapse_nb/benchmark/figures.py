"""Plotly figures of a benchmark report: per-class AP, PR curves, speed table, metrics summary.

Plain functions of the report, so they work in a notebook, in a saved HTML page and in
tests without a kernel. Each takes a :class:`~synapse_nb.benchmark.report.BenchmarkReport`,
its dict form (``report.model_dump(mode="json")`` or the JSON file's content), or a single
:class:`~synapse_nb.benchmark.coco_eval.EvaluationReport` (shown as the PyTorch model).
When the PyTorch model and its ONNX export were both scored they appear side by side.

Example:
    >>> from synapse_nb.benchmark.figures import metrics_summary
    >>> metrics_summary(report).show()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from synapse_nb.benchmark.coco_eval import EvaluationReport
from synapse_nb.benchmark.report import BenchmarkReport
from synapse_nb.benchmark.speed import SpeedReport
from synapse_nb.errors import InputError

__all__ = ["export_checks", "metrics_summary", "per_class_ap", "pr_curve", "report_figures", "speed_table"]

_LABELS = {"pytorch": "PyTorch", "onnx": "ONNX (onnxruntime)", "onnxruntime": "ONNX (onnxruntime)"}
ReportLike = BenchmarkReport | EvaluationReport | Mapping[str, Any]


def per_class_ap(report: ReportLike) -> go.Figure:
    """Bars of each class's AP (IoU 0.50:0.95), best class first; one bar group per runtime.

    Classes without any object in the val split have no AP and are left out (named in the
    subtitle). Hovering a bar shows AP50 and the object and detection counts.

    Example:
        >>> fig = per_class_ap(report)  # doctest: +SKIP
        >>> [trace.name for trace in fig.data]  # doctest: +SKIP
        ['PyTorch', 'ONNX (onnxruntime)']
    """
    evaluations = _evaluations(report)
    primary = next(iter(evaluations.values()))
    scored = [c for c in primary.per_class if c.ap is not None]
    order = [c.category_id for c in sorted(scored, key=lambda c: (-(c.ap or 0.0), c.class_name))]
    fig = go.Figure()
    for runtime, evaluation in evaluations.items():
        by_id = {c.category_id: c for c in evaluation.per_class}
        rows = [by_id[i] for i in order if i in by_id]
        fig.add_bar(
            name=_LABELS.get(runtime, runtime),
            x=[c.class_name for c in rows],
            y=[c.ap for c in rows],
            customdata=[[c.ap50, c.num_gt, c.num_det] for c in rows],
            hovertemplate="%{x}<br>AP %{y:.3f}<br>AP50 %{customdata[0]:.3f}<br>"
            "objects %{customdata[1]}, detections %{customdata[2]}<extra>%{fullData.name}</extra>",
        )
    missing = [c.class_name for c in primary.per_class if c.ap is None]
    title = "Per-class AP (IoU 0.50:0.95)"
    if missing:
        title += f"<br><sup>no objects in the val split: {', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}</sup>"
    fig.update_layout(title={"text": title}, barmode="group", yaxis={"title": {"text": "AP"}, "range": [0, 1]},
                      xaxis={"title": {"text": "class"}}, legend={"title": {"text": "model"}})
    return _themed(fig)


def pr_curve(report: ReportLike) -> go.Figure:
    """Precision-recall curves at IoU 0.50: each class, and the mean over classes in bold.

    The bold curve is the mean of the per-class curves, so its area is AP50. One panel per
    runtime.

    Example:
        >>> pr_curve(report).layout.xaxis.title.text  # doctest: +SKIP
        'recall'
    """
    evaluations = _evaluations(report)
    titles = [f"{_LABELS.get(r, r)}: AP50 {e.map50:.3f}" for r, e in evaluations.items()]
    fig = make_subplots(rows=1, cols=len(evaluations), subplot_titles=titles, shared_yaxes=True)
    for col, (runtime, evaluation) in enumerate(evaluations.items(), start=1):
        group = _LABELS.get(runtime, runtime)
        for curve in evaluation.pr_curve.per_class:
            fig.add_scatter(
                x=curve.recall, y=curve.precision, mode="lines", name=curve.name, legendgroup=curve.name,
                showlegend=col == 1, line={"width": 1}, opacity=0.6,
                hovertemplate=f"{curve.name}<br>recall %{{x:.2f}}<br>precision %{{y:.3f}}<extra>{group}</extra>",
                row=1, col=col,
            )
        overall = evaluation.pr_curve.overall
        fig.add_scatter(
            x=overall.recall, y=overall.precision, mode="lines", name="all classes", legendgroup="all classes",
            showlegend=col == 1, line={"width": 3, "color": "black"},
            hovertemplate=f"all classes<br>recall %{{x:.2f}}<br>precision %{{y:.3f}}<extra>{group}</extra>",
            row=1, col=col,
        )
        fig.update_xaxes(title_text="recall", range=[0, 1], row=1, col=col)
    fig.update_yaxes(title_text="precision", range=[0, 1.02], row=1, col=1)
    fig.update_layout(title={"text": "Precision-recall at IoU 0.50"})
    return _themed(fig)


def speed_table(report: ReportLike | SpeedReport) -> go.Figure:
    """A table of per-image milliseconds per stage, total and FPS for each runtime and batch size.

    Example:
        >>> speed_table(report).data[0].header.values[:3]  # doctest: +SKIP
        ('runtime', 'device', 'batch size')
    """
    speed = _speed(report)
    header = ["runtime", "device", "batch size", "preprocess ms", "inference ms", "postprocess ms", "total ms", "FPS"]
    if speed is None:
        fig = go.Figure(go.Table(header={"values": header}, cells={"values": [[] for _ in header]}))
        fig.update_layout(title={"text": "Speed test not run"})
        return _themed(fig)
    rows = speed.rows
    columns = [
        [_LABELS.get(r.runtime, r.runtime) for r in rows],
        [r.device for r in rows],
        [r.batch_size for r in rows],
        [f"{r.preprocess_ms:.2f}" for r in rows],
        [f"{r.inference_ms:.2f}" for r in rows],
        [f"{r.postprocess_ms:.2f}" for r in rows],
        [f"{r.total_ms:.2f}" for r in rows],
        [_fmt(r.fps, 1) for r in rows],
    ]
    fig = go.Figure(go.Table(header={"values": header}, cells={"values": columns}))
    fig.update_layout(title={"text": f"Speed per image (median of {speed.runs} runs after {speed.warmup} warm-up calls, "
                                     f"{speed.num_images} val images)"})
    return _themed(fig)


def metrics_summary(report: ReportLike) -> go.Figure:
    """A table of the headline COCO metrics, one column per runtime (and their difference).

    Example:
        >>> metrics_summary(report).data[0].cells.values[0][0]  # doctest: +SKIP
        'mAP 0.50:0.95 (primary)'
    """
    evaluations = _evaluations(report)
    rows: list[tuple[str, str, int]] = [
        ("mAP 0.50:0.95 (primary)", "map", 3), ("AP50", "map50", 3), ("AP75", "map75", 3),
        ("AP small", "map_small", 3), ("AP medium", "map_medium", 3), ("AP large", "map_large", 3),
        ("precision @ best F1", "precision", 3), ("recall @ best F1", "recall", 3), ("F1 (best, IoU 0.50)", "f1", 3),
        ("F1-optimal confidence", "f1_optimal_confidence", 3), ("mean IoU of TPs", "mean_iou", 3),
        ("classification accuracy", "classification_accuracy", 3),
        ("expected calibration error", "ece", 3), ("maximum calibration error", "mce", 3),
    ]
    counts = [("images", "images"), ("ground-truth objects", "gt_objects"), ("detections", "detections")]
    if isinstance(report, BenchmarkReport) and report.segmentation:  # masks beside boxes
        evaluations = {**{f"{k} (boxes)": v for k, v in evaluations.items()},
                       **{f"{k} (masks)": v for k, v in report.segmentation.items()}}
    names = [label for label, _, _ in rows] + [label for label, _ in counts]
    header = ["metric"] + [_label(r) for r in evaluations]
    columns: list[list[Any]] = [names]
    for evaluation in evaluations.values():
        values = [_fmt(getattr(evaluation, key), digits) for _, key, digits in rows]
        values += [str(getattr(evaluation.counts, key)) for _, key in counts]
        columns.append(values)
    if {"pytorch", "onnx"} <= set(evaluations):
        header.append("ONNX − PyTorch")
        base, other = evaluations["pytorch"], evaluations["onnx"]
        diffs = [_diff(getattr(other, key), getattr(base, key)) for _, key, _ in rows[:9]]
        columns.append(diffs + [""] * (len(rows) - len(diffs) + len(counts)))
    fig = go.Figure(go.Table(header={"values": header}, cells={"values": columns}))
    # tall enough for every row: a saved page has no scrolling inside a table
    fig.update_layout(title={"text": "COCO metrics on the val split"}, height=160 + 28 * len(names))
    return _themed(fig)


def export_checks(report: ReportLike) -> go.Figure:
    """Each export's metrics minus PyTorch's on the same split, flagged past the tolerance.

    Example:
        >>> export_checks(report).data[0].header.values[0]  # doctest: +SKIP
        'export'
    """
    checks = report.export_checks if isinstance(report, BenchmarkReport) else []
    header = ["export", "tolerance", "verdict", "mAP", "AP50", "AP75", "precision", "recall", "F1"]
    columns: list[list[Any]] = [[_LABELS.get(c.runtime, c.runtime) for c in checks], [f"{c.tolerance:g}" for c in checks],
                                ["within tolerance" if c.within_tolerance else "DIFFERS" for c in checks]]
    for key in ("map", "map50", "map75", "precision", "recall", "f1"):
        columns.append([f"{c.differences.get(key, 0.0):+.4f}" for c in checks])
    fig = go.Figure(go.Table(header={"values": header}, cells={"values": columns}))
    title = "Exports against PyTorch (same split)" if checks else "No export evaluated"
    fig.update_layout(title={"text": title})
    return _themed(fig)


def report_figures(report: ReportLike) -> dict[str, go.Figure]:
    """Every figure of the benchmark report by id, in reading order (what the HTML page shows).

    Example:
        >>> list(report_figures(report))[:2]  # doctest: +SKIP
        ['metrics_summary', 'per_class_ap']
    """
    from synapse_nb.benchmark import figure_sections as sections

    built = {"metrics_summary": metrics_summary(report), "per_class_ap": per_class_ap(report), "pr_curve": pr_curve(report)}
    if sections.evaluations_of(report):
        for build in sections.SECTION_FIGURES:
            built[build.__name__] = build(report)
    if isinstance(report, BenchmarkReport) and report.export_checks:
        built["export_checks"] = export_checks(report)
    built["speed_table"] = speed_table(report)
    return built


def _label(name: str) -> str:
    base, _, rest = name.partition(" (")
    return _LABELS.get(base, base) + (f" ({rest}" if rest else "")


def _evaluations(report: ReportLike) -> dict[str, EvaluationReport]:
    if isinstance(report, Mapping) and report and all(isinstance(v, EvaluationReport) for v in report.values()):
        return dict(report)  # model name -> evaluation (Compare)
    if isinstance(report, BenchmarkReport):
        return dict(report.evaluation)
    if isinstance(report, EvaluationReport):
        return {"pytorch": report}
    if isinstance(report, Mapping):
        if "evaluation" in report:
            return dict(BenchmarkReport.model_validate(report).evaluation)
        if "map" in report:
            return {"pytorch": EvaluationReport.model_validate(report)}
    raise InputError("report", "a BenchmarkReport, an EvaluationReport or the dict of either", got=type(report).__name__)


def _speed(report: ReportLike | SpeedReport) -> SpeedReport | None:
    if isinstance(report, BenchmarkReport):
        return report.speed
    if isinstance(report, SpeedReport):
        return report
    if isinstance(report, Mapping) and report and all(isinstance(v, EvaluationReport) for v in report.values()):
        return None  # evaluations by model name (Compare): no speed test among them
    if isinstance(report, Mapping):
        if "rows" in report:
            return SpeedReport.model_validate(report)
        if "evaluation" in report:
            return BenchmarkReport.model_validate(report).speed
    if isinstance(report, EvaluationReport):
        return None
    raise InputError("report", "a BenchmarkReport, a SpeedReport or the dict of either", got=type(report).__name__)


def _fmt(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _diff(value: float | None, base: float | None) -> str:
    return "" if value is None or base is None else f"{value - base:+.3f}"


def _themed(fig: go.Figure) -> go.Figure:
    """The project's figure theme (the Plotly template shared with the notebook UI)."""
    from synapse_nb._plotly_theme import apply_theme

    return apply_theme(fig)
