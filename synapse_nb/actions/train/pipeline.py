"""The automatic pipeline of a train action (when ``setup_steps`` registers nothing).

``dataset`` in params -> export -> convert(target_format) -> train (execute) -> export model
(when asked) -> benchmark (when enabled and the action can) -> upload. With ``data_path``
in params, export and conversion are skipped.

Example:
    >>> from synapse_nb.steps.progress import PipelineProgress
    >>> [name for name, _, _ in DEFAULT_WEIGHTS]
    ['export_dataset', 'convert_dataset', 'train', 'export_model', 'benchmark', 'model_upload']
"""

from __future__ import annotations

__all__ = ["DEFAULT_WEIGHTS", "default_registry"]

from typing import Any

from synapse_nb._plugin_check import check_capabilities, requested_exports
from synapse_nb.errors import InputError
from synapse_nb.steps.benchmark import BenchmarkStep
from synapse_nb.steps.convert import ConvertDatasetStep
from synapse_nb.steps.export import ExportDatasetStep, dataset_id_of
from synapse_nb.steps.export_model import ExportModelStep
from synapse_nb.steps.registry import StepRegistry
from synapse_nb.steps.train import TrainStep
from synapse_nb.steps.upload import UploadModelStep

# (step, category, weight): the Synapse proportions (export 0.2, convert 0, train 0.75,
# upload 0.05) plus ours; normalised over the steps present. Weights are fractions, as a
# Synapse plugin's own steps give them ("0.1 = 10 % of the bar"), so built-in and custom
# steps mix on one scale.
DEFAULT_WEIGHTS = [
    ("export_dataset", "dataset", 0.2),
    ("convert_dataset", "dataset", 0.0),
    ("train", "train", 0.75),
    ("export_model", "export", 0.02),
    ("benchmark", "benchmark", 0.05),
    ("model_upload", "model_upload", 0.05),
]


def default_registry(action: Any) -> StepRegistry[Any]:
    """The steps for ``action`` given its params and the task's state."""
    ctx = action.context
    state = ctx.state
    check_capabilities(type(action), state)
    registry: StepRegistry[Any] = StepRegistry()
    has_data_path = bool(ctx.params.get("data_path"))
    if dataset_id_of(ctx.params) and not has_data_path:
        registry.register(ExportDatasetStep())
        registry.register(ConvertDatasetStep(target_format=action.target_format))
    elif not has_data_path and action.execute_takes_data():
        raise InputError("dataset", "a project id (dataset) or a data_path to train on", got=None)
    registry.register(TrainStep())
    exports = requested_exports(state)
    if exports:
        registry.register(ExportModelStep(exports))
    if state is not None and state.enable_benchmark:
        if action.supports("benchmark"):
            registry.register(BenchmarkStep(speedtest=state.enable_speedtest))
        else:
            action.runtime.run.log(f"{type(action).__name__} has no benchmark: evaluation skipped", level="WARNING")
    registry.register(UploadModelStep())
    return registry
