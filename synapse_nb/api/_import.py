"""Uploading a raw dataset folder as a new project: meta, datasets, items, collections.

Everything the backend would refuse is checked first (classes, tags, dataset references,
image files), so a bad folder fails before anything is created; if an upload fails
midway, the half-made project is deleted again.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from synapse_nb.api.progress import ProgressBar, progress_bar
from synapse_nb.api.resources.items import ItemEntry
from synapse_nb.errors import InputError
from synapse_nb.formats.problems import SkippedFile
from synapse_nb.formats.raw import RawDataset, RawItem
from synapse_nb.schemas import Project

if TYPE_CHECKING:
    from synapse_nb.api.client import Api

class ImportedProject(Project):
    """The project an import created, and the images it left out (``on_error="skip"``),
    each with its file, why, and the label line or annotation id."""

    skipped: list[SkippedFile] = []


BATCH_ITEMS = 250
UPLOAD_THREADS = 2
BATCH_BYTES = 32 * 1024 * 1024


def image_path(raw: RawDataset, item: RawItem) -> str:
    """The image file of ``item``: its absolute path (readers keep images in place) or below the raw root."""
    if os.path.isabs(item.image):
        return item.image
    try:
        root = raw.root
    except ValueError as exc:
        raise InputError("raw", "a RawDataset on disk (from RawDataset.read or write_manifest) or with absolute image paths", got=item.image) from exc
    return os.path.join(root, item.image)


def check_raw(raw: RawDataset) -> None:
    """Refuse a raw dataset the backend would refuse, naming the first bad item and field."""
    classes = set(raw.class_names())
    tags = {t.name for t in raw.meta.tags}
    datasets = {d.id for d in raw.meta.datasets}
    collections = {c.id for c in raw.meta.collections}
    names: set[tuple[int, str]] = set()
    ids: set[int] = set()
    for index, item in enumerate(raw.items):
        where = f"raw.items[{index}] ({item.name!r})"
        if item.id in ids:
            raise InputError(f"{where}.id", "item ids unique within the raw dataset", got=item.id)
        ids.add(item.id)
        if item.dataset_id not in datasets:
            raise InputError(f"{where}.dataset_id", f"one of the datasets {sorted(datasets)}", got=item.dataset_id)
        if (item.dataset_id, item.name) in names:
            raise InputError(f"{where}.name", "names unique within a dataset", got=item.name)
        names.add((item.dataset_id, item.name))
        if item.name in (".", ".."):
            raise InputError(f"{where}.name", "a file name", got=item.name)
        unknown_tags = [t for t in item.tags if t not in tags]
        if unknown_tags:
            raise InputError(f"{where}.tags", f"tags declared in the meta {sorted(tags)}", got=unknown_tags)
        for obj_index, obj in enumerate(item.objects):
            if obj.class_name not in classes:
                raise InputError(f"{where}.objects[{obj_index}].class_name", f"a class of the meta {sorted(classes)}", got=obj.class_name)
        strangers = [c for c in item.collections if c not in collections]
        if strangers:
            raise InputError(f"{where}.collections", f"collections of the meta {sorted(collections)}", got=strangers)
        if not os.path.isfile(image_path(raw, item)):
            raise InputError(f"{where}.image", "an existing image file", got=image_path(raw, item))


def _batches(raw: RawDataset, items: list[RawItem]) -> Iterator[list[RawItem]]:
    batch: list[RawItem] = []
    size = 0
    for item in items:
        item_size = os.path.getsize(image_path(raw, item))
        if batch and (len(batch) >= BATCH_ITEMS or size + item_size > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item_size
    if batch:
        yield batch


def import_raw(api: Api, raw: RawDataset, name: str | None = None, progress: bool = True) -> Project:
    """Create a project from ``raw`` and upload everything in it; returns the project."""
    check_raw(raw)
    project = api.project.create(name or raw.meta.project_name, classes=raw.meta.classes, tags=raw.meta.tags)
    try:
        _upload(api, project.id, raw, progress)
    except BaseException as exc:
        # Leave no half-imported project behind; if even that fails, say so with the cause.
        try:
            api.project.delete(project.id)
        except Exception as cleanup:  # noqa: BLE001 - reported together with the original error
            exc.add_note(f"project {project.id} was left half-imported: deleting it failed ({cleanup})")
        raise
    return api.project.get(project.id)


def _upload(api: Api, project_id: int, raw: RawDataset, progress: bool) -> None:
    dataset_ids = {ref.id: api.dataset.create(project_id, ref.name).id for ref in raw.meta.datasets}
    item_ids: dict[int, int] = {}
    jobs = [
        (backend_id, batch)
        for raw_dataset_id, backend_id in dataset_ids.items()
        for batch in _batches(raw, [item for item in raw.items if item.dataset_id == raw_dataset_id])
    ]

    def send(backend_id: int, batch: list[RawItem]) -> list[int]:
        entries = [ItemEntry(image=Path(image_path(raw, item)), name=item.name, tags=item.tags, objects=item.objects,
                             source_id=item.source_id) for item in batch]
        return [stored.id for stored in api.item.upload_batch(backend_id, entries)]

    with progress_bar(len(raw.items), f"upload {raw.meta.project_name}", enabled=progress, unit="img") as bar:
        # Two batches in flight: the client reads and hashes the next while the backend
        # stores the last. Each batch's files are read only when it is sent, so memory
        # stays at two batches whatever the project's size.
        with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
            pending: deque[tuple[list[RawItem], Future[list[int]]]] = deque()
            for backend_id, batch in jobs:
                pending.append((batch, pool.submit(send, backend_id, batch)))
                while len(pending) > UPLOAD_THREADS or (pending and pending[0][1].done()):
                    _collect(pending.popleft(), item_ids, bar)
            while pending:
                _collect(pending.popleft(), item_ids, bar)
    for ref in raw.meta.collections:
        members = [item_ids[item.id] for item in raw.items if ref.id in item.collections]
        api.collection.create(project_id, ref.name, members)


def _collect(job: tuple[list[RawItem], Future[list[int]]], item_ids: dict[int, int], bar: ProgressBar) -> None:
    batch, future = job
    item_ids.update(zip((item.id for item in batch), future.result()))
    bar.update(len(batch))
