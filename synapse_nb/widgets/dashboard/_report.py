"""What the dashboard shows once a task has ended: the experiment summary, the benchmark
report figures, the tuning result, or why the task failed. Readable text and figures only;
no record is shown as raw JSON.

Example:
    >>> experiment_pairs({"experiment_name": "shapes yolo11n-det", "framework_name": "YOLO",
    ...                   "model_name": "yolo11n-det", "training_duration": 75.0})[:2]
    [('experiment', 'shapes yolo11n-det'), ('model', 'YOLO/yolo11n-det')]
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import plotly.graph_objects as go

from synapse_nb.schemas import TaskRecord, Visualization
from synapse_nb.schemas.experiment import ExperimentInfo
from synapse_nb.widgets._common import esc, kv_html, unwrapped_tables
from synapse_nb.widgets.figures import theme
from synapse_nb.widgets.figures.experiments import format_duration


def _metric_text(value: Any) -> str:
    return theme.format_number(value)


def experiment_pairs(experiment: ExperimentInfo | dict[str, Any]) -> list[tuple[str, str | None]]:
    """The experiment record as (label, text) rows for a key/value summary."""
    info = experiment if isinstance(experiment, ExperimentInfo) else ExperimentInfo.model_validate(experiment)
    sizes = None
    if info.train_size is not None or info.val_size is not None:
        sizes = f"{info.train_size if info.train_size is not None else '?'} train / {info.val_size if info.val_size is not None else '?'} val"
    rows: list[tuple[str, str | None]] = [
        ("experiment", info.experiment_name),
        ("model", f"{info.framework_name}/{info.model_name}"),
        ("task type", info.task_type),
        ("task", str(info.task_id) if info.task_id is not None else None),
        ("images", sizes),
        ("training time", format_duration(info.training_duration) if info.training_duration is not None else None),
        ("device", info.device),
        ("best checkpoint", info.best_checkpoint),
        ("exports", ", ".join(f"{fmt} ({path})" for fmt, path in sorted(info.export.items())) or None),
        ("registered model", f"id {info.model_id}" if info.model_id is not None else None),
    ]
    primary = info.primary_metric
    for name, value in info.evaluation_metrics.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            label = f"{name} (primary)" if name == primary else name
            rows.append((label, _metric_text(value)))
    return rows


def tuning_pairs(result: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The best trial of a finished search as (label, text) rows.

    Example:
        >>> tuning_pairs({"best_trial": {"trial_logdir": "t_1", "config": {"lr0": 0.01}, "metrics": {"mAP50": 0.5}}})
        [('best trial', 't_1'), ('lr0', '0.01'), ('mAP50', '0.5')]
    """
    best = result.get("best_trial") or {}
    if not best:
        return []
    name = best.get("trial_id") or best.get("trial_logdir")
    rows: list[tuple[str, str | None]] = [("best trial", str(name) if name else None)]
    rows += [(str(k), theme.format_number(v)) for k, v in (best.get("config") or {}).items()]
    rows += [(str(k), theme.format_number(v)) for k, v in (best.get("metrics") or {}).items()
             if isinstance(v, (int, float)) and not isinstance(v, bool)]
    models = result.get("trial_models") or []
    if models:
        rows.append(("trial models", str(len(models))))
    return rows


def benchmark_report(record: TaskRecord, visualizations: list[Visualization]) -> dict[str, Any] | None:
    """The full benchmark report of a finished task: the one the run logged as the
    ``benchmark/report`` visualization (the experiment keeps only a summary), else one
    embedded in the experiment record; None when the run has none.

    Example:
        >>> benchmark_report(TaskRecord(id=1, status="finished", created_at="2026-01-01T00:00:00Z"), []) is None
        True
    """
    for viz in reversed(visualizations):
        if viz.category == "benchmark" and viz.key == "report" and "evaluation" in viz.data:
            return viz.data
    experiment = (record.result or {}).get("experiment") or {}
    embedded = (experiment.get("benchmark_report") or {}).get("report")
    return embedded if isinstance(embedded, dict) and "evaluation" in embedded else None


def benchmark_figures(report: dict[str, Any] | None) -> list[go.Figure]:
    """Every section of the benchmark report (box and, for segmentation, mask metrics, the
    matching sections, export checks and, when timed, speed), as the HTML report shows them."""
    data = report
    if not isinstance(data, dict) or "evaluation" not in data:
        return []
    from synapse_nb.benchmark.report import BenchmarkReport
    from synapse_nb.widgets.figures.benchmark import report_figures

    parsed = BenchmarkReport.model_validate(data)
    built = report_figures(parsed)
    if parsed.speed is None:
        built.pop("speed_table", None)
    return list(built.values())


def report_widget(record: TaskRecord, visualizations: list[Visualization] | None = None) -> w.Widget:
    """The section shown when the task has ended (``visualizations``: what the run logged)."""
    parts: list[w.Widget] = []
    if record.status == "failed" and record.error is not None:
        error = record.error
        where = f" in step '{error.step}'" if error.step else ""
        text = f'<div class="snb-error"><b>Task failed{esc(where)}:</b> {esc(error.message)}</div>'
        if error.traceback:
            text += f"<details><summary class='snb-muted'>traceback</summary><pre class='snb-log'>{esc(error.traceback)}</pre></details>"
        parts.append(w.HTML(text))
    elif record.status == "stopped":
        parts.append(w.HTML('<div class="snb-notice">The task was stopped. task.retry() resumes it from its last checkpoint.</div>'))
    result = record.result or {}
    experiment = result.get("experiment")
    if experiment:
        parts.append(w.HTML('<div class="snb-title">Experiment</div>' + kv_html(experiment_pairs(experiment))))
    tuning = tuning_pairs(result)
    if tuning:
        parts.append(w.HTML('<div class="snb-title">Best trial</div>' + kv_html(tuning)))
    figures_built = benchmark_figures(benchmark_report(record, visualizations or []))
    if figures_built:
        parts.append(w.HTML('<div class="snb-title">Benchmark on the val split</div>'))
        parts.extend(go.FigureWidget(unwrapped_tables(fig)) for fig in figures_built)
    box = w.VBox(parts)
    box.add_class("snb-card")
    return box
