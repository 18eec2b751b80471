"""Downloading a project as a raw dataset folder, and exporting it as YOLO or COCO.

Images are fetched by content hash only when the folder lacks them: a file already in
``dest`` with the right sha256 is kept, and on the backend's own machine images are copied
from its store (hash-checked) instead of downloaded. Every image is written to a temporary
name and renamed; the manifest is written last, so a folder with a manifest is complete.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from synapse_nb._atomic import atomic_path
from synapse_nb.api.progress import progress_bar
from synapse_nb.errors import BackendError, InputError
from synapse_nb.formats.raw import MANIFEST, RawCollectionRef, RawDataset, RawDatasetRef, RawItem, RawMeta
from synapse_nb.schemas import Item, Project
from synapse_nb.schemas.backend import image_store_path

if TYPE_CHECKING:
    from synapse_nb.api.client import Api

DOWNLOAD_THREADS = 4
SIDES = ("train", "val")


def _file_sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        return None


def _check_classes(project: Project, classes: Iterable[str] | None) -> list[str]:
    names = project.class_names()
    if classes is None:
        return names
    wanted = list(dict.fromkeys(classes))
    unknown = [c for c in wanted if c not in names]
    if unknown or not wanted:
        raise InputError("classes", f"class names of project {project.id} {names}", got=unknown or wanted)
    return wanted


def _select(items: list[Item], item_ids: Iterable[int] | None, split: dict[int, str] | None) -> list[Item]:
    by_id = {item.id: item for item in items}
    chosen = list(by_id) if item_ids is None else [int(i) for i in item_ids]
    unknown = [i for i in chosen if i not in by_id]
    if unknown:
        raise InputError("item_ids", "ids of items of the project", got=unknown[:20])
    if split is not None:
        bad = {k: v for k, v in split.items() if v not in SIDES}
        if bad:
            raise InputError("split", "a mapping item id -> 'train' | 'val'", got=dict(list(bad.items())[:5]))
        strangers = [i for i in split if int(i) not in by_id]
        if strangers:
            raise InputError("split", "keys that are ids of items of the project", got=strangers[:20])
        chosen = [i for i in chosen if i in split]
    return [by_id[i] for i in dict.fromkeys(chosen)]


class _Fetcher:
    """Puts an image at a path: kept if already right, copied from a local store, or downloaded."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.store = api.local_store()

    def place(self, digest: str, target: Path) -> str:
        """Make ``target`` hold the image ``digest``; returns how ('kept', 'copied', 'downloaded')."""
        if _file_sha256(target) == digest:
            return "kept"
        with atomic_path(target, suffix=".part") as tmp:
            how = "downloaded"
            if self.store is not None:
                source = self.store / image_store_path(digest)
                if source.is_file():
                    shutil.copyfile(source, tmp)
                    how = "copied" if _file_sha256(tmp) == digest else "downloaded"
            if how == "downloaded":
                tmp.write_bytes(self.api.item.image_bytes(digest))
        return how


def _remove_stale(dest: Path, keep: set[Path]) -> None:
    """Remove images of an earlier export of this folder that the new one does not have."""
    images = dest / "images"
    if not (dest / MANIFEST).is_file() or not images.is_dir():
        return  # not a folder we wrote: never delete anything in it
    for path in images.rglob("*"):
        if path.is_file() and path not in keep:
            path.unlink()


def download_raw(
    api: Api,
    project_id: int,
    dest: Path,
    classes: list[str] | None = None,
    item_ids: list[int] | None = None,
    split: dict[int, Literal["train", "val"]] | None = None,
    progress: bool = True,
) -> RawDataset:
    """Write (or update) a raw dataset folder of a project at ``dest``; returns it."""
    dest = Path(dest).resolve()
    project = api.project.get(project_id)  # before the items: the version may only be older than them
    names = _check_classes(project, classes)
    items = _select(api.item.all(project_id), item_ids, split)
    datasets = {d.id: d.name for d in api.dataset.list(project_id)}
    collections = [RawCollectionRef(id=c.id, name=c.name) for c in api.collection.summaries(project_id)]
    chosen = set(names)
    raw_items = []
    for item in items:
        for name in (datasets[item.dataset_id], item.name):
            if name in (".", "..") or "/" in name or "\x00" in name:
                raise BackendError(0, f"item {item.id}: the name {name!r} can't be a file name")
        raw_items.append(
            RawItem(
                id=item.id,
                name=item.name,
                dataset_id=item.dataset_id,
                image=f"images/{datasets[item.dataset_id]}/{item.name}",
                width=item.width,
                height=item.height,
                tags=item.tags,
                collections=item.collections,
                objects=[o for o in item.objects if o.class_name in chosen],
                image_hash=item.image_hash,
                split=None if split is None else split[item.id],
                source_id=item.source_id,
            )
        )
    fetcher = _Fetcher(api)
    dest.mkdir(parents=True, exist_ok=True)
    with progress_bar(len(raw_items), f"download {project.name}", enabled=progress, unit="img") as bar:
        with ThreadPoolExecutor(max_workers=DOWNLOAD_THREADS) as pool:
            futures = [pool.submit(fetcher.place, str(r.image_hash), dest / r.image) for r in raw_items]
            for future in futures:
                future.result()
                bar.update(1)
    _remove_stale(dest, {dest / r.image for r in raw_items})
    by_name = {c.name: c for c in project.classes}
    meta = RawMeta(
        project_id=project.id,
        project_name=project.name,
        classes=[by_name[n] for n in names],
        tags=project.tags,
        datasets=[RawDatasetRef(id=i, name=n) for i, n in datasets.items()],
        collections=collections,
        content_version=project.content_version,
    )
    raw = RawDataset(meta=meta, items=raw_items)
    raw.write_manifest(dest)
    return raw


def export(
    api: Api,
    project_id: int,
    fmt: Literal["yolo", "coco"],
    dest: Path,
    split: Any = None,
    classes: list[str] | None = None,
    task: str = "detect",
    progress: bool = True,
) -> Path:
    """Export a project as YOLO (returns dataset.yaml) or COCO (returns annotations.json)."""
    if fmt not in ("yolo", "coco"):
        raise InputError("fmt", "'yolo' or 'coco'", got=fmt)
    dest = Path(dest).resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InputError("dest", "a new or empty folder", got=str(dest))
    assignment: dict[int, Any] | None = None
    if split is None and fmt == "yolo":
        from synapse_nb.splits import RandomSplit

        split = RandomSplit(percent=80, split="train", seed=0)
    if split is not None:
        train, val = split.split(api.item.all(project_id))
        assignment = {i: "train" for i in train} | {i: "val" for i in val}
    dest.parent.mkdir(parents=True, exist_ok=True)
    # The raw folder lives beside dest only while the export is written: the export's images
    # are hard links to its files, so they outlive it.
    raw_dir = Path(tempfile.mkdtemp(prefix=f".{dest.name}.raw-", dir=dest.parent))
    try:
        raw = download_raw(api, project_id, raw_dir, classes=classes, split=assignment, progress=progress)
        if fmt == "yolo":
            from synapse_nb.formats.yolo import write_yolo

            return write_yolo(raw, dest, task=task, classes=classes, link=True)  # type: ignore[arg-type]
        from synapse_nb.formats.coco import write_coco

        return write_coco(raw, dest, classes=classes, link=True)
    finally:
        shutil.rmtree(raw_dir, ignore_errors=True)
