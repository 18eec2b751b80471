"""Checks every writer runs before it writes anything: classes, shapes, names, source files.

Example:
    >>> from synapse_nb.formats.raw import RawDataset, RawMeta
    >>> from synapse_nb.schemas import ClassMeta
    >>> raw = RawDataset(meta=RawMeta(project_name="p", classes=[ClassMeta(name="a"), ClassMeta(name="b")]))
    >>> resolve_classes(raw, ["b"])
    ['b']
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from synapse_nb.errors import InputError
from synapse_nb.formats._files import check_component, is_component
from synapse_nb.formats.raw import RawDataset, RawItem
from synapse_nb.formats.shapes import TASK_SHAPE, TaskType


def resolve_classes(raw: RawDataset, classes: Sequence[str] | None, field: str = "classes") -> list[str]:
    """The selected class names in the project's class order (all classes for ``None``).

    A name the project doesn't have is an error that lists the project's classes: a
    misspelt class never silently disappears from the training data.
    """
    names = raw.class_names()
    if classes is None:
        if not names:
            raise InputError(field, "a project with at least one class", got=[])
        return names
    if isinstance(classes, str):
        raise InputError(field, "a list of class names", got=classes)
    if not classes:
        raise InputError(field, "at least one class name", got=[])
    unknown = [c for c in classes if c not in names]
    if unknown:
        raise InputError(field, f"names of the project's classes {names}", got=unknown)
    wanted = set(classes)
    return [n for n in names if n in wanted]


def check_objects(raw: RawDataset, selected: Sequence[str], task: TaskType | None, convert: bool) -> None:
    """Every object names a class of the project; with ``convert=False`` every selected
    object already has the shape ``task`` trains on (``task=None``: any shape is fine)."""
    known = set(raw.class_names())
    chosen = set(selected)
    wanted = TASK_SHAPE[task] if task is not None else None
    for i, item in enumerate(raw.items):
        for obj in item.objects:
            if obj.class_name not in known:
                raise InputError(
                    f"items[{i}].objects", f"objects of the project's classes {sorted(known)}", got=obj.class_name, hint=f"item {item.name!r}"
                )
            if wanted and not convert and obj.class_name in chosen and obj.geometry.type != wanted:
                raise InputError(
                    "convert_class_shapes",
                    f"class {obj.class_name!r} in {wanted} shape for {task}",
                    got=obj.geometry.type,
                    hint="Turn on shape conversion or remove the class from the selection",
                )


def check_names(raw: RawDataset) -> dict[int, str]:
    """Dataset and item names are plain path components, and unique per dataset.

    Returns ``{dataset_id: dataset name}``.
    """
    datasets = {}
    for ref in raw.meta.datasets:
        datasets[ref.id] = check_component(f"meta.datasets[{ref.id}].name", ref.name)
    seen: set[tuple[int, str]] = set()
    for i, item in enumerate(raw.items):
        if not is_component(item.name):
            check_component(f"items[{i}].name", item.name)  # raises, naming the item
        if item.dataset_id not in datasets:
            raise InputError(f"items[{i}].dataset_id", f"one of the datasets {sorted(datasets)}", got=item.dataset_id)
        key = (item.dataset_id, item.name)
        if key in seen:
            raise InputError(f"items[{i}].name", "a name unique within its dataset", got=item.name, hint=f"dataset {datasets[item.dataset_id]!r}")
        seen.add(key)
    return datasets


def source_paths(raw: RawDataset, items: Sequence[RawItem] | None = None) -> list[str]:
    """Absolute paths of the image files of ``items`` (default: all of ``raw``'s), checked to exist.

    Plain strings: writers handle thousands of them, and pathlib costs more than the copy.
    """
    items = raw.items if items is None else items
    root: str | None = None
    paths = []
    for item in items:
        if os.path.isabs(item.image):
            paths.append(item.image)
        else:
            root = root if root is not None else str(raw.root)
            paths.append(os.path.join(root, item.image))
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise InputError("items.image", "existing image files", got=f"{len(missing)} missing, e.g. {missing[:3]}")
    return paths
