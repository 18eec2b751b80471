"""The model registry: a model is registered with its whole file set, verified, or not at all.

One multipart request carries the metadata, a manifest (path, size, sha256 of each file)
and the files in manifest order. Every file is written to a staging folder and checked
against the manifest; only when all match is the record stored and the folder renamed into
place, in one step. A mismatch leaves no record and no file.
"""

from __future__ import annotations

__all__ = [
    "create_model", "delete_model", "download_model_file", "fetch_model", "get_model", "list_models",
    "model_from_row",
]

import os
import shutil
import sqlite3

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import TypeAdapter, ValidationError

from synapse_nb.schemas import ModelCreate, ModelFile, ModelRecord, Page
from synapse_nb.server.context import Ctx, Offset, RecordId, dumps_field, loads, now
from synapse_nb.server.errors import ApiError, not_found, validation_message
from synapse_nb.server.storage import path_problem

router = APIRouter(tags=["models"])

_MANIFEST = TypeAdapter(list[ModelFile])


def model_from_row(row: sqlite3.Row) -> ModelRecord:
    """A ModelRecord from a ``models`` row."""
    return ModelRecord.model_validate({**loads(row["body"]), "id": row["id"], "files": loads(row["files"]), "created_at": row["created_at"]})


def fetch_model(conn: sqlite3.Connection, model_id: int) -> ModelRecord:
    """Model ``model_id`` or a 404."""
    row = conn.execute("SELECT * FROM models WHERE id = ?", (model_id,)).fetchone()
    if row is None:
        raise not_found("model", model_id)
    return model_from_row(row)


def _parse(meta: str, manifest: str) -> tuple[ModelCreate, list[ModelFile]]:
    try:
        parsed_meta = ModelCreate.model_validate_json(meta)
    except ValidationError as exc:
        message, field = validation_message(list(exc.errors()), prefix="meta")
        raise ApiError(422, message, field=field) from exc
    try:
        files = _MANIFEST.validate_json(manifest)
    except ValidationError as exc:
        message, field = validation_message(list(exc.errors()), prefix="manifest")
        raise ApiError(422, message, field=field) from exc
    if not files:
        raise ApiError(422, "manifest: at least one file", field="manifest")
    seen: set[str] = set()
    for index, entry in enumerate(files):
        problem = path_problem(entry.path)
        if problem:
            raise ApiError(422, f"manifest[{index}].path: {problem}, got {entry.path!r}", field=f"manifest[{index}].path")
        if entry.path in seen:
            raise ApiError(422, f"manifest[{index}].path: unique paths, {entry.path!r} repeats", field=f"manifest[{index}].path")
        seen.add(entry.path)
    for index, entry in enumerate(files):
        folder = entry.path + "/"
        clash = next((other for other in seen if other.startswith(folder)), None)
        if clash is not None:
            raise ApiError(422, f"manifest[{index}].path: a file, not the folder of {clash!r}", field=f"manifest[{index}].path")
    if parsed_meta.weights is not None and parsed_meta.weights not in seen:
        raise ApiError(422, f"meta.weights: a path of the manifest, got {parsed_meta.weights!r}", field="meta.weights")
    return parsed_meta, files


@router.post("/models", response_model=ModelRecord, status_code=201)
def create_model(
    ctx: Ctx,
    meta: str = Form(description="ModelCreate as JSON"),
    manifest: str = Form(description="JSON list of ModelFile (path, size, sha256), in the order of the files"),
    files: list[UploadFile] = File(description="the files, in manifest order"),
) -> ModelRecord:
    """Register a model with its file set; every file must match its manifest entry."""
    parsed_meta, entries = _parse(meta, manifest)
    if len(files) != len(entries):
        raise ApiError(422, f"files: one file per manifest entry ({len(entries)}), got {len(files)}", field="files")
    with ctx.db.read() as conn:
        for column, value in (("task_id", parsed_meta.task_id), ("project_id", parsed_meta.project_id)):
            table = "tasks" if column == "task_id" else "projects"
            if value is not None and conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (value,)).fetchone() is None:
                raise ApiError(422, f"meta.{column}: an existing {table[:-1]}, got {value}", field=f"meta.{column}")
    staging = ctx.storage.staging_dir()
    try:
        for index, (entry, upload) in enumerate(zip(entries, files)):
            target = ctx.storage.safe_path(entry.path, field=f"manifest[{index}].path", base=staging)
            size, _ = ctx.storage.write_file(upload.file, target, expected_sha256=entry.sha256, field=f"files[{index}]")
            if size != entry.size:
                raise ApiError(422, f"files[{index}]: {entry.size} bytes per the manifest, got {size}", field=f"files[{index}]")
        with ctx.db.write() as conn:
            cur = conn.execute(
                "INSERT INTO models (name, project_id, task_id, body, files, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    parsed_meta.name,
                    parsed_meta.project_id,
                    parsed_meta.task_id,
                    dumps_field(parsed_meta.model_dump(mode="json"), "meta"),
                    dumps_field([e.model_dump() for e in entries], "manifest"),
                    now(),
                ),
            )
            model_id = int(cur.lastrowid or 0)
            final = ctx.storage.model_dir(model_id)
            if final.exists():  # left by a database restored from an older copy: never mix file sets
                shutil.rmtree(final)
            os.replace(staging, final)
            return fetch_model(conn, model_id)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


@router.get("/models", response_model=Page[ModelRecord])
def list_models(
    ctx: Ctx,
    project_id: int | None = Query(default=None, ge=1, le=2**63 - 1),
    task_id: int | None = Query(default=None, ge=1, le=2**63 - 1),
    offset: Offset = 0,
    limit: int = Query(default=100, ge=1, le=1000),
) -> Page[ModelRecord]:
    """Models, oldest first; filter by project or task."""
    used = {k: v for k, v in {"project_id": project_id, "task_id": task_id}.items() if v is not None}
    clause = (" WHERE " + " AND ".join(f"{k} = ?" for k in used)) if used else ""
    params = list(used.values())
    with ctx.db.read() as conn:
        total = conn.execute(f"SELECT COUNT(*) FROM models{clause}", params).fetchone()[0]
        rows = conn.execute(f"SELECT * FROM models{clause} ORDER BY id LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
    return Page[ModelRecord](items=[model_from_row(r) for r in rows], total=total, offset=offset, limit=limit)


@router.get("/models/{model_id}", response_model=ModelRecord)
def get_model(model_id: RecordId, ctx: Ctx) -> ModelRecord:
    """One model with its file list."""
    with ctx.db.read() as conn:
        return fetch_model(conn, model_id)


@router.get("/models/{model_id}/files/content", response_class=FileResponse, responses={200: {"content": {"application/octet-stream": {}}}})
def download_model_file(model_id: RecordId, ctx: Ctx, path: str = Query(min_length=1, max_length=500)) -> FileResponse:
    """One file of a model's file set; its sha256 travels in ``X-Content-SHA256``."""
    with ctx.db.read() as conn:
        model = fetch_model(conn, model_id)
    entry = next((f for f in model.files if f.path == path), None)
    if entry is None:
        raise ApiError(404, f"path: model {model_id} has no file {path!r}", field="path")
    target = ctx.storage.safe_path(path, field="path", base=ctx.storage.model_dir(model_id))
    if not target.is_file():
        raise ApiError(404, f"path: the file {path!r} of model {model_id} is missing from the store", field="path")
    return FileResponse(target, media_type="application/octet-stream", headers={"X-Content-SHA256": entry.sha256})


@router.delete("/models/{model_id}", status_code=204)
def delete_model(model_id: RecordId, ctx: Ctx) -> Response:
    """Delete a model and its files."""
    with ctx.db.write() as conn:
        fetch_model(conn, model_id)
        conn.execute("DELETE FROM models WHERE id = ?", (model_id,))
    ctx.storage.remove_tree(ctx.storage.model_dir(model_id))
    return Response(status_code=204)
