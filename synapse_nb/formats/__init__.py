"""Conversions between our raw dataset folder and YOLO / COCO, and shape conversion.

The raw dataset folder (:mod:`synapse_nb.formats.raw`) is the hub: readers produce one,
writers read one, and the dataset cache keeps converted copies up to date item by item.

Example:
    >>> from synapse_nb.formats import write_yolo, read_coco  # doctest: +SKIP
    >>> yaml_path = write_yolo(raw, dest, task="segment")    # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> module; loaded on first use so `import synapse_nb.formats.raw` stays light.
_LAZY: dict[str, str] = {
    "RawDataset": "synapse_nb.formats.raw",
    "RawItem": "synapse_nb.formats.raw",
    "RawMeta": "synapse_nb.formats.raw",
    "write_yolo": "synapse_nb.formats.yolo",
    "read_yolo": "synapse_nb.formats.yolo",
    "write_coco": "synapse_nb.formats.coco",
    "read_coco": "synapse_nb.formats.coco",
    "convert_objects": "synapse_nb.formats.shapes",
    "DatasetCache": "synapse_nb.formats.cache",
}

__all__ = [
    "DatasetCache", "RawDataset", "RawItem", "RawMeta", "convert_objects", "read_coco", "read_yolo",
    "write_coco", "write_yolo",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'synapse_nb.formats' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover
    from synapse_nb.formats.cache import DatasetCache
    from synapse_nb.formats.coco import read_coco, write_coco
    from synapse_nb.formats.raw import RawDataset, RawItem, RawMeta
    from synapse_nb.formats.shapes import convert_objects
    from synapse_nb.formats.yolo import read_yolo, write_yolo
