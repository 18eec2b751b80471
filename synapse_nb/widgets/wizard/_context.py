"""WizardContext: what the steps share — the client, the picked project's data, the picked model.

Steps read earlier steps' choices from here (the classes step needs the model's task type,
the hyperparameters step its framework); the backend is asked once per project.

Example:
    >>> ModelChoice(ref="YOLO/yolo11n-det", framework="YOLO", name="yolo11n-det",
    ...             task_type="object detection").label
    'YOLO/yolo11n-det'
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from synapse_nb.widgets.wizard._data import FIRST_ITEMS, ProjectData, class_stats_of


class ModelChoice(BaseModel):
    """The model picked in step 2: a pretrained "Framework/name" or a registry model id."""

    model_config = ConfigDict(frozen=True)

    ref: str | int
    framework: str
    name: str
    task_type: str

    @property
    def label(self) -> str:
        """How the model is named in summaries."""
        return self.ref if isinstance(self.ref, str) else f"model {self.ref} ({self.framework}/{self.name})"


class WizardContext:
    """Shared facts of one wizard: ``api``, the project's data, the chosen model."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.project: ProjectData | None = None
        self.model: ModelChoice | None = None
        # The classes ticked in step 3 (None before it has shown its list).
        self.classes: list[str] | None = None
        self._cache: dict[tuple[int, int], ProjectData] = {}

    def load_project(self, project_id: int) -> ProjectData:
        """Fetch a project's counts, first items, datasets and collections (cached while it is
        unchanged). The counts are the backend's, so this costs the same at any project size."""
        stats = self.api.project.stats(project_id)
        key = (project_id, stats.content_version)
        data = self._cache.get(key)
        if data is None:
            data = ProjectData(
                project=self.api.project.get(project_id),
                stats=stats,
                items=list(self.api.item.list(project_id=project_id, limit=FIRST_ITEMS).items),
                datasets=self.api.dataset.list(project_id),
                collections=self.api.collection.summaries(project_id),
            )
            self._cache[key] = data
        return data

    def class_stats(self) -> list[Any]:
        """Per-class counts of the picked project ([] before one is picked)."""
        if self.project is None:
            return []
        return class_stats_of(self.project.project, self.project.stats)

    def split_counts(self, split: Any) -> tuple[int, int]:
        """``(n_train, n_val)`` of ``split`` on the picked project, counted by the backend
        (raises the split's own InputError)."""
        if self.project is None:
            from synapse_nb.errors import InputError

            raise InputError("project_id", "a project picked in step 1")
        return self.api.project.split_counts(self.project.project.id, split)

    def split_class_counts(self, split: Any) -> Any:
        """Objects of each class on each side of ``split`` on the picked project, counted by
        the backend (:class:`~synapse_nb.schemas.stats.SplitClassCounts`)."""
        if self.project is None:
            from synapse_nb.errors import InputError

            raise InputError("project_id", "a project picked in step 1")
        return self.api.project.split_class_counts(self.project.project.id, split)

    def framework(self) -> Any:
        """The framework of the picked model (None before one is picked)."""
        if self.model is None:
            return None
        from synapse_nb.frameworks import get_framework

        return get_framework(self.model.framework)
