"""The dataset cache: converted datasets kept between runs and updated item by item.

A project trained again with the same classes, split, format and task reuses its
converted folder: when nothing changed, ``prepare`` reads one manifest and returns. When
some items changed, were added or removed, only their image and label files are
rewritten or removed. Each cache entry lives in ``<root>/<key>/``::

    manifest.json    what every file was made from (per item: image and annotation hashes)
    data/            the converted dataset (dataset.yaml or annotations.json and images)

Crash safety: before touching files, the manifest records which items are about to
change (``pending``); the next ``prepare`` finds them, deletes their possibly half-written
files and writes them again. Manifests, YAML and JSON are written to a temporary name and
renamed. A file lock keeps two processes from updating one entry at once.

Example:
    >>> cache = DatasetCache(Path("/tmp/snb-cache"))  # doctest: +SKIP
    >>> cache.prepare(raw, "yolo", classes=None, task="detect", key_extra={"split": "tags"})  # doctest: +SKIP
    PosixPath('/tmp/snb-cache/5f0c.../data/dataset.yaml')
"""

from __future__ import annotations

__all__ = ["CacheEntry", "CacheManifest", "DatasetCache", "MANIFEST", "TargetFormat", "clear_cache"]

import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from synapse_nb._atomic import atomic_write_text
from synapse_nb._home import sub_dir
from synapse_nb._locks import file_lock
from synapse_nb.errors import InputError
from synapse_nb.formats._checks import check_names, check_objects, resolve_classes, source_paths
from synapse_nb.formats._files import Linker
from synapse_nb.formats.coco import ANNOTATIONS, coco_documents
from synapse_nb.formats.raw import RawDataset, RawItem
from synapse_nb.formats.yolo import DATA_YAML, check_yolo_export, yolo_item_files, yolo_yaml_text

TargetFormat = Literal["yolo", "coco"]
MANIFEST = "manifest.json"
_VERSION = 1
# What of an item its converted files depend on (ids and tags don't change a file).
_ITEM_FIELDS = {"name", "dataset_id", "width", "height", "objects", "split"}


class CacheEntry(BaseModel):
    """What one item's files in the cache were made from, and which files they are."""

    image: str
    annotation: str
    files: list[str] = Field(description="paths relative to data/; the image first")


class CacheManifest(BaseModel):
    """The state of one cache folder."""

    version: int = _VERSION
    key: str
    target_format: TargetFormat
    task: str
    classes: list[str]
    entries: dict[int, CacheEntry] = Field(default_factory=dict)
    # item id -> files an update was writing or removing when it stopped.
    pending: dict[int, list[str]] = Field(default_factory=dict)


def _image_signature(raw: RawDataset, item: RawItem) -> str:
    if item.image_hash:
        return item.image_hash
    # No content hash from the source: path, size and modification time stand in for it.
    path = raw.image_path(item)
    st = path.stat()
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def _annotation_signature(dataset: str, item: RawItem) -> str:
    text = dataset + "\0" + item.model_dump_json(include=_ITEM_FIELDS)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class DatasetCache:
    """Converted datasets kept under ``root`` (default ``$SYNAPSE_NB_HOME/cache/datasets``).

    Example:
        >>> cache = DatasetCache(Path("/tmp/snb-cache"))  # doctest: +SKIP
        >>> data_path = cache.prepare(raw, "coco")  # doctest: +SKIP
        >>> data_path.name  # doctest: +SKIP
        'annotations.json'
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root).expanduser().resolve() if root is not None else sub_dir("cache", "datasets")

    def key(
        self, raw: RawDataset, target_format: TargetFormat, classes: Sequence[str], task: str, key_extra: dict[str, Any] | None = None
    ) -> str:
        """The cache key: project identity, selected classes, format, task and ``key_extra``
        (callers put the split definition there). The per-item split is tracked per item,
        so adding an item to a split updates the entry instead of starting a new one.

        Example:
            >>> DatasetCache(Path("/tmp/c")).key(raw, "yolo", ["a"], "detect")  # doctest: +SKIP
            '3c1f...'
        """
        if raw.meta.project_id is not None:
            identity: Any = ["project", raw.meta.project_id]
        else:
            root = str(raw.root) if raw._root is not None else None
            identity = ["local", raw.meta.project_name, root]
        doc = {"project": identity, "classes": list(classes), "format": target_format, "task": task, "extra": key_extra or {}}
        text = json.dumps(doc, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]

    def prepare(
        self,
        raw: RawDataset,
        target_format: TargetFormat | None,
        classes: list[str] | None = None,
        task: str = "detect",
        key_extra: dict[str, Any] | None = None,
        *,
        convert: bool = True,
        link: bool = True,
    ) -> Path:
        """Bring the cached conversion of ``raw`` up to date and return its data path.

        ``dataset.yaml`` for ``"yolo"``, ``annotations.json`` for ``"coco"`` (images in the
        ``images`` folder beside it), the raw folder itself for ``None``. Checks run before
        any file is touched (same rules as :func:`write_yolo` / :func:`write_coco`).

        Example:
            >>> DatasetCache().prepare(raw, "yolo", ["circle"], "segment", {"split": split.model_dump()})  # doctest: +SKIP
            PosixPath('/home/me/.synapse_nb/cache/datasets/9a2.../data/dataset.yaml')
        """
        if target_format is None:
            resolve_classes(raw, classes)
            if raw._root is None:
                raise InputError("raw", "a raw dataset folder on disk for target_format=None", hint="call raw.write_manifest(folder) first")
            return raw.root
        if target_format == "yolo":
            task, names = check_yolo_export(raw, task, classes, convert)
        elif target_format == "coco":
            names = resolve_classes(raw, classes)
            check_objects(raw, names, task=None, convert=True)
            check_names(raw)
        else:
            raise InputError("target_format", "'yolo', 'coco' or None", got=target_format)
        key = self.key(raw, target_format, names, task, key_extra)
        with file_lock(self.root / f"{key}.lock"):
            return _Update(raw, self.root / key, key, target_format, task, names, link).run()


class _Update:
    """One ``prepare`` of one cache folder: diff, journal, apply, commit."""

    def __init__(self, raw: RawDataset, folder: Path, key: str, fmt: TargetFormat, task: str, names: list[str], link: bool) -> None:
        self.raw, self.folder, self.fmt, self.task, self.names = raw, folder, fmt, task, names
        self.data = folder / "data"
        self.manifest_path = folder / MANIFEST
        self.linker = Linker(link)
        self.fresh = CacheManifest(key=key, target_format=fmt, task=task, classes=names)
        self.datasets = {ref.id: ref.name for ref in raw.meta.datasets}

    def _read_manifest(self) -> CacheManifest | None:
        try:
            manifest = CacheManifest.model_validate_json(self.manifest_path.read_bytes())
        except (FileNotFoundError, ValidationError, ValueError):
            return None
        same = (manifest.version, manifest.key) == (_VERSION, self.fresh.key)
        return manifest if same else None

    def _save(self, manifest: CacheManifest) -> None:
        atomic_write_text(self.manifest_path, manifest.model_dump_json())

    def _data_file(self) -> Path:
        return self.data / (DATA_YAML if self.fmt == "yolo" else ANNOTATIONS)

    def run(self) -> Path:
        manifest = self._read_manifest()
        repaired = False
        if manifest is None:
            # No usable manifest: a first run, or a crash before the first manifest. Start clean.
            if self.folder.exists():
                shutil.rmtree(self.folder)
            self.data.mkdir(parents=True)
            manifest = self.fresh.model_copy(deep=True)
            repaired = True
        if manifest.pending:
            for item_id, files in manifest.pending.items():
                for rel in files:
                    (self.data / rel).unlink(missing_ok=True)
                manifest.entries.pop(item_id, None)
            manifest.pending = {}
            repaired = True

        raw = self.raw
        current = {item.id: item for item in raw.items}
        removed = [i for i in manifest.entries if i not in current]
        changed: list[tuple[RawItem, str, str]] = []
        for item in raw.items:
            image_sig, ann_sig = _image_signature(raw, item), _annotation_signature(self.datasets[item.dataset_id], item)
            old = manifest.entries.get(item.id)
            if old is None or old.image != image_sig or old.annotation != ann_sig:
                changed.append((item, image_sig, ann_sig))
        if not removed and not changed and not repaired and self._data_file().is_file():
            return self._data_file()
        self._apply(manifest, removed, changed)
        return self._data_file()

    def _item_files(self, item: RawItem, class_index: dict[str, int]) -> tuple[list[str], str | None]:
        if self.fmt == "yolo":
            image_rel, label_rel, text, _ = yolo_item_files(item, self.datasets[item.dataset_id], class_index, self.task)  # type: ignore[arg-type]
            return [image_rel, label_rel], text
        return [f"images/{self.datasets[item.dataset_id]}/{item.name}"], None

    def _apply(self, manifest: CacheManifest, removed: list[int], changed: list[tuple[RawItem, str, str]]) -> None:
        raw = self.raw
        sources = dict(zip((item.id for item, _, _ in changed), source_paths(raw, [item for item, _, _ in changed]), strict=True))
        class_index = {name: i for i, name in enumerate(self.names)}
        planned = {item.id: self._item_files(item, class_index) for item, _, _ in changed}

        # Journal first: if we stop anywhere below, the next run knows which files to distrust.
        manifest.pending = {i: list(manifest.entries[i].files) for i in removed}
        for item, _, _ in changed:
            old = manifest.entries.get(item.id)
            manifest.pending[item.id] = sorted(set(planned[item.id][0]) | set(old.files if old else []))
        self._save(manifest)

        keep_image: set[int] = set()
        for item_id in removed:
            for rel in manifest.entries.pop(item_id).files:
                (self.data / rel).unlink(missing_ok=True)
        for item, image_sig, _ in changed:
            old = manifest.entries.get(item.id)
            if old is not None and old.image == image_sig and old.files[0] == planned[item.id][0][0]:
                keep_image.add(item.id)  # only the annotation changed: the image file stays
                stale = old.files[1:]
            else:
                stale = old.files if old is not None else []
            for rel in stale:
                (self.data / rel).unlink(missing_ok=True)

        made: set[Path] = set()
        for item, image_sig, ann_sig in changed:
            files, text = planned[item.id]
            for rel in files:
                parent = (self.data / rel).parent
                if parent not in made:
                    parent.mkdir(parents=True, exist_ok=True)
                    made.add(parent)
            if item.id not in keep_image:
                target = self.data / files[0]
                target.unlink(missing_ok=True)
                self.linker.place(sources[item.id], target)
            if text is not None:
                (self.data / files[1]).write_text(text, encoding="utf-8")
            manifest.entries[item.id] = CacheEntry(image=image_sig, annotation=ann_sig, files=files)

        self._write_index()
        manifest.pending = {}
        self._save(manifest)

    def _write_index(self) -> None:
        if self.fmt == "yolo":
            # ultralytics keeps its own label cache beside the labels; drop it so that it
            # rescans the labels we just changed rather than trusting sizes and times.
            for stale in (self.data / "labels").rglob("*.cache"):
                stale.unlink(missing_ok=True)
            atomic_write_text(self.data / DATA_YAML, yolo_yaml_text(self.data, self.names))
            return
        docs = coco_documents(self.raw, self.names)
        for name, doc in docs.items():
            atomic_write_text(self.data / name, json.dumps(doc, separators=(",", ":")))
        for side in ("train", "val"):
            if f"annotations_{side}.json" not in docs:
                (self.data / f"annotations_{side}.json").unlink(missing_ok=True)


def clear_cache(root: Path | None = None) -> None:
    """Remove every cached conversion under ``root`` (default the home cache folder).

    Not for use while another process is preparing a dataset in the same cache.

    Example:
        >>> clear_cache(Path("/tmp/snb-cache"))  # doctest: +SKIP
    """
    folder = Path(root) if root is not None else sub_dir("cache", "datasets")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
