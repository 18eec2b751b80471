"""Items (images with annotations) and the content-addressed image store.

Images are kept once per sha256, whatever item or project uses them. An upload first
writes and hashes every file, then stores all the batch's records in one transaction: a bad
entry anywhere refuses the whole batch and stores no record.
"""

from __future__ import annotations

__all__ = [
    "ItemLimit", "delete_item", "fetch_item", "get_image", "get_item", "item_from_row", "list_items",
    "missing_images", "set_annotation", "upload_items",
]

import re
import sqlite3
from pathlib import Path
from typing import Annotated
from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import TypeAdapter, ValidationError

from synapse_nb.schemas import Item, Page
from synapse_nb.schemas.backend import SHA256_PATTERN, AnnotationUpdate, ImageHashes, ItemUpload
from synapse_nb.server.annotations import ProjectMeta, check_annotation, check_name, load_meta
from synapse_nb.server.context import Ctx, Offset, RecordId, ServerContext, dumps_field, loads, now, where
from synapse_nb.server.errors import ApiError, not_found, validation_message
from synapse_nb.server.routes.projects import bump_version, fetch_dataset

router = APIRouter(tags=["items"])

_UPLOADS = TypeAdapter(list[ItemUpload])
ItemLimit = Annotated[int, Query(ge=1, le=5000)]


def item_from_row(row: sqlite3.Row, collections: list[int] | None = None) -> Item:
    """An Item from an ``items`` row."""
    data = dict(row)
    data["tags"] = loads(data["tags"])
    data["objects"] = loads(data["objects"])
    data["collections"] = collections or []
    return Item.model_validate(data)


def _collections_of(conn: sqlite3.Connection, item_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {i: [] for i in item_ids}
    for start in range(0, len(item_ids), 900):  # SQLite's default limit on bound parameters
        chunk = item_ids[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT item_id, collection_id FROM collection_items WHERE item_id IN ({marks}) ORDER BY collection_id", chunk
        ):
            found[row["item_id"]].append(row["collection_id"])
    return found


def fetch_item(conn: sqlite3.Connection, item_id: int) -> Item:
    """Item ``item_id`` or a 404."""
    row = conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
    if row is None:
        raise not_found("item", item_id)
    return item_from_row(row, _collections_of(conn, [item_id])[item_id])


def _image_size(path: Path, field: str) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError  # Pillow is only needed where images arrive

    try:
        with Image.open(path) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, ImportError) as exc:
        # ImportError: plugins patched into Image.open (ultralytics adds a HEIF fallback)
        # fail that way on data that is no image at all.
        raise ApiError(422, f"{field}: an image file Pillow can read (PNG, JPEG, ...), got unreadable data ({exc})", field=field) from exc
    if width < 1 or height < 1:
        raise ApiError(422, f"{field}: an image of at least 1x1 pixels, got {width}x{height}", field=field)
    return width, height


def _store_files(ctx: ServerContext, files: list[UploadFile]) -> list[tuple[str, int, int, int]]:
    """Write, hash and measure each uploaded image; return ``(sha256, size, width, height)``."""
    stored = []
    for index, upload in enumerate(files):
        field = f"files[{index}]"
        tmp = ctx.storage.temp_file()
        try:
            size, digest = ctx.storage.write_file(upload.file, tmp, field=field, max_bytes=ctx.config.max_upload_bytes)
            width, height = _image_size(tmp, field)
            ctx.storage.put_blob(tmp, digest)
        finally:
            tmp.unlink(missing_ok=True)
        stored.append((digest, size, width, height))
    return stored


def _parse_entries(raw: bytes, max_batch: int) -> list[ItemUpload]:
    try:
        entries = _UPLOADS.validate_json(raw)
    except ValidationError as exc:
        message, field = validation_message(list(exc.errors()), prefix="items")
        raise ApiError(422, message, field=field) from exc
    if not entries:
        raise ApiError(422, "items: at least one item", field="items")
    if len(entries) > max_batch:
        raise ApiError(413, f"items: at most {max_batch} items per request, got {len(entries)}", field="items")
    return entries


@router.post("/datasets/{dataset_id}/items", response_model=list[Item], status_code=201)
def upload_items(
    dataset_id: RecordId,
    ctx: Ctx,
    items: UploadFile = File(description="JSON list of ItemUpload (name, tags, objects, file_index | image_hash)"),
    files: list[UploadFile] = File(default=[], description="image files, referred to by file_index"),
) -> list[Item]:
    """Upload a batch of items into a dataset: all of them are stored, or none."""
    entries = _parse_entries(items.file.read(), ctx.config.max_batch)
    # Check everything that needs no file work first: bad input costs nothing.
    names: set[str] = set()
    for index, entry in enumerate(entries):
        check_name(entry.name, f"items[{index}].name")
        if entry.name in names:
            raise ApiError(422, f"items[{index}].name: unique names within a batch, {entry.name!r} repeats", field=f"items[{index}].name")
        names.add(entry.name)
        if entry.file_index is not None and entry.file_index >= len(files):
            raise ApiError(
                422, f"items[{index}].file_index: an index below the {len(files)} files sent, got {entry.file_index}", field=f"items[{index}].file_index"
            )
    with ctx.db.read() as conn:
        dataset = fetch_dataset(conn, dataset_id)
        meta = load_meta(conn, dataset.project_id)
    for index, entry in enumerate(entries):
        # Image sizes are not known yet, so masks wait for the second check below.
        if not _has_bitmap(entry):
            check_annotation(meta, entry.objects, entry.tags, 0, 0, f"items[{index}]")
    stored = _store_files(ctx, files)
    with ctx.db.write() as conn:
        meta = load_meta(conn, dataset.project_id)  # again, inside the transaction: it may have changed
        rows = _resolve_images(conn, entries, stored)
        stamp = now()
        conn.executemany(
            "INSERT OR IGNORE INTO images (hash, size, width, height, created_at) VALUES (?, ?, ?, ?, ?)",
            [(d, s, w, h, stamp) for d, s, w, h in stored],
        )
        new_ids = []
        for index, (entry, (digest, width, height)) in enumerate(zip(entries, rows)):
            check_annotation(meta, entry.objects, entry.tags, width, height, f"items[{index}]")
            if conn.execute("SELECT 1 FROM items WHERE dataset_id = ? AND name = ?", (dataset_id, entry.name)).fetchone():
                raise ApiError(
                    409, f"items[{index}].name: dataset {dataset_id} already has an item named {entry.name!r}", field=f"items[{index}].name"
                )
            cur = conn.execute(
                "INSERT INTO items (project_id, dataset_id, name, image_hash, width, height, tags, objects, source_id, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    dataset.project_id,
                    dataset_id,
                    entry.name,
                    digest,
                    width,
                    height,
                    dumps_field(entry.tags, f"items[{index}].tags"),
                    dumps_field([o.model_dump() for o in entry.objects], f"items[{index}].objects"),
                    entry.source_id,
                    stamp,
                ),
            )
            new_ids.append(int(cur.lastrowid or 0))
        bump_version(conn, dataset.project_id)
        placeholders = ",".join("?" * len(new_ids))
        by_id = {r["id"]: r for r in conn.execute(f"SELECT * FROM items WHERE id IN ({placeholders})", new_ids)}
        return [item_from_row(by_id[i]) for i in new_ids]


def _has_bitmap(entry: ItemUpload) -> bool:
    return any(o.geometry.type == "bitmap" for o in entry.objects)


def _resolve_images(
    conn: sqlite3.Connection, entries: list[ItemUpload], stored: list[tuple[str, int, int, int]]
) -> list[tuple[str, int, int]]:
    """``(sha256, width, height)`` of each entry's image, from its file or the store."""
    resolved = []
    for index, entry in enumerate(entries):
        if entry.file_index is not None:
            digest, _, width, height = stored[entry.file_index]
            if entry.image_hash is not None and entry.image_hash != digest:
                raise ApiError(
                    422,
                    f"items[{index}].image_hash: the sha256 of files[{entry.file_index}] ({digest}), got {entry.image_hash}",
                    field=f"items[{index}].image_hash",
                )
        else:
            row = conn.execute("SELECT width, height FROM images WHERE hash = ?", (entry.image_hash,)).fetchone()
            if row is None:
                raise ApiError(
                    422,
                    f"items[{index}].image_hash: an image the backend holds, got {entry.image_hash}; send the file instead",
                    field=f"items[{index}].image_hash",
                )
            digest, width, height = str(entry.image_hash), row["width"], row["height"]
        resolved.append((digest, width, height))
    return resolved


@router.get("/items", response_model=Page[Item])
def list_items(
    ctx: Ctx,
    project_id: int | None = Query(default=None, ge=1, le=2**63 - 1),
    dataset_id: int | None = Query(default=None, ge=1, le=2**63 - 1),
    offset: Offset = 0,
    limit: ItemLimit = 500,
) -> Page[Item]:
    """Items of a project or a dataset (or all), by id."""
    clause, params = where({"project_id": project_id, "dataset_id": dataset_id})
    with ctx.db.read() as conn:
        total = conn.execute(f"SELECT COUNT(*) FROM items{clause}", params).fetchone()[0]
        rows = conn.execute(f"SELECT * FROM items{clause} ORDER BY id LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
        collections = _collections_of(conn, [r["id"] for r in rows])
    return Page[Item](items=[item_from_row(r, collections[r["id"]]) for r in rows], total=total, offset=offset, limit=limit)


@router.get("/items/{item_id}", response_model=Item)
def get_item(item_id: RecordId, ctx: Ctx) -> Item:
    """One item."""
    with ctx.db.read() as conn:
        return fetch_item(conn, item_id)


@router.put("/items/{item_id}/annotation", response_model=Item)
def set_annotation(item_id: RecordId, body: AnnotationUpdate, ctx: Ctx) -> Item:
    """Replace an item's objects (and its tags, when given)."""
    with ctx.db.write() as conn:
        item = fetch_item(conn, item_id)
        meta: ProjectMeta = load_meta(conn, item.project_id)
        tags = item.tags if body.tags is None else body.tags
        check_annotation(meta, body.objects, tags, item.width, item.height, "body")
        conn.execute(
            "UPDATE items SET objects = ?, tags = ?, updated_at = ? WHERE id = ?",
            (dumps_field([o.model_dump() for o in body.objects], "objects"), dumps_field(tags, "tags"), now(), item_id),
        )
        bump_version(conn, item.project_id)
        return fetch_item(conn, item_id)


@router.delete("/items/{item_id}", status_code=204)
def delete_item(item_id: RecordId, ctx: Ctx) -> Response:
    """Delete an item (its image stays in the store while other items may use it)."""
    with ctx.db.write() as conn:
        item = fetch_item(conn, item_id)
        conn.execute("DELETE FROM items WHERE id = ?", (item_id,))
        bump_version(conn, item.project_id)
    return Response(status_code=204)


@router.post("/images/missing", response_model=ImageHashes)
def missing_images(body: ImageHashes, ctx: Ctx) -> ImageHashes:
    """Which of these image hashes the backend lacks (so a client uploads only those)."""
    pattern_problem = [h for h in body.hashes if not _is_sha256(h)]
    if pattern_problem:
        raise ApiError(422, f"hashes: sha256 hex digests, got {pattern_problem[0]!r}", field="hashes")
    wanted = list(dict.fromkeys(body.hashes))
    have: set[str] = set()
    with ctx.db.read() as conn:
        for start in range(0, len(wanted), 900):
            chunk = wanted[start : start + 900]
            marks = ",".join("?" * len(chunk))
            have.update(r[0] for r in conn.execute(f"SELECT hash FROM images WHERE hash IN ({marks})", chunk))
    return ImageHashes(hashes=[h for h in wanted if h not in have])


def _is_sha256(text: str) -> bool:
    return re.fullmatch(SHA256_PATTERN, text) is not None


@router.get("/images/{image_hash}", response_class=FileResponse, responses={200: {"content": {"application/octet-stream": {}}}})
def get_image(image_hash: str, ctx: Ctx) -> FileResponse:
    """The image file with this sha256."""
    if not _is_sha256(image_hash):
        raise ApiError(422, f"image_hash: a sha256 hex digest, got {image_hash!r}", field="image_hash")
    path = ctx.storage.image_path(image_hash)
    with ctx.db.read() as conn:
        known = conn.execute("SELECT 1 FROM images WHERE hash = ?", (image_hash,)).fetchone()
    if known is None or not path.is_file():
        raise ApiError(404, f"image {image_hash} does not exist", field="image_hash")
    return FileResponse(path, media_type="application/octet-stream", headers={"X-Content-SHA256": image_hash})
