"""``api.item``: images with their annotations.

Uploads send each image once: the client hashes the files, asks the backend which hashes it
lacks, and sends only those; items of images already stored refer to them by hash.
"""

from __future__ import annotations

__all__ = ["ItemEntry", "ItemResource", "MAX_BATCH"]

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synapse_nb._atomic import atomic_write_bytes
from synapse_nb.api.resources._base import Resource
from synapse_nb.errors import BackendError, InputError
from synapse_nb.schemas import Item, LabelObject, Page
from synapse_nb.schemas.backend import ImageHashes, ItemUpload

MAX_BATCH = 1000


class ItemEntry(BaseModel):
    """One item to upload: the image (a path or its bytes), a name, tags and objects."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    image: Path | bytes
    name: str
    tags: list[str] = Field(default_factory=list)
    objects: list[LabelObject] = Field(default_factory=list)
    source_id: int | None = None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _image_data(entry: ItemEntry, index: int) -> bytes:
    if isinstance(entry.image, bytes):
        if not entry.image:
            raise InputError(f"entries[{index}].image", "the bytes of an image file", got=b"")
        return entry.image
    path = Path(entry.image)
    if not path.is_file():
        raise InputError(f"entries[{index}].image", "an existing image file", got=str(path))
    return path.read_bytes()


class ItemResource(Resource):
    """Upload, list, annotate and download items.

    Example:
        >>> item = api.item.upload(dataset.id, Path("cat.jpg"), "cat.jpg", tags=["train"])  # doctest: +SKIP
        >>> api.item.set_annotation(item.id, [LabelObject(class_name="cat", geometry=box)]).objects  # doctest: +SKIP
    """

    def upload(
        self,
        dataset_id: int,
        image: Path | bytes,
        name: str,
        tags: Iterable[str] = (),
        objects: Iterable[LabelObject | dict[str, Any]] = (),
    ) -> Item:
        """Upload one image with its annotation into a dataset."""
        entry = ItemEntry(image=image, name=name, tags=list(tags), objects=list(objects))
        return self.upload_batch(dataset_id, [entry])[0]

    def upload_batch(self, dataset_id: int, entries: Sequence[ItemEntry | dict[str, Any]]) -> list[Item]:
        """Upload many items in one request: all are stored, or none (a BackendError names the bad one)."""
        parsed = [e if isinstance(e, ItemEntry) else ItemEntry.model_validate(e) for e in entries]
        if not parsed:
            return []
        if len(parsed) > MAX_BATCH:
            items: list[Item] = []
            for start in range(0, len(parsed), MAX_BATCH):
                items.extend(self.upload_batch(dataset_id, parsed[start : start + MAX_BATCH]))
            return items
        datas = [_image_data(e, i) for i, e in enumerate(parsed)]
        hashes = [_digest(d) for d in datas]
        missing = set(self.missing_images(hashes))
        files: list[tuple[str, tuple[str, bytes, str]]] = []
        file_of_hash: dict[str, int] = {}
        uploads = []
        for entry, data, digest in zip(parsed, datas, hashes):
            index = None
            if digest in missing:
                if digest not in file_of_hash:
                    file_of_hash[digest] = len(files)
                    files.append(("files", (entry.name, data, "application/octet-stream")))
                index = file_of_hash[digest]
            uploads.append(ItemUpload(name=entry.name, tags=entry.tags, objects=entry.objects, image_hash=digest, file_index=index,
                                      source_id=entry.source_id))
        return self._send(dataset_id, uploads, files)

    def _send(self, dataset_id: int, uploads: list[ItemUpload], files: list[tuple[str, tuple[str, bytes, str]]]) -> list[Item]:
        meta = json.dumps([u.model_dump(mode="json", exclude_none=True) for u in uploads]).encode()
        parts = [("items", ("items.json", meta, "application/json")), *files]
        # Not retried after a 5xx: the batch may have been stored (names are unique, so a
        # resend would be refused anyway).
        data = self._http.json("POST", f"/datasets/{int(dataset_id)}/items", files=parts)
        return [Item.model_validate(d) for d in data]

    def missing_images(self, hashes: Sequence[str]) -> list[str]:
        """Which of these sha256 hashes the backend does not hold yet."""
        found: list[str] = []
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), 10_000):
            body = ImageHashes(hashes=unique[start : start + 10_000])
            data = self._http.json("POST", "/images/missing", json=body.model_dump(), idempotent=True)
            found.extend(ImageHashes.model_validate(data).hashes)
        return found

    def list(self, project_id: int | None = None, dataset_id: int | None = None, offset: int = 0, limit: int = 500) -> Page[Item]:
        """One page of items of a project or dataset."""
        return self._page("/items", Item, {"project_id": project_id, "dataset_id": dataset_id, "offset": offset, "limit": limit})

    def all(self, project_id: int | None = None, dataset_id: int | None = None) -> list[Item]:
        """Every item of a project (or dataset), by id."""
        if project_id is None and dataset_id is None:
            raise InputError("project_id", "a project id (or dataset_id)", got=None)
        return list(self._iter_all("/items", Item, {"project_id": project_id, "dataset_id": dataset_id}, page_size=5000))

    def get(self, id: int) -> Item:
        """One item."""
        return Item.model_validate(self._http.json("GET", f"/items/{int(id)}"))

    def set_annotation(self, item_id: int, objects: Iterable[LabelObject | dict[str, Any]], tags: Iterable[str] | None = None) -> Item:
        """Replace an item's objects (and tags, when given)."""
        body = {
            "objects": [LabelObject.model_validate(o).model_dump(mode="json") for o in objects],
            "tags": None if tags is None else list(tags),
        }
        return Item.model_validate(self._http.json("PUT", f"/items/{int(item_id)}/annotation", json=body))

    def delete(self, id: int) -> None:
        """Delete an item."""
        self._http.request("DELETE", f"/items/{int(id)}")

    def image_bytes(self, item_or_hash: Item | str) -> bytes:
        """The image file of an item (or of an image hash), verified against its sha256."""
        digest = item_or_hash.image_hash if isinstance(item_or_hash, Item) else str(item_or_hash)
        data = self._http.request("GET", f"/images/{digest}").content
        if _digest(data) != digest:
            raise BackendError(0, f"image {digest}: the bytes received have another sha256; try again", "GET", f"/images/{digest}")
        return data

    def download_image(self, item_or_hash: Item | str, dest: Path) -> Path:
        """Write an item's image to ``dest`` (a file path, or a folder: then its name) atomically."""
        dest = Path(dest)
        if dest.is_dir():
            name = item_or_hash.name if isinstance(item_or_hash, Item) else str(item_or_hash)
            dest = dest / name
        return atomic_write_bytes(dest, self.image_bytes(item_or_hash))
