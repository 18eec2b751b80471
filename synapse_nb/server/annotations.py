"""Checks of annotations against their project: every class and tag must be declared.

Unlike tools that drop unknown classes without a word, an object of an unknown class or a
tag the project does not declare is refused (422) with the item and object named.

Example:
    >>> from synapse_nb.schemas import ClassMeta, LabelObject, Rectangle
    >>> meta = ProjectMeta(classes=[ClassMeta(name="cat")], tags=[])
    >>> obj = LabelObject(class_name="dog", geometry=Rectangle(x1=0, y1=0, x2=1, y2=1))
    >>> check_annotation(meta, [obj], [], 10, 10, "items[0]")
    Traceback (most recent call last):
    ...
    synapse_nb.server.errors.ApiError: items[0].objects[0].class_name: a class of the project (['cat']), got 'dog'
"""

from __future__ import annotations

__all__ = ["ProjectMeta", "RESERVED_NAMES", "check_annotation", "check_name", "check_tags", "load_meta"]

import sqlite3
from dataclasses import dataclass

from synapse_nb.schemas import ClassMeta, LabelObject, TagMeta
from synapse_nb.server.context import loads
from synapse_nb.server.errors import ApiError, not_found

# "." and ".." pass the name pattern but would walk out of a folder once exported.
RESERVED_NAMES = (".", "..")


@dataclass(frozen=True)
class ProjectMeta:
    """A project's declared classes and tags."""

    classes: list[ClassMeta]
    tags: list[TagMeta]

    @property
    def class_names(self) -> list[str]:
        """Declared class names, in order."""
        return [c.name for c in self.classes]

    @property
    def tag_names(self) -> list[str]:
        """Declared tag names, in order."""
        return [t.name for t in self.tags]


def load_meta(conn: sqlite3.Connection, project_id: int) -> ProjectMeta:
    """The meta of project ``project_id`` (404 when it does not exist)."""
    row = conn.execute("SELECT classes, tags FROM projects WHERE id = ?", (project_id,)).fetchone()
    if row is None:
        raise not_found("project", project_id)
    return ProjectMeta(
        classes=[ClassMeta.model_validate(c) for c in loads(row["classes"])],
        tags=[TagMeta.model_validate(t) for t in loads(row["tags"])],
    )


def check_name(name: str, field: str) -> None:
    """Refuse names that would escape a folder when the project is exported."""
    if name in RESERVED_NAMES:
        raise ApiError(422, f"{field}: a name other than '.' or '..', got {name!r}", field=field)


def check_tags(meta: ProjectMeta, tags: list[str], field: str) -> None:
    """Every tag must be one of the project's tag metas."""
    declared = set(meta.tag_names)
    for index, tag in enumerate(tags):
        if tag not in declared:
            raise ApiError(
                422,
                f"{field}[{index}]: a tag of the project ({meta.tag_names}), got {tag!r}; add it with the project meta first",
                field=f"{field}[{index}]",
            )


def check_annotation(
    meta: ProjectMeta,
    objects: list[LabelObject],
    tags: list[str],
    width: int,
    height: int,
    field: str,
) -> None:
    """Check one item's annotation: classes declared, item tags declared, masks the image's size."""
    check_tags(meta, tags, f"{field}.tags")
    declared = set(meta.class_names)
    for index, obj in enumerate(objects):
        where = f"{field}.objects[{index}]"
        if obj.class_name not in declared:
            raise ApiError(
                422, f"{where}.class_name: a class of the project ({meta.class_names}), got {obj.class_name!r}", field=f"{where}.class_name"
            )
        geometry = obj.geometry
        if geometry.type == "bitmap" and tuple(geometry.size) != (height, width):
            raise ApiError(
                422,
                f"{where}.geometry.size: the image's [height, width] {[height, width]}, got {list(geometry.size)}",
                field=f"{where}.geometry.size",
            )
