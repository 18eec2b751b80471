"""BaseTrainParams: the parameters every train action accepts.

A plugin extends it with its own fields (``epochs``, ``batch_size``, ...). Values come from
the task: the Synapse payload's params, with the ``hyperparameter`` mapping merged in for
fields the plugin declares, so ``self.params.epochs`` works whichever way the task was sent.

Example:
    >>> class MyParams(BaseTrainParams):
    ...     epochs: int = 10
    >>> MyParams.model_validate({"dataset": 3, "hyperparameter": {"epochs": 2}}).epochs
    2
    >>> MyParams.model_validate({"dataset_id": 3}).dataset
    3
"""

from __future__ import annotations

__all__ = ["BaseTrainParams"]

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class BaseTrainParams(BaseModel):
    """Common fields: where the data comes from, what to start from, and the run's settings."""

    model_config = ConfigDict(extra="allow")

    name: str | None = Field(default=None, description="job / experiment name")
    dataset: int | None = Field(default=None, description="project id to export and train on")
    dataset_id: int | None = Field(default=None, description="the same project id, as the Synapse SDK spells it")
    data_path: str | None = Field(default=None, description="a ready dataset: skips export and conversion")
    checkpoint: int | str | None = Field(default=None, description="model id, 'Framework/name' or a local path")
    splits: dict[str, Any] | None = Field(default=None, description="the train/val split (a TrainValSplit as dict)")
    classes: list[str] | None = None
    hyperparameter: dict[str, Any] = Field(default_factory=dict)
    is_tune: bool = False
    num_cpus: float | None = None
    num_gpus: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _merge_hyperparameter(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        hyper = data.get("hyperparameter") or {}
        if not isinstance(hyper, dict):
            hyper = {}
        merged = dict(data)
        # `dataset` and `dataset_id` name one thing: whichever was given fills the other.
        if merged.get("dataset") is None and merged.get("dataset_id") is not None:
            merged["dataset"] = merged["dataset_id"]
        elif merged.get("dataset_id") is None and merged.get("dataset") is not None:
            merged["dataset_id"] = merged["dataset"]
        for key, value in hyper.items():
            # Only fields the params model declares are lifted; explicit params win.
            if key in cls.model_fields and key not in data:
                merged[key] = value
        return merged
