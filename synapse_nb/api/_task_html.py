"""A compact HTML summary of a task for notebooks (``Task._repr_html_``).

Example:
    >>> from synapse_nb.schemas.task import TaskRecord
    >>> "queued" in task_html(TaskRecord(id=1, status="queued", created_at="2026-01-01T00:00:00Z"))
    True
"""

from __future__ import annotations

from html import escape
from typing import Any

from synapse_nb.schemas.task import TaskRecord

_COLOURS = {"finished": "#2ca02c", "failed": "#d62728", "stopped": "#7f7f7f", "running": "#1f77b4",
            "stopping": "#ff7f0e", "queued": "#9467bd", "created": "#8c564b"}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return escape(str(value))


def task_html(record: TaskRecord) -> str:
    """Status, progress bars, and (when finished) the experiment summary, as HTML."""
    colour = _COLOURS.get(record.status, "#333")
    parts = [
        "<div style='font-family:var(--jp-ui-font-family,sans-serif);font-size:13px;max-width:720px'>",
        f"<b>Task {record.id}</b> <span style='background:{colour};color:#fff;border-radius:3px;padding:1px 6px'>"
        f"{escape(record.status)}</span>",
    ]
    experiment = (record.result or {}).get("experiment") or {}
    # The default name ("{task id} {project} {model}") is only known once the run made it.
    name = record.experiment_name or experiment.get("experiment_name")
    if name:
        parts.append(f" · {escape(str(name))}")
    rows = [("overall", record.overall_progress)] + [(k, p.fraction) for k, p in record.progress.items()]
    parts.append("<table style='margin-top:4px'>")
    for name, fraction in rows:
        pct = round(fraction * 100)
        parts.append(
            f"<tr><td style='padding-right:8px'>{escape(name.replace('_', ' '))}</td><td style='width:240px'>"
            f"<div style='background:#eee;height:8px;border-radius:4px'><div style='background:{colour};"
            f"width:{pct}%;height:8px;border-radius:4px'></div></div></td><td>{pct}%</td></tr>"
        )
    parts.append("</table>")
    if record.error is not None:
        step = f" in step <b>{escape(record.error.step)}</b>" if record.error.step else ""
        parts.append(f"<div style='color:#d62728'>failed{step}: {escape(record.error.message)}</div>")
    if experiment:
        metrics = experiment.get("evaluation_metrics") or {}
        shown = {k: metrics[k] for k in ("map", "map50", "map75", "precision", "recall") if k in metrics}
        parts.append("<table style='margin-top:4px'>")
        for label, value in (("model", f"{experiment.get('framework_name')}/{experiment.get('model_name')}"),
                             ("model id", experiment.get("model_id")),
                             ("best checkpoint", experiment.get("best_checkpoint")),
                             ("exports", ", ".join((experiment.get("export") or {}).keys()) or "none"),
                             ("train / val", f"{experiment.get('train_size')} / {experiment.get('val_size')}"),
                             ("duration", f"{experiment.get('training_duration') or 0:.0f} s"),
                             *((k, v) for k, v in shown.items())):
            parts.append(f"<tr><td style='padding-right:8px;color:#555'>{escape(label)}</td><td>{_fmt(value)}</td></tr>")
        parts.append("</table>")
    best = (record.result or {}).get("best_trial")
    if best:
        parts.append(f"<div>best trial: {escape(str(best.get('trial_id', '')))} · "
                     f"{escape(', '.join(f'{k}={_fmt(v)}' for k, v in (best.get('config') or {}).items()))}</div>")
    parts.append("</div>")
    return "".join(parts)
