"""ConvertDatasetStep: the raw dataset folder -> YOLO (dataset.yaml), COCO (annotations.json)
or left raw (None).

Conversions go through the dataset cache: a conversion of the same content (items,
annotations, classes, split, format) is reused, and a changed project is updated
incrementally.

Example:
    >>> ConvertDatasetStep(target_format="yolo").name
    'convert_dataset'
"""

from __future__ import annotations

__all__ = ["ConvertDatasetStep", "FORMATS"]

from pathlib import Path
from typing import Any

from synapse_nb._home import sub_dir
from synapse_nb._locks import file_lock
from synapse_nb.errors import InputError
from synapse_nb.steps.base import BaseStep, StepResult

FORMATS = (None, "yolo", "coco")


def _raw_source(dataset: dict[str, Any]) -> Path | None:
    """The raw folder to convert: ``dataset['path']`` while it is still a raw dataset (a
    preprocessing step between export and convert may point it at its own output, as
    Synapse plugins do), else the exported ``raw_path``.

    Example:
        >>> _raw_source({"raw_path": "/r", "path": "/r", "format": None}).as_posix()
        '/r'
    """
    from synapse_nb.formats.raw import MANIFEST

    path = dataset.get("path")
    if path is not None and dataset.get("format") is None and (Path(path) / MANIFEST).is_file():
        return Path(path)
    raw_path = dataset.get("raw_path")
    return Path(raw_path) if raw_path is not None else None


class ConvertDatasetStep(BaseStep[Any]):
    """Convert the exported raw dataset to ``target_format``."""

    name = "convert_dataset"
    progress_weight = 0.0
    progress_category = "dataset"

    def __init__(self, target_format: str | None = None) -> None:
        if target_format not in FORMATS:
            raise InputError("target_format", f"one of {FORMATS}", got=target_format)
        self.target_format = target_format

    def can_skip(self, context: Any) -> bool:
        return bool(context.params.get("data_path"))

    def execute(self, context: Any) -> StepResult:
        from synapse_nb.formats.cache import DatasetCache
        from synapse_nb.formats.raw import RawDataset

        raw_path = _raw_source(context.dataset)
        if raw_path is None:
            raise InputError("dataset", "an exported dataset (run ExportDatasetStep first)", got=None)
        raw = RawDataset.read(raw_path)
        # What is converted is also what the benchmark evaluates on.
        context.dataset["raw_path"] = raw_path
        task = "segment" if "segmentation" in context.dataset.get("task_type", "") else "detect"
        cached = context.dataset.get("cached", True)
        root = sub_dir("cache", "datasets") if cached else context.work_dir / "dataset" / "converted"
        with file_lock(root / ".convert.lock"):
            data_path = DatasetCache(root).prepare(
                raw, self.target_format, classes=context.dataset.get("classes"), task=task,
                key_extra={"project_id": context.dataset.get("project_id")},
            )
        context.dataset["path"] = Path(data_path)
        context.dataset["format"] = self.target_format
        return StepResult(data={"path": str(data_path), "format": self.target_format})
