"""Plugins written the way Synapse SDK users write them, for the engine tests.

They live in an importable module (``tests.actions.plugins``) so the agent's Ray worker can
load them by name (``plugin="tests.actions.plugins:TrainAction"``): Ray puts the agent's
working folder (the repository root) on its workers' ``sys.path``.

``TrainAction`` is the SDK's quick start as published (plus the ``autolog`` call of its
complete example, and tiny training settings); the probes look at what the engine hands
``execute`` without training; the step-based plugin builds its own pipeline.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from synapse_nb.actions.train import BaseTrainAction, BaseTrainParams, TrainContext
from synapse_nb.formats.raw import RawDataset
from synapse_nb.steps import BaseStep, ConvertDatasetStep, ExportDatasetStep, StepRegistry, StepResult
from synapse_nb.steps.train import TrainStep
from synapse_nb.steps.upload import UploadModelStep

# Tiny trainings: what the training plugins pass to ultralytics besides epochs.
TINY_TRAIN: dict[str, Any] = {"imgsz": 64, "batch": 8, "workers": 0, "plots": False, "seed": 0, "device": "cpu"}


# -- the Synapse SDK quick start ---------------------------------------------------------------


class TrainParams(BaseTrainParams):
    dataset: int  # Dataset is always from Synapse
    epochs: int = 100


class TrainAction(BaseTrainAction[TrainParams]):
    target_format = "yolo"  # Auto-converts dataset to YOLO format

    def execute(self, data_path: Path, checkpoint: dict | None) -> dict:
        # data_path: resolved path to dataset.yaml
        # checkpoint: resolved checkpoint dict with 'path' and 'category'
        from ultralytics import YOLO

        self.autolog("ultralytics")  # Enable metric logging (before the model exists, as the SDK does)
        model = YOLO(checkpoint["path"] / "best.pt")
        model.train(data=str(data_path), epochs=self.params.epochs, project=str(self.context.work_dir),
                    name="train", exist_ok=True, **TINY_TRAIN)
        return {"weights_path": str(model.trainer.save_dir / "weights")}


# -- probes: what execute() is given (no training) --------------------------------------------------


def jsonable_checkpoint(checkpoint: dict[str, Any] | None) -> dict[str, Any] | None:
    """The checkpoint dict with paths as strings (for the task result)."""
    if checkpoint is None:
        return None
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in checkpoint.items()}


class ProbeParams(BaseTrainParams):
    dataset: int


class RawProbe(BaseTrainAction[ProbeParams]):
    """target_format None: execute() gets the raw dataset folder."""

    target_format = None

    def execute(self, data_path: Path, checkpoint: dict | None) -> dict:
        return {"data_path": str(data_path), "checkpoint": jsonable_checkpoint(checkpoint),
                "dataset": {k: str(v) for k, v in self.context.dataset.items() if k in ("raw_path", "format")}}


class YoloProbe(RawProbe):
    """target_format 'yolo': execute() gets dataset.yaml."""

    target_format = "yolo"


class CocoProbe(RawProbe):
    """target_format 'coco': execute() gets annotations.json."""

    target_format = "coco"


# -- a step-based plugin (setup_steps) ------------------------------------------------------------


class DropClassStep(BaseStep[TrainContext]):
    """Preprocessing written as the SDK documents it: name and weight as properties, reads
    ``context.dataset['path']`` and points it at its own output for the next step."""

    def __init__(self, class_name: str) -> None:
        self.class_name = class_name

    @property
    def name(self) -> str:
        return "preprocess"

    @property
    def progress_weight(self) -> float:
        return 0.1  # 10% of total progress

    def execute(self, context: TrainContext) -> StepResult:
        source = RawDataset.read(Path(context.dataset["path"]))
        out = context.work_dir / "preprocessed"
        if out.exists():
            shutil.rmtree(out)
        for item in source.items:
            item.image = str(source.image_path(item))  # absolute: the images stay where they are
            item.objects = [o for o in item.objects if o.class_name != self.class_name]
        source.write_manifest(out)
        context.dataset["path"] = out
        return StepResult(success=True, data={"path": str(out)})

    def rollback(self, context: TrainContext, result: StepResult | None) -> None:
        shutil.rmtree(result.data["path"] if result else context.work_dir / "preprocessed", ignore_errors=True)
        context.run.log(f"rolled back preprocess: removed {self.class_name}-free copy")


class GateStep(BaseStep[TrainContext]):
    """A check that refuses the run (``StepResult(success=False)``)."""

    name = "quality_gate"
    progress_weight = 0.05

    def execute(self, context: TrainContext) -> StepResult:
        return StepResult(success=False, error="the model is below the quality gate")


class StepParams(BaseTrainParams):
    dataset: int
    # Where the failing gate goes: None (no gate), "before_upload" or "after_upload".
    gate: str | None = None
    upload: bool = True


class LabelCount(BaseModel):
    """The step plugin's typed result."""

    weights_path: str
    class_counts: dict[str, int]
    label_files: int


class StepTrainAction(BaseTrainAction[StepParams]):
    """Export -> drop circles -> convert to YOLO -> 'train' (count labels) [-> gate] -> upload."""

    result_model = LabelCount

    def setup_steps(self, registry: StepRegistry[TrainContext]) -> None:
        registry.register(ExportDatasetStep())
        registry.register(DropClassStep("circle"))
        registry.register(ConvertDatasetStep(target_format="yolo"))
        registry.register(TrainStep())
        if self.params.gate == "before_upload":
            registry.register(GateStep())
        if self.params.upload:
            registry.register(UploadModelStep())
        if self.params.gate == "after_upload":
            registry.register(GateStep())

    def execute(self, data_path: Path, checkpoint: dict | None) -> LabelCount:
        import yaml

        names = yaml.safe_load(data_path.read_text())["names"]
        counts = {name: 0 for name in names.values()}
        files = sorted((data_path.parent / "labels").rglob("*.txt"))
        for label in files:
            for line in label.read_text().splitlines():
                counts[names[int(line.split()[0])]] += 1
        weights = self.context.work_dir / "weights" / "best.pt"
        weights.parent.mkdir(parents=True, exist_ok=True)
        weights.write_text(json.dumps(counts))
        return LabelCount(weights_path=str(weights.parent), class_counts=counts, label_files=len(files))


class TrainOnly(BaseTrainAction[BaseTrainParams]):
    """Only a train step (weight 0.75): the progress bar must still end at 100 %."""

    def setup_steps(self, registry: StepRegistry[TrainContext]) -> None:
        registry.register(TrainStep())

    def execute(self) -> dict:
        for i in range(4):
            self.set_progress(i + 1, 4)
        return {"done": True}


# -- a function plugin -----------------------------------------------------------------------------


def train(run: Any, dataset: dict, hyperparameter: dict, checkpoint: dict | None, **kwargs: Any) -> dict:
    """The SDK's function form: log a curve, write weights, say what it was given."""
    epochs = int(hyperparameter.get("epochs", 3))
    for epoch in range(epochs):
        run.log_metric("train", "loss", 1.0 / (epoch + 1), epoch=epoch)
    run.log(f"function plugin trained {epochs} epochs on {dataset['path']}")
    out = Path(tempfile.mkdtemp(prefix="fn-plugin-")) / "best.pt"
    out.write_text("weights")
    return {"weights_path": str(out), "data_path": str(dataset["path"]), "hyperparameter": hyperparameter,
            "checkpoint": jsonable_checkpoint(checkpoint), "kwargs": sorted(kwargs)}


train.target_format = "yolo"  # type: ignore[attr-defined]
