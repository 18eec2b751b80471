"""Models in the registry: a file set (weights, hyperparameters, state, reports, exports)
with the metadata needed to train from it again or deploy it."""

from __future__ import annotations

__all__ = ["ModelCategory", "ModelCreate", "ModelFile", "ModelRecord"]

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from synapse_nb.schemas.common import NAME_PATTERN

ModelCategory = Literal["base", "trained"]


class ModelFile(BaseModel):
    """One file of a model's file set, relative to the model's folder."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, max_length=500)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ModelCreate(BaseModel):
    """What a run sends to register a model (the files are uploaded alongside)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    framework: str = Field(min_length=1, max_length=100)
    model_name: str | None = Field(default=None, description="architecture, e.g. yolo11n-det")
    task_type: str = Field(default="object detection", max_length=100)
    category: ModelCategory = "trained"
    task_id: int | None = None
    project_id: int | None = None
    trial_id: str | None = None
    # Which file is the weights to train or predict from (a path in the file set).
    weights: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)


class ModelRecord(ModelCreate):
    """A model as stored by the backend, with its verified file set."""

    model_config = ConfigDict(extra="ignore")

    id: int
    files: list[ModelFile] = Field(default_factory=list)
    created_at: datetime
