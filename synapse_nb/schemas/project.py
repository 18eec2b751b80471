"""Projects, their class and tag metas, datasets, items, annotations and collections.

Geometry is in pixels of the item's image, origin top-left. A class has one shape, as in
the labelling tools our users come from; annotations refer to classes by name.

Example:
    >>> obj = LabelObject(class_name="circle", geometry=Rectangle(x1=1, y1=2, x2=11, y2=12))
    >>> obj.geometry.bbox()
    (1.0, 2.0, 11.0, 12.0)
"""

from __future__ import annotations

__all__ = [
    "Bitmap", "ClassMeta", "ClassShape", "Collection", "CollectionCreate", "CollectionSummary", "Dataset", "DatasetCreate",
    "Geometry", "HEX_COLOUR", "Item", "ItemCreate", "LabelObject", "Polygon", "Project", "ProjectCreate",
    "Rectangle", "TagMeta",
]

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from synapse_nb.schemas.common import NAME_PATTERN

ClassShape = Literal["rectangle", "polygon", "bitmap"]
HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClassMeta(_Strict):
    """A class of objects in a project: its name, shape and display colour."""

    name: str = Field(pattern=NAME_PATTERN)
    shape: ClassShape = "rectangle"
    color: str = Field(default="#1f77b4", pattern=HEX_COLOUR)
    # The id the class had in the file it was imported from (a COCO category id), kept for export.
    source_id: int | None = None


class TagMeta(_Strict):
    """A tag that items or objects of a project may carry (e.g. ``train``, ``val``)."""

    name: str = Field(pattern=NAME_PATTERN)
    color: str = Field(default="#7f7f7f", pattern=HEX_COLOUR)


class Rectangle(_Strict):
    """An axis-aligned box, corners in pixels (``x2 > x1``, ``y2 > y1``)."""

    type: Literal["rectangle"] = "rectangle"
    x1: float
    y1: float
    x2: float
    y2: float

    @model_validator(mode="after")
    def _ordered(self) -> Rectangle:
        if not (self.x2 > self.x1 and self.y2 > self.y1):
            raise ValueError(f"rectangle needs x2 > x1 and y2 > y1, got ({self.x1}, {self.y1}, {self.x2}, {self.y2})")
        return self

    def bbox(self) -> tuple[float, float, float, float]:
        """``(x1, y1, x2, y2)``."""
        return (self.x1, self.y1, self.x2, self.y2)


class Polygon(_Strict):
    """A closed polygon: at least 3 ``[x, y]`` points in pixels (not repeated at the end).

    ``pieces`` holds further parts of the same object, each a polygon of its own (an object
    seen in several parts, as COCO's multi-part segmentations and annotation tools write
    them); empty for a polygon in one piece.
    """

    type: Literal["polygon"] = "polygon"
    points: list[tuple[float, float]] = Field(min_length=3)
    pieces: list[Annotated[list[tuple[float, float]], Field(min_length=3)]] = Field(default_factory=list)

    def rings(self) -> list[list[tuple[float, float]]]:
        """Every part: ``points`` first, then ``pieces``."""
        return [self.points, *self.pieces]

    def bbox(self) -> tuple[float, float, float, float]:
        """The enclosing box ``(x1, y1, x2, y2)`` of every part."""
        xs = [p[0] for ring in self.rings() for p in ring]
        ys = [p[1] for ring in self.rings() for p in ring]
        return (min(xs), min(ys), max(xs), max(ys))


class Bitmap(_Strict):
    """A mask as COCO run-length encoding: ``size`` is ``[height, width]``, ``counts`` the
    compressed RLE string (as pycocotools writes it)."""

    type: Literal["bitmap"] = "bitmap"
    size: tuple[int, int]
    counts: str = Field(min_length=1)

    def bbox(self) -> tuple[float, float, float, float]:
        """The enclosing box ``(x1, y1, x2, y2)`` of the mask's pixels."""
        from pycocotools import mask as mask_utils  # lazy: only bitmaps need it

        x, y, w, h = mask_utils.toBbox({"size": list(self.size), "counts": self.counts.encode()}).tolist()
        return (x, y, x + w, y + h)


Geometry = Annotated[Rectangle | Polygon | Bitmap, Field(discriminator="type")]


class LabelObject(_Strict):
    """One labelled object on an item: its class (by name), geometry, tags, and the
    attributes annotation tools attach (``occluded``, ``track_id``...: plain values)."""

    class_name: str = Field(pattern=NAME_PATTERN)
    geometry: Geometry
    tags: list[str] = Field(default_factory=list)
    attributes: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class ProjectCreate(_Strict):
    """What a client sends to create a project."""

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    classes: list[ClassMeta] = Field(default_factory=list)
    tags: list[TagMeta] = Field(default_factory=list)

    @field_validator("classes")
    @classmethod
    def _unique_classes(cls, value: list[ClassMeta]) -> list[ClassMeta]:
        names = [c.name for c in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"class names must be unique, repeated: {dupes}")
        return value

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, value: list[TagMeta]) -> list[TagMeta]:
        names = [t.name for t in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"tag names must be unique, repeated: {dupes}")
        return value


class Project(ProjectCreate):
    """A project as stored by the backend, with its counts."""

    model_config = ConfigDict(extra="ignore")

    id: int
    created_at: datetime
    updated_at: datetime
    item_count: int = 0
    dataset_count: int = 0
    # Changes whenever an item, annotation or the class/tag meta changes: the dataset
    # cache keys exports on it.
    content_version: int = 0

    def class_names(self) -> list[str]:
        """Names of the project's classes, in order."""
        return [c.name for c in self.classes]


class DatasetCreate(_Strict):
    """What a client sends to create a dataset in a project."""

    name: str = Field(pattern=NAME_PATTERN)


class Dataset(DatasetCreate):
    """A dataset (a named group of items) in a project."""

    model_config = ConfigDict(extra="ignore")

    id: int
    project_id: int
    item_count: int = 0
    created_at: datetime


class ItemCreate(_Strict):
    """Metadata of an item sent with its image; the image itself travels as the file part."""

    name: str = Field(pattern=NAME_PATTERN)
    tags: list[str] = Field(default_factory=list)
    objects: list[LabelObject] = Field(default_factory=list)
    # The id the item had in the file it was imported from (a COCO image id), kept for export.
    source_id: int | None = None


class Item(_Strict):
    """An image in a dataset, with its annotation."""

    model_config = ConfigDict(extra="ignore")

    id: int
    project_id: int
    dataset_id: int
    name: str
    image_hash: str = Field(description="sha256 of the image file; the store keeps files by it")
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    tags: list[str] = Field(default_factory=list)
    collections: list[int] = Field(default_factory=list)
    objects: list[LabelObject] = Field(default_factory=list)
    source_id: int | None = Field(default=None, description="its id in the file it was imported from (COCO image id)")
    updated_at: datetime | None = None


class CollectionCreate(_Strict):
    """A named set of items of one project."""

    name: str = Field(pattern=NAME_PATTERN)
    item_ids: list[int] = Field(default_factory=list)


class Collection(CollectionCreate):
    """A collection as stored by the backend."""

    model_config = ConfigDict(extra="ignore")

    id: int
    project_id: int
    created_at: datetime


class CollectionSummary(_Strict):
    """A collection without its member ids: what pickers and counts need, the same size at
    any number of items."""

    model_config = ConfigDict(extra="ignore")

    id: int
    project_id: int
    name: str
    created_at: datetime
    item_count: int = Field(ge=0)
