"""The backend's file store: every upload lands below one root folder, whole or not at all.

Relative paths from clients are checked before anything is written: no ``..``, no absolute
paths, no NUL bytes or backslashes, no symlinks on the way. Files are written to a temporary
name in the store and renamed into place only once complete (and, where a hash was promised,
verified).

Example:
    >>> import io, tempfile, pathlib
    >>> store = Storage(pathlib.Path(tempfile.mkdtemp()))
    >>> size, digest = store.write_file(io.BytesIO(b"abc"), store.safe_path("tasks/1/a.txt"))
    >>> size, digest[:8]
    (3, 'ba7816bf')
    >>> store.safe_path("../etc/passwd")
    Traceback (most recent call last):
    ...
    synapse_nb.server.errors.ApiError: path: a relative path inside the store without '..', got '../etc/passwd'
"""

from __future__ import annotations

__all__ = ["CHUNK", "MAX_PATH_CHARS", "Storage", "path_problem"]

import hashlib
import os
import shutil
import uuid
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from synapse_nb._atomic import atomic_path
from synapse_nb.schemas.backend import image_store_path
from synapse_nb.server.errors import ApiError

CHUNK = 1024 * 1024
MAX_PATH_CHARS = 500


class Storage:
    """Files below ``root``: content-addressed images, task files, model file sets."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.tmp_dir = self.root / "tmp"
        for sub in ("images", "tasks", "models", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    # -- paths -------------------------------------------------------------------------

    def safe_path(self, rel: str, field: str = "path", base: Path | None = None) -> Path:
        """The absolute path of ``rel`` below ``base`` (default: the root), or a 4xx naming ``field``."""
        base = self.root if base is None else base
        bad = _path_problem(rel)
        if bad:
            raise ApiError(422, f"{field}: {bad}, got {rel!r}", field=field)
        target = base.joinpath(*PurePosixPath(rel).parts)
        # A symlink anywhere on the way could point outside the root: refuse it, even if
        # it points inside, since it may be changed later.
        probe = base
        for part in PurePosixPath(rel).parts:
            probe = probe / part
            if probe.is_symlink():
                raise ApiError(422, f"{field}: a path without symbolic links, got {rel!r}", field=field)
        resolved = target.resolve()
        if not resolved.is_relative_to(base.resolve()) or not resolved.is_relative_to(self.root):
            raise ApiError(422, f"{field}: a path inside the store, got {rel!r}", field=field)
        return target

    def image_path(self, digest: str) -> Path:
        """Where the image with sha256 ``digest`` is kept."""
        return self.root / image_store_path(digest)

    def task_dir(self, task_id: int) -> Path:
        """The folder of a task's files."""
        return self.root / "tasks" / str(task_id)

    def model_dir(self, model_id: int) -> Path:
        """The folder of a model's file set."""
        return self.root / "models" / str(model_id)

    def staging_dir(self) -> Path:
        """A fresh folder for files that are not committed yet (the caller removes it)."""
        path = self.tmp_dir / f"stage-{uuid.uuid4().hex}"
        path.mkdir(parents=True)
        return path

    # -- writing -----------------------------------------------------------------------

    def write_file(
        self,
        source: BinaryIO,
        target: Path,
        expected_sha256: str | None = None,
        field: str = "file",
        max_bytes: int | None = None,
    ) -> tuple[int, str]:
        """Copy ``source`` to ``target`` through a temporary file; return ``(size, sha256)``.

        With ``expected_sha256``, a different hash is a 422 and nothing is left behind.
        """
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        # The partial upload waits in the storage's own temporary folder, never in a task's.
        with atomic_path(target, folder=self.tmp_dir) as tmp:
            with open(tmp, "wb") as out:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise ApiError(413, f"{field}: at most {max_bytes} bytes", field=field)
                    digest.update(chunk)
                    out.write(chunk)
            hexdigest = digest.hexdigest()
            if expected_sha256 is not None and hexdigest != expected_sha256:
                raise ApiError(
                    422, f"{field}: sha256 {expected_sha256} was promised, the upload has {hexdigest}", field=field
                )
        return size, hexdigest

    def put_blob(self, tmp_file: Path, digest: str) -> Path:
        """Move a verified temporary file into the image store under its hash."""
        target = self.image_path(digest)
        if target.exists():
            tmp_file.unlink(missing_ok=True)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_file, target)
        return target

    def temp_file(self) -> Path:
        """A fresh temporary path in the store (on the same file system, so rename is atomic)."""
        return self.tmp_dir / f"up-{uuid.uuid4().hex}"

    def remove_tree(self, path: Path) -> None:
        """Delete a folder of the store (never anything outside the root)."""
        if Path(path).resolve().is_relative_to(self.root) and path.exists():
            shutil.rmtree(path)


def _path_problem(rel: str) -> str | None:
    """Why ``rel`` is not an acceptable relative path, or None."""
    if not isinstance(rel, str) or not rel:
        return "a non-empty relative path"
    if len(rel) > MAX_PATH_CHARS:
        return f"a path of at most {MAX_PATH_CHARS} characters"
    if "\x00" in rel:
        return "a path without NUL bytes"
    if "\\" in rel:
        return "a path with '/' separators (no backslashes)"
    if any(ord(ch) < 32 for ch in rel):
        return "a path without control characters"
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        return "a relative path (not absolute)"
    parts = rel.split("/")
    if any(part in (".", "..") for part in parts):
        return "a relative path inside the store without '..'"
    if any(part == "" for part in parts):
        return "a path without empty parts ('//' or a trailing '/')"
    try:
        os.fsencode(rel)
    except UnicodeEncodeError:
        return "a path of valid Unicode characters"
    return None


def path_problem(rel: str) -> str | None:
    """Public form of the path check, for callers that validate before any upload starts.

    Example:
        >>> path_problem("weights/best.pt") is None
        True
        >>> path_problem("/etc/passwd")
        'a relative path (not absolute)'
    """
    return _path_problem(rel)
