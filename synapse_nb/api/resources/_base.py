"""What every resource accessor shares: the HTTP layer and reading all pages of a list.

Example:
    >>> from synapse_nb.api.resources._base import ids_param
    >>> ids_param([3, 1])
    [3, 1]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from synapse_nb.schemas import Page

if TYPE_CHECKING:
    from synapse_nb.api._http import Http

M = TypeVar("M", bound=BaseModel)


def ids_param(ids: Any) -> list[int]:
    """A list of ints from any iterable of ids (so tuples, sets and generators all work)."""
    return [int(i) for i in ids]


class Resource:
    """Base of ``api.project``, ``api.item``, ...: holds the HTTP layer."""

    def __init__(self, http: Http) -> None:
        self._http = http

    def _page(self, path: str, model: type[M], params: dict[str, Any]) -> Page[M]:
        data = self._http.json("GET", path, params={k: v for k, v in params.items() if v is not None})
        return Page[model].model_validate(data)  # type: ignore[valid-type]

    def _iter_all(self, path: str, model: type[M], params: dict[str, Any] | None = None, page_size: int = 1000) -> Iterator[M]:
        offset = 0
        while True:
            page = self._page(path, model, {**(params or {}), "offset": offset, "limit": page_size})
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return
