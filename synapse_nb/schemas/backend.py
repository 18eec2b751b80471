"""Bodies of backend requests and replies that are not records themselves.

The records (projects, items, tasks, models...) live in their own modules; these are the
small messages around them: meta updates, batch uploads, lifecycle calls, replies with ids.
Like every schema here, the server validates requests with them and the client sends and
returns them.

Example:
    >>> TaskStatusUpdate(status="failed", error={"step": "train", "message": "out of memory"}).error.step
    'train'
"""

from __future__ import annotations

__all__ = [
    "AnnotationUpdate", "BatchResult", "BestTrial", "ClaimRequest", "Health", "HeartbeatReply",
    "ImageHashes", "ItemIds", "ItemUpload", "ProgressUpdate", "ProjectMetaUpdate", "SHA256_PATTERN",
    "ServerInfo", "TaskFile", "TaskStatusUpdate", "image_store_path",
]

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from synapse_nb.schemas.project import ClassMeta, ItemCreate, LabelObject, TagMeta
from synapse_nb.schemas.task import TaskError, TaskStatus

SHA256_PATTERN = r"^[0-9a-f]{64}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProjectMetaUpdate(_Strict):
    """Classes and tags to add to a project (or to change, matched by name: colour; shape
    only while no object of the class exists). Nothing is removed."""

    classes: list[ClassMeta] | None = None
    tags: list[TagMeta] | None = None


class ItemUpload(ItemCreate):
    """One entry of an item batch upload.

    The image is either the file part at ``file_index`` of the request's ``files`` or an
    image the backend already holds, named by ``image_hash`` (sha256). With both, the file's
    hash must equal ``image_hash``.
    """

    image_hash: str | None = Field(default=None, pattern=SHA256_PATTERN)
    file_index: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _has_image(self) -> ItemUpload:
        if self.image_hash is None and self.file_index is None:
            raise ValueError("give the image: 'file_index' (a file part) or 'image_hash' (an image already stored)")
        return self


class AnnotationUpdate(_Strict):
    """A new annotation of an item: its objects, and its tags when given (None keeps them)."""

    objects: list[LabelObject] = Field(default_factory=list)
    tags: list[str] | None = None


class ItemIds(_Strict):
    """A set of item ids (adding to or removing from a collection)."""

    item_ids: list[int] = Field(max_length=100_000)


class ImageHashes(_Strict):
    """Image hashes a client asks about, or the ones the backend lacks."""

    hashes: list[str] = Field(max_length=10_000)


class HeartbeatReply(_Strict):
    """What an agent learns from a heartbeat: the ids of its tasks it must stop."""

    stop_task_ids: list[int] = Field(default_factory=list)


class ClaimRequest(_Strict):
    """An agent asking for the next queued task it may run."""

    agent_id: int


class TaskStatusUpdate(_Strict):
    """A status change reported by the agent running a task."""

    status: TaskStatus
    result: dict[str, Any] | None = None
    error: TaskError | None = None


class ProgressUpdate(_Strict):
    """Progress of one category of a task, and optionally the task's overall progress."""

    category: str = Field(min_length=1, max_length=100)
    current: float = Field(ge=0)
    total: float = Field(gt=0)
    overall: float | None = Field(default=None, ge=0, le=1)


class BestTrial(_Strict):
    """The trial a tuning run chose as best."""

    trial_id: str = Field(min_length=1, max_length=200)


class BatchResult(_Strict):
    """How many records a batch stored (0 when it repeated an earlier request id)."""

    count: int = Field(ge=0)
    duplicate: bool = False


class TaskFile(_Strict):
    """A file a task uploaded (e.g. the last checkpoint, so a retry can resume)."""

    path: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=SHA256_PATTERN)
    created_at: datetime


class Health(_Strict):
    """The unauthenticated liveness answer."""

    status: str = "ok"


class ServerInfo(_Strict):
    """Facts about a running backend, for the client and ``synapse-nb status``."""

    version: str
    pid: int
    home: str
    storage_root: str
    started_at: datetime
    heartbeat_timeout: float
    max_body_bytes: int
    max_upload_bytes: int


def image_store_path(digest: str) -> str:
    """Where the backend keeps the image with sha256 ``digest``, relative to its storage root.

    Shared so a client on the backend's machine can copy images straight from the store
    (verifying their hash) instead of downloading them.

    Example:
        >>> image_store_path("ab" * 32)
        'images/ab/ab/abababababababababababababababababababababababababababababababab'
    """
    return f"images/{digest[:2]}/{digest[2:4]}/{digest}"
