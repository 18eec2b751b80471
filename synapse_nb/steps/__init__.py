"""Steps of a train action's pipeline, and the built-in ones.

Example:
    >>> from synapse_nb.steps import StepRegistry, ExportDatasetStep, ConvertDatasetStep
    >>> r = StepRegistry(); r.register(ExportDatasetStep()); r.register(ConvertDatasetStep("coco"))
    >>> r.names
    ['export_dataset', 'convert_dataset']
"""

from synapse_nb.steps.base import BaseStep, StepResult
from synapse_nb.steps.benchmark import BenchmarkStep
from synapse_nb.steps.convert import ConvertDatasetStep
from synapse_nb.steps.export import ExportDatasetStep
from synapse_nb.steps.export_model import ExportModelStep
from synapse_nb.steps.orchestrator import run_steps
from synapse_nb.steps.registry import StepRegistry
from synapse_nb.steps.train import TrainStep
from synapse_nb.steps.upload import UploadModelStep

__all__ = [
    "BaseStep",
    "BenchmarkStep",
    "ConvertDatasetStep",
    "ExportDatasetStep",
    "ExportModelStep",
    "StepRegistry",
    "StepResult",
    "TrainStep",
    "UploadModelStep",
    "run_steps",
]
