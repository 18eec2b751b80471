"""``api.collection``: named sets of items of a project (used by CollectionsSplit)."""

from __future__ import annotations

__all__ = ["CollectionResource"]

from collections.abc import Iterable

from synapse_nb.api.resources._base import Resource, ids_param
from synapse_nb.schemas import Collection, CollectionCreate, CollectionSummary


class CollectionResource(Resource):
    """Create, list and edit collections.

    Example:
        >>> c = api.collection.create(project.id, "hard-cases", [1, 2, 3])  # doctest: +SKIP
        >>> api.collection.remove_items(c.id, [2]).item_ids  # doctest: +SKIP
        [1, 3]
    """

    def create(self, project_id: int, name: str, item_ids: Iterable[int] = ()) -> Collection:
        """Create a collection of items of the project."""
        body = CollectionCreate(name=name, item_ids=ids_param(item_ids))
        return Collection.model_validate(self._http.json("POST", f"/projects/{int(project_id)}/collections", json=body.model_dump()))

    def list(self, project_id: int) -> list[Collection]:
        """Every collection of a project, with its item ids."""
        return list(self._iter_all(f"/projects/{int(project_id)}/collections", Collection, page_size=1000))

    def summaries(self, project_id: int) -> list[CollectionSummary]:
        """Every collection of a project with its size but not its item ids (as cheap at a
        million items as at ten).

        Example:
            >>> [(c.name, c.item_count) for c in api.collection.summaries(project.id)]  # doctest: +SKIP
            [('hard', 12), ('night', 40)]
        """
        return list(self._iter_all(f"/projects/{int(project_id)}/collections/summary", CollectionSummary,
                                   page_size=1000))

    def get(self, id: int) -> Collection:
        """One collection."""
        return Collection.model_validate(self._http.json("GET", f"/collections/{int(id)}"))

    def add_items(self, id: int, item_ids: Iterable[int]) -> Collection:
        """Add items to a collection (ones already in it stay once)."""
        data = self._http.json("POST", f"/collections/{int(id)}/items", json={"item_ids": ids_param(item_ids)}, idempotent=True)
        return Collection.model_validate(data)

    def remove_items(self, id: int, item_ids: Iterable[int]) -> Collection:
        """Remove items from a collection."""
        data = self._http.json("POST", f"/collections/{int(id)}/items/remove", json={"item_ids": ids_param(item_ids)}, idempotent=True)
        return Collection.model_validate(data)

    def delete(self, id: int) -> None:
        """Delete a collection (its items stay)."""
        self._http.request("DELETE", f"/collections/{int(id)}")
