"""Raw dataset <-> COCO instances JSON.

Written layout (original file names kept)::

    <dest>/images/<dataset>/<name>           (<dest>/images/<name> when there is one dataset)
    <dest>/annotations.json                  every item
    <dest>/annotations_train.json            only when items carry a split
    <dest>/annotations_val.json

Categories are numbered 1..N in the project's class order; boxes are ``[x, y, w, h]``;
polygons are segmentation lists (one list per part of a multi-part object), bitmaps
compressed RLE, rectangles carry an empty segmentation; an object's ``attributes`` are
written as the annotation's ``attributes``. ``file_name`` is relative to ``<dest>/images``.

Example:
    >>> path = write_coco(raw, Path("/tmp/shapes-coco"))  # doctest: +SKIP
    >>> from pycocotools.coco import COCO                 # doctest: +SKIP
    >>> len(COCO(str(path)).getImgIds()) == len(raw.items)  # doctest: +SKIP
    True
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from synapse_nb.formats._checks import check_names, check_objects, resolve_classes, source_paths
from synapse_nb.formats._coco_read import CROWD_TAG, read_coco
from synapse_nb.formats._files import Linker, check_new_folder, staged_folder
from synapse_nb.formats.raw import RawDataset, RawItem
from synapse_nb.formats.shapes import bitmap_area, polygon_area
from synapse_nb.schemas.project import Bitmap, LabelObject, Polygon

__all__ = ["ANNOTATIONS", "CROWD_TAG", "coco_documents", "read_coco", "write_coco"]

ANNOTATIONS = "annotations.json"


def _annotation(obj: LabelObject, ann_id: int, image_id: int, category_id: int) -> dict[str, Any] | None:
    geom = obj.geometry
    x1, y1, x2, y2 = geom.bbox()
    if x2 <= x1 or y2 <= y1:
        return None  # an empty mask has no box; COCO tools reject zero-size boxes
    segmentation: Any
    if isinstance(geom, Polygon):
        segmentation = [[round(c, 3) for point in ring for c in point] for ring in geom.rings()]
        area = polygon_area(geom)
    elif isinstance(geom, Bitmap):
        segmentation = {"size": list(geom.size), "counts": geom.counts}
        area = float(bitmap_area(geom))
    else:
        segmentation = []
        area = (x2 - x1) * (y2 - y1)
    ann = {
        "id": ann_id,
        "image_id": image_id,
        "category_id": category_id,
        "bbox": [round(x1, 3), round(y1, 3), round(x2 - x1, 3), round(y2 - y1, 3)],
        "area": round(area, 3),
        "iscrowd": 1 if CROWD_TAG in obj.tags else 0,
        "segmentation": segmentation,
    }
    if obj.attributes:
        ann["attributes"] = dict(obj.attributes)  # as CVAT and Label Studio write them
    return ann


def image_folders(raw: RawDataset) -> dict[int, str]:
    """The folder prefix of each dataset's file names: ``"<dataset>/"``, or none at all when
    every item is in one dataset (file names then stay as a single-folder COCO file has them).

    Example:
        >>> from synapse_nb.formats.raw import RawDatasetRef, RawMeta
        >>> image_folders(RawDataset(meta=RawMeta(project_name="p", classes=[], datasets=[RawDatasetRef(id=1, name="default")]), items=[]))
        {1: ''}
    """
    used = {item.dataset_id for item in raw.items} or {ref.id for ref in raw.meta.datasets}
    if len(used) <= 1:
        return {ref.id: "" for ref in raw.meta.datasets}
    return {ref.id: f"{ref.name}/" for ref in raw.meta.datasets}


def coco_documents(raw: RawDataset, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The COCO JSON documents of ``raw`` restricted to the classes ``names``, by file name:
    ``annotations.json`` always, ``annotations_train.json`` / ``annotations_val.json`` when
    any item carries a split. Annotation ids are stable: they follow item and object order.

    Example:
        >>> docs = coco_documents(raw, raw.class_names())  # doctest: +SKIP
        >>> sorted(docs)  # doctest: +SKIP
        ['annotations.json', 'annotations_train.json', 'annotations_val.json']
    """
    category = {name: i + 1 for i, name in enumerate(names)}
    folder = image_folders(raw)
    categories = [{"id": i, "name": name, "supercategory": ""} for name, i in category.items()]
    images: list[tuple[RawItem, dict[str, Any], list[dict[str, Any]]]] = []
    ann_id = 0
    for item in raw.items:
        record = {"id": item.id, "file_name": f"{folder[item.dataset_id]}{item.name}", "width": item.width, "height": item.height}
        anns = []
        for obj in item.objects:
            if obj.class_name not in category:
                continue
            ann_id += 1
            ann = _annotation(obj, ann_id, item.id, category[obj.class_name])
            if ann is not None:
                anns.append(ann)
        images.append((item, record, anns))

    def document(selected: list[tuple[RawItem, dict[str, Any], list[dict[str, Any]]]]) -> dict[str, Any]:
        return {
            "info": {"description": raw.meta.project_name, "version": str(raw.meta.content_version or "")},
            "licenses": [],
            "images": [record for _, record, _ in selected],
            "annotations": [a for _, _, anns in selected for a in anns],
            "categories": categories,
        }

    docs = {ANNOTATIONS: document(images)}
    if any(item.split is not None for item, _, _ in images):
        for side in ("train", "val"):
            docs[f"annotations_{side}.json"] = document([entry for entry in images if entry[0].split == side])
    return docs


def write_coco(raw: RawDataset, dest: Path, classes: list[str] | None = None, link: bool = True) -> Path:
    """Write ``raw`` as a COCO dataset in the new or empty folder ``dest``; return ``annotations.json``.

    ``classes`` selects classes (default all; an unknown name is an error listing the
    project's classes); other classes' objects are left out. Every shape is kept as it is
    (COCO holds boxes, polygons and masks). Images are hard links to the source files
    (copies across devices, or with ``link=False``). The export is built beside ``dest``
    and renamed into place: it is complete or absent.

    Example:
        >>> write_coco(raw, Path("/tmp/shapes-coco"), classes=["circle", "square"])  # doctest: +SKIP
        PosixPath('/tmp/shapes-coco/annotations.json')
    """
    names = resolve_classes(raw, classes)
    check_objects(raw, names, task=None, convert=True)
    check_names(raw)
    sources = source_paths(raw)
    dest = check_new_folder("dest", dest)
    linker = Linker(link)
    folder = image_folders(raw)
    with staged_folder(dest) as stage:
        (stage / "images").mkdir()
        for prefix in sorted({folder[item.dataset_id] for item in raw.items} - {""}):
            (stage / "images" / prefix).mkdir(parents=True)
        base = str(stage)
        for source, item in zip(sources, raw.items, strict=True):
            linker.place(source, f"{base}/images/{folder[item.dataset_id]}{item.name}")
        for file_name, doc in coco_documents(raw, names).items():
            (stage / file_name).write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    return dest / ANNOTATIONS
