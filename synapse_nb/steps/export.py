"""ExportDatasetStep: the project (its classes, its split) -> a raw dataset folder on the agent.

It honours the class filter (unknown classes were already reported before the task
started), converts shapes to what the model learns (polygon/bitmap -> box for detection)
when ``convert_class_shapes`` is on — regardless of the benchmark switch — and records the
train/val split with item ids AND file names.

Example:
    >>> ExportDatasetStep().name, ExportDatasetStep().progress_weight
    ('export_dataset', 0.2)
"""

from __future__ import annotations

__all__ = ["ExportDatasetStep", "dataset_id_of", "project_cache_dir", "resolve_classes", "resolve_split"]

import hashlib
import json
from pathlib import Path
from typing import Any

from synapse_nb._home import sub_dir
from synapse_nb._locks import file_lock
from synapse_nb.errors import InputError
from synapse_nb.steps.base import BaseStep, StepResult


def project_cache_dir(api_url: str, project_id: int) -> Path:
    """Where a project's raw export is cached on this machine (one folder per backend)."""
    backend = hashlib.sha256(api_url.encode()).hexdigest()[:12]
    return sub_dir("cache", "projects", backend, str(project_id))


def dataset_id_of(params: dict[str, Any]) -> int | None:
    """The project id a run trains on: ``dataset`` or its Synapse spelling ``dataset_id``.

    Example:
        >>> dataset_id_of({"dataset_id": 4}), dataset_id_of({"dataset": 5, "dataset_id": None})
        (4, 5)
    """
    value = params.get("dataset")
    return value if value is not None else params.get("dataset_id")


def resolve_split(context: Any) -> Any:
    """The TrainValSplit of the task (state, then params['splits'], else the default)."""
    from pydantic import TypeAdapter

    from synapse_nb.splits import RandomSplit, TrainValSplit

    state = context.state
    if state is not None:
        return state.train_val_split
    raw = context.params.get("splits") or context.params.get("train_val_split")
    if raw:
        return TypeAdapter(TrainValSplit).validate_python(raw)
    return RandomSplit()


def resolve_classes(project_classes: list[str], wanted: list[str] | None, log: Any = None) -> list[str]:
    """The classes to train on: ``wanted`` filtered to the project's (unknown ones dropped
    with a warning, as users expect), or all. None left is an error naming the field."""
    if not wanted:
        if not project_classes:
            raise InputError("classes", "a project with at least one class", got=[])
        return list(project_classes)
    unknown = [c for c in wanted if c not in project_classes]
    kept = [c for c in wanted if c in project_classes]
    if unknown and log is not None:
        log(f"classes not in the project, ignored: {unknown}", "WARNING")
    if not kept:
        raise InputError("classes", f"at least one of the project's classes {project_classes}", got=wanted)
    return kept


class ExportDatasetStep(BaseStep[Any]):
    """Download the project's items of the split into a raw dataset folder."""

    name = "export_dataset"
    progress_weight = 0.2
    progress_category = "dataset"

    def __init__(self, project_id: int | None = None) -> None:
        # None: the run's project (params ``dataset`` / ``dataset_id``).
        self.project_id = project_id

    def can_skip(self, context: Any) -> bool:
        return self.project_id is None and bool(context.params.get("data_path"))

    def execute(self, context: Any) -> StepResult:
        from synapse_nb.formats.shapes import convert_objects

        project_id = self.project_id or dataset_id_of(context.params)
        if not project_id:
            raise InputError("dataset", "a project id to export (or data_path for a ready dataset)", got=project_id)
        api = context.client
        run = context.run
        state = context.state
        project = api.project.get(project_id)
        classes = resolve_classes(project.class_names(), context.params.get("classes"), run.log)
        items = api.item.all(project_id)
        split = resolve_split(context)
        train_ids, val_ids = split.split(items)
        assignment = {i: "train" for i in train_ids} | {i: "val" for i in val_ids}
        context.set_progress(1, 10)

        cache = state is None or state.cache_project
        dest = project_cache_dir(api.url, project_id) / "raw" if cache else context.work_dir / "dataset" / "raw"
        with file_lock(dest.parent / ".export.lock"):
            raw = api.project.download_raw(project_id, dest, classes=classes, item_ids=sorted(assignment),
                                           split=assignment, progress=False)
            context.set_progress(8, 10)
            task_type = getattr(getattr(context, "action", None), "task_type", None) or context.params.get(
                "task_type", "object detection")
            convert = state.convert_class_shapes if state is not None else True
            converted_classes: set[str] = set()
            class_metas = [c for c in raw.meta.classes if c.name in classes]
            for item in raw.items:
                item.objects, changed = convert_objects(item.objects, class_metas, _task(task_type), convert)
                converted_classes.update(changed)
            raw.write_manifest()
            if cache:
                # Others rewrite the project's cached folder: this run reads its own linked copy.
                raw = raw.linked_copy(context.work_dir / "dataset" / "raw")
        if converted_classes:
            run.log(f"converted shapes of classes {sorted(converted_classes)} for {task_type}")
        by_id = {item.id: item for item in raw.items}
        names = {side: [f"{raw.dataset_name(by_id[i].dataset_id)}/{by_id[i].name}" for i in ids if i in by_id]
                 for side, ids in (("train", train_ids), ("val", val_ids))}
        split_record = {"split": json.loads(split.model_dump_json()), "train": train_ids, "val": val_ids,
                        "train_names": names["train"], "val_names": names["val"]}
        context.dataset = {
            "project_id": project_id,
            "project_name": project.name,
            "raw_path": raw.root,
            "path": raw.root,
            "format": None,
            "classes": classes,
            "train_ids": train_ids,
            "val_ids": val_ids,
            "train_size": len(train_ids),
            "val_size": len(val_ids),
            "split_record": split_record,
            "task_type": task_type,
            "cached": cache,
        }
        return StepResult(data={"train_size": len(train_ids), "val_size": len(val_ids), "classes": classes})


def _task(task_type: str) -> str:
    return "segmentation" if "segmentation" in task_type else "detection"
