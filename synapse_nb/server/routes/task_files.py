"""Files a task keeps on the backend (e.g. its last checkpoint, so a retry can resume).

The body streams into a temporary file in the store; only a complete file whose sha256
matches the promised one (when given) is renamed into place and recorded.
"""

from __future__ import annotations

__all__ = ["FilePath", "download_task_file", "list_task_files", "upload_task_file"]

import hashlib
import os
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from synapse_nb.schemas import Page
from synapse_nb.schemas.backend import SHA256_PATTERN, TaskFile
from synapse_nb.server.context import Ctx, Offset, RecordId, ServerContext, now
from synapse_nb.server.errors import ApiError, not_found

router = APIRouter(tags=["task files"])

# Annotated (not a shared default): FastAPI copies it per parameter.
FilePath = Annotated[str, Query(min_length=1, max_length=500, description="relative path, e.g. checkpoints/last.pt")]


def _require_task(ctx: ServerContext, task_id: int) -> None:
    with ctx.db.read() as conn:
        if conn.execute("SELECT 1 FROM tasks WHERE id = ?", (task_id,)).fetchone() is None:
            raise not_found("task", task_id)


@router.put(
    "/tasks/{task_id}/files/content",
    response_model=TaskFile,
    openapi_extra={"requestBody": {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}, "required": True}},
)
async def upload_task_file(
    task_id: RecordId,
    request: Request,
    ctx: Ctx,
    path: FilePath,
    sha256: str | None = Query(default=None, pattern=SHA256_PATTERN),
) -> TaskFile:
    """Store a file of a task at ``path`` (replacing an older one); raw bytes in the body."""
    await run_in_threadpool(_require_task, ctx, task_id)
    target = ctx.storage.safe_path(path, field="path", base=ctx.storage.task_dir(task_id))
    tmp = ctx.storage.temp_file()
    digest = hashlib.sha256()
    size = 0
    try:
        with open(tmp, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                digest.update(chunk)
                out.write(chunk)
        hexdigest = digest.hexdigest()
        if sha256 is not None and sha256 != hexdigest:
            raise ApiError(422, f"sha256: the upload's hash {hexdigest}, got {sha256}", field="sha256")
        return await run_in_threadpool(_commit, ctx, task_id, path, target, tmp, size, hexdigest)
    finally:
        tmp.unlink(missing_ok=True)


def _commit(ctx: ServerContext, task_id: int, path: str, target: os.PathLike[str], tmp: os.PathLike[str], size: int, digest: str) -> TaskFile:
    stamp = now()
    with ctx.db.write() as conn:
        if conn.execute("SELECT 1 FROM tasks WHERE id = ?", (task_id,)).fetchone() is None:
            raise not_found("task", task_id)
        conn.execute(
            "INSERT OR REPLACE INTO task_files (task_id, path, size, sha256, created_at) VALUES (?, ?, ?, ?, ?)",
            (task_id, path, size, digest, stamp),
        )
        try:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            # A retry may share this file by hard link: replace the name, never write through it.
            os.replace(tmp, target)
        except (NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
            raise ApiError(409, f"path: {path!r} clashes with a file or folder the task already has", field="path") from exc
    return TaskFile(path=path, size=size, sha256=digest, created_at=stamp)  # type: ignore[arg-type]


@router.get("/tasks/{task_id}/files", response_model=Page[TaskFile])
def list_task_files(task_id: RecordId, ctx: Ctx, offset: Offset = 0, limit: int = Query(default=1000, ge=1, le=1000)) -> Page[TaskFile]:
    """Files of a task, by path."""
    with ctx.db.read() as conn:
        if conn.execute("SELECT 1 FROM tasks WHERE id = ?", (task_id,)).fetchone() is None:
            raise not_found("task", task_id)
        total = conn.execute("SELECT COUNT(*) FROM task_files WHERE task_id = ?", (task_id,)).fetchone()[0]
        rows = conn.execute(
            "SELECT path, size, sha256, created_at FROM task_files WHERE task_id = ? ORDER BY path LIMIT ? OFFSET ?",
            (task_id, limit, offset),
        ).fetchall()
    return Page[TaskFile](items=[TaskFile.model_validate(dict(r)) for r in rows], total=total, offset=offset, limit=limit)


@router.get("/tasks/{task_id}/files/content", response_class=FileResponse, responses={200: {"content": {"application/octet-stream": {}}}})
def download_task_file(task_id: RecordId, ctx: Ctx, path: FilePath) -> FileResponse:
    """The content of a task's file; its sha256 travels in ``X-Content-SHA256``."""
    target = ctx.storage.safe_path(path, field="path", base=ctx.storage.task_dir(task_id))
    with ctx.db.read() as conn:
        row = conn.execute("SELECT sha256 FROM task_files WHERE task_id = ? AND path = ?", (task_id, path)).fetchone()
    if row is None or not target.is_file():
        raise ApiError(404, f"path: task {task_id} has no file {path!r}", field="path")
    return FileResponse(target, media_type="application/octet-stream", headers={"X-Content-SHA256": row[0]})
