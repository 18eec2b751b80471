"""``api.model``: the model registry. A model is uploaded with every file's sha256 and
registered only when all arrived intact; a download is verified the same way and lands
whole or not at all."""

from __future__ import annotations

__all__ = ["CHUNK", "ModelResource"]

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from synapse_nb.api.resources._base import Resource
from synapse_nb.errors import BackendError, InputError
from synapse_nb.schemas import ModelCreate, ModelFile, ModelRecord, Page

CHUNK = 1024 * 1024


def _sha256(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            size += len(chunk)
            digest.update(chunk)
    return size, digest.hexdigest()


def _file_set(files: dict[str, Path] | Path) -> dict[str, Path]:
    """``{relative path: local file}`` from a folder or a mapping, checked before any upload."""
    if isinstance(files, (str, Path)):
        folder = Path(files)
        if not folder.is_dir():
            raise InputError("files", "a folder of model files or a {relative path: file} mapping", got=str(folder))
        mapping = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}
    else:
        mapping = {str(k): Path(v) for k, v in files.items()}
    if not mapping:
        raise InputError("files", "at least one file", got=files)
    for rel, path in mapping.items():
        if not path.is_file():
            raise InputError(f"files[{rel!r}]", "an existing file", got=str(path))
    return mapping


class ModelResource(Resource):
    """Register, list and download models.

    Example:
        >>> meta = ModelCreate(name="shapes-yolo11n", framework="YOLO", weights="weights/best.pt")  # doctest: +SKIP
        >>> model = api.model.create(meta, Path("runs/exp1"))  # doctest: +SKIP
        >>> api.model.download(model.id, Path("/tmp/model"))  # doctest: +SKIP
        PosixPath('/tmp/model')
    """

    def create(self, meta: ModelCreate | dict[str, Any], files: dict[str, Path] | Path) -> ModelRecord:
        """Upload a model's files (a folder, or ``{relative path: file}``) and register it."""
        parsed = meta if isinstance(meta, ModelCreate) else ModelCreate.model_validate(meta)
        mapping = _file_set(files)
        manifest = []
        for rel, path in mapping.items():
            size, digest = _sha256(path)
            manifest.append(ModelFile(path=rel, size=size, sha256=digest))
        if parsed.weights is not None and parsed.weights not in mapping:
            raise InputError("meta.weights", f"one of the uploaded files {sorted(mapping)}", got=parsed.weights)
        return self._upload(parsed, manifest, mapping)

    def _upload(self, meta: ModelCreate, manifest: list[ModelFile], mapping: dict[str, Path]) -> ModelRecord:
        with contextlib.ExitStack() as stack:
            parts: list[tuple[str, Any]] = [
                ("files", (Path(entry.path).name, stack.enter_context(open(mapping[entry.path], "rb")), "application/octet-stream"))
                for entry in manifest
            ]
            data = {"meta": meta.model_dump_json(), "manifest": json.dumps([m.model_dump() for m in manifest])}
            # Not retried after a 5xx: it may have registered the model.
            record = self._http.json("POST", "/models", data=data, files=parts)
        return ModelRecord.model_validate(record)

    def get(self, id: int) -> ModelRecord:
        """One model with its file list."""
        return ModelRecord.model_validate(self._http.json("GET", f"/models/{int(id)}"))

    def list(self, project_id: int | None = None, task_id: int | None = None, offset: int = 0, limit: int = 100) -> Page[ModelRecord]:
        """One page of models, oldest first."""
        return self._page("/models", ModelRecord, {"project_id": project_id, "task_id": task_id, "offset": offset, "limit": limit})

    def all(self, project_id: int | None = None, task_id: int | None = None) -> list[ModelRecord]:
        """Every model (of a project or task)."""
        return list(self._iter_all("/models", ModelRecord, {"project_id": project_id, "task_id": task_id}))

    def delete(self, id: int) -> None:
        """Delete a model and its files."""
        self._http.request("DELETE", f"/models/{int(id)}")

    def read_bytes(self, id: int, path: str) -> bytes:
        """One file of a model (e.g. ``'benchmark/report.json'``), checked against its sha256.

        Example:
            >>> json.loads(api.model.read_bytes(3, "benchmark/report.json"))["model_name"]  # doctest: +SKIP
            'yolo11n-det'
        """
        import io

        record = self.get(id)
        entry = next((f for f in record.files if f.path == path), None)
        if entry is None:
            raise InputError("path", f"a file of model {id}", got=path, hint=f"files: {[f.path for f in record.files][:10]}")
        buffer = io.BytesIO()
        self._http.stream_to(f"/models/{int(id)}/files/content", buffer, params={"path": entry.path})
        data = buffer.getvalue()
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise BackendError(0, f"model {id} file {path!r}: sha256 differs from the registry's {entry.sha256}")
        return data

    def download(self, id: int, dest: Path) -> Path:
        """Download every file of a model into the folder ``dest``; returns ``dest``.

        Files are fetched into a staging folder beside ``dest`` and checked against their
        sha256; only when all match are they moved into place. A mismatch raises and leaves
        ``dest`` as it was.
        """
        record = self.get(id)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
        try:
            for entry in record.files:
                target = staging / entry.path
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as out:
                    self._http.stream_to(f"/models/{int(id)}/files/content", out, params={"path": entry.path})
                size, digest = _sha256(target)
                if digest != entry.sha256 or size != entry.size:
                    raise BackendError(
                        0, f"model {id} file {entry.path!r}: expected sha256 {entry.sha256} ({entry.size} B), got {digest} ({size} B)"
                    )
            for entry in record.files:
                final = dest / entry.path
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / entry.path, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return dest
