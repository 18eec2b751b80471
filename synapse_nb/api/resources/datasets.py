"""``api.dataset``: datasets (named groups of items) in a project."""

from __future__ import annotations

__all__ = ["DatasetResource"]

from synapse_nb.api.resources._base import Resource
from synapse_nb.schemas import Dataset, DatasetCreate


class DatasetResource(Resource):
    """Create, list and get datasets.

    Example:
        >>> ds = api.dataset.create(project.id, "train-set")  # doctest: +SKIP
        >>> [d.name for d in api.dataset.list(project.id)]  # doctest: +SKIP
        ['train-set']
    """

    def create(self, project_id: int, name: str) -> Dataset:
        """Create a dataset in a project (names are unique within a project)."""
        body = DatasetCreate(name=name)
        return Dataset.model_validate(self._http.json("POST", f"/projects/{int(project_id)}/datasets", json=body.model_dump()))

    def list(self, project_id: int) -> list[Dataset]:
        """Every dataset of a project, oldest first."""
        return list(self._iter_all(f"/projects/{int(project_id)}/datasets", Dataset))

    def get(self, id: int) -> Dataset:
        """One dataset."""
        return Dataset.model_validate(self._http.json("GET", f"/datasets/{int(id)}"))
