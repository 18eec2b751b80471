"""UploadModelStep: the experiment folder -> one model in the registry.

Layout of a model's file set (documented in the README)::

    checkpoints/        best and last weights (plus a plugin's own weight files)
    export/             best.onnx / best.engine and classes.json
    benchmark/          report.json and report.html
    logs/               the framework's logs (e.g. results.csv)
    experiment_info.json, app_state.json, hyperparameters.yaml, train_val_split.json

Example:
    >>> UploadModelStep().progress_weight
    0.05
"""

from __future__ import annotations

__all__ = ["UploadModelStep", "build_experiment_folder", "experiment_name", "upload_model"]

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

from synapse_nb._atomic import atomic_write_text
from synapse_nb.errors import InputError
from synapse_nb.steps.base import BaseStep, StepResult


def experiment_name(task_id: int | None, project_name: str | None, model_name: str | None) -> str:
    """The default experiment name: "{task_id} {project name} {model name}".

    Example:
        >>> experiment_name(7, "shapes", "yolo11n-det")
        '7 shapes yolo11n-det'
    """
    return " ".join(str(p) for p in (task_id, project_name, model_name) if p) or "experiment"


def _place(src: Path, dest: Path) -> None:
    """Hard-link (or copy) a file into the experiment folder."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        dest.unlink()
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


def _write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, default=str))


def build_experiment_folder(context: Any, weights: Path | None) -> tuple[Path, dict[str, Any]]:
    """Assemble the experiment folder in the run's work dir; return it and the experiment info."""
    exp = context.experiment
    folder = context.work_dir / "experiment"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    checkpoints: list[str] = []
    for src in exp.get("checkpoint_files") or ([str(weights)] if weights and weights.is_file() else []):
        src_path = Path(src)
        rel = f"checkpoints/{src_path.name}"
        _place(src_path, folder / rel)
        checkpoints.append(rel)
    if weights is not None and weights.is_dir():
        for src_path in sorted(p for p in weights.rglob("*") if p.is_file()):
            rel = f"checkpoints/{src_path.relative_to(weights).as_posix()}"
            _place(src_path, folder / rel)
            checkpoints.append(rel)
    best = exp.get("best_checkpoint")
    best_rel = f"checkpoints/{Path(best).name}" if best else (checkpoints[0] if checkpoints else None)
    export: dict[str, str] = {}
    for fmt, src in (exp.get("export_files") or {}).items():
        rel = f"export/{Path(src).name}"
        _place(Path(src), folder / rel)
        export[fmt] = rel
    classes = context.dataset.get("classes")
    if export and classes:
        _write_json(folder / "export" / "classes.json", classes)
    for src in exp.get("log_files", []):
        _place(Path(src), folder / "logs" / Path(src).name)
    report = exp.get("benchmark_report")
    if report:
        for kind, src in (report.get("files") or {}).items():
            _place(Path(src), folder / "benchmark" / Path(src).name)
    state = context.state
    hyper_text = state.hyperparameters if state is not None else None
    if hyper_text is None and state is not None and state.plugin_params:
        # A Synapse plugin reads its settings from its own params (e.g. `epochs`): those are
        # what this run trained with.
        import yaml

        hyper_text = yaml.safe_dump(dict(state.plugin_params), sort_keys=False)
    if exp.get("hyperparameters_yaml"):
        hyper_text = exp["hyperparameters_yaml"]
    (folder / "hyperparameters.yaml").write_text(hyper_text or "", encoding="utf-8")
    if state is not None:
        (folder / "app_state.json").write_text(state.to_json(indent=2), encoding="utf-8")
    split_record = context.dataset.get("split_record")
    if split_record:
        _write_json(folder / "train_val_split.json", split_record)
    model_name = exp.get("model_name") or "custom"
    info = {
        "experiment_name": exp.get("experiment_name") or (state.experiment_name if state else None)
        or experiment_name(context.runtime_ctx.task_id, context.dataset.get("project_name"), model_name),
        "framework_name": exp.get("framework_name") or getattr(context.action, "framework_name", None) or "custom",
        "model_name": model_name,
        "base_checkpoint": exp.get("base_checkpoint"),
        "task_type": context.dataset.get("task_type") or getattr(context.action, "task_type", "object detection"),
        "project_id": context.dataset.get("project_id"),
        "task_id": context.runtime_ctx.task_id,
        "datetime": dt.datetime.now(dt.timezone.utc).isoformat(),
        "checkpoints": checkpoints,
        "best_checkpoint": best_rel,
        "export": export,
        "hyperparameters": hyper_text,
        "train_val_split": split_record.get("split") if split_record else None,
        "evaluation_metrics": exp.get("evaluation_metrics") or {},
        "primary_metric": exp.get("primary_metric"),
        # The benchmark's F1-optimal confidence: the threshold to predict with by default.
        "default_confidence": exp.get("default_confidence"),
        # What training really ran on (the framework's word, e.g. ultralytics' trainer device),
        # else the device the run was given.
        "device": exp.get("device") or context.runtime_ctx.device,
        "training_duration": exp.get("training_duration"),
        "train_size": context.dataset.get("train_size"),
        "val_size": context.dataset.get("val_size"),
    }
    _write_json(folder / "experiment_info.json", info)
    return folder, info


def upload_model(context: Any, path: Path, **kwargs: Any) -> dict[str, Any]:
    """Upload ``path`` (weights file or folder) with the experiment layout; return the record."""
    from synapse_nb.schemas.model import ModelCreate

    path = Path(path)
    if not path.exists():
        raise InputError("path", "an existing weights file or folder to upload", got=str(path))
    folder, info = build_experiment_folder(context, path)
    context.experiment["info"] = info
    state = context.state
    meta = ModelCreate(
        name=kwargs.pop("name", None) or info["experiment_name"],
        framework=kwargs.pop("framework", None) or info["framework_name"],
        model_name=kwargs.pop("model_name", None) or info["model_name"],
        task_type=info["task_type"],
        category="trained",
        task_id=context.runtime_ctx.task_id,
        project_id=info["project_id"],
        trial_id=context.runtime_ctx.trial_id,
        weights=info["best_checkpoint"],
        metrics=kwargs.pop("metrics", None) or info["evaluation_metrics"],
        config=kwargs.pop("config", None) or {"state": json.loads(state.to_json()) if state else None, **kwargs},
    )
    record = context.client.model.create(meta, folder)
    return record.model_dump(mode="json")


class UploadModelStep(BaseStep[Any]):
    """Register the trained model (unless the plugin already did with ``create_model``)."""

    name = "model_upload"
    progress_weight = 0.05
    progress_category = "model_upload"

    def can_skip(self, context: Any) -> bool:
        return context.model is not None

    def execute(self, context: Any) -> StepResult:
        weights = context.model_path
        if weights is None:
            context.run.log("execute() returned no weights_path: no model was uploaded", level="WARNING")
            return StepResult(skipped=True)
        context.model = upload_model(context, Path(weights))
        context.run.log(f"model {context.model['id']} uploaded: {context.model['name']}")
        return StepResult(data={"model_id": context.model["id"]})

    def rollback(self, context: Any, result: StepResult | None) -> None:
        """A step after the upload failed: the run failed, so its model leaves the registry."""
        model_id = (result.data if result is not None else {}).get("model_id")
        if model_id is None:
            return
        context.client.model.delete(model_id)
        context.run.log(f"model {model_id} removed from the registry: a later step failed", level="WARNING")
        if context.model is not None and context.model.get("id") == model_id:
            context.model = None
