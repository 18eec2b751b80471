"""Raw dataset <-> COCO instances JSON.

Written layout (original file names kept)::

    <dest>/images/<dataset>/<name>           (<dest>/images/<name> when there is one dataset)
    <dest>/annotations.json                  every item
    <dest>/annotations_train.json            only when items carry a split
    <dest>/annotations_val.json

Image and category ids are those of the file the project was imported from (a COCO
import), else the item ids and 1..N in class order; ids that would repeat (two imported
files) are renumbered, listed in ``info.renumbered_images``; boxes are ``[x, y, w, h]``;
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
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from synapse_nb.formats._checks import check_names, check_objects, resolve_classes, source_paths
from synapse_nb.formats._coco_read import CROWD_TAG, read_coco
from synapse_nb.formats._files import Linker, check_new_folder, staged_folder
from synapse_nb.formats.raw import RawDataset, RawItem
from synapse_nb.formats.shapes import bitmap_area, polygon_area
from synapse_nb.schemas.project import Bitmap, LabelObject, Polygon

__all__ = [
    "ANNOTATIONS", "CROWD_TAG", "coco_documents", "image_folders", "kept_ids", "read_coco", "write_coco",
]

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


def kept_ids(wanted: Sequence[int]) -> tuple[list[int], dict[int, tuple[int, int]]]:
    """Each wanted id kept, except where it repeats (items of two datasets imported from two
    files): the repeats get fresh ids above every wanted one. Returns the ids and
    ``{position: (wanted, given)}`` for the renumbered.

    Example:
        >>> kept_ids([7, 3, 7])
        ([7, 3, 8], {2: (7, 8)})
    """
    seen: set[int] = set()
    fresh = max(wanted, default=0)
    ids, renumbered = [], {}
    for position, value in enumerate(wanted):
        if value in seen:
            fresh += 1
            renumbered[position] = (value, fresh)
            value = fresh
        seen.add(value)
        ids.append(value)
    return ids, renumbered


def _category_ids(raw: RawDataset, names: Sequence[str], keep: bool) -> dict[str, int]:
    by_name = {c.name: c.source_id for c in raw.meta.classes}
    wanted = [by_name.get(n) for n in names]
    if keep and all(isinstance(v, int) and v > 0 for v in wanted) and len(set(wanted)) == len(wanted):
        return dict(zip(names, wanted))  # type: ignore[arg-type]
    return {name: i + 1 for i, name in enumerate(names)}


def coco_documents(raw: RawDataset, names: Sequence[str], folders: dict[int, str] | None = None,
                   keep_source_ids: bool = False) -> dict[str, dict[str, Any]]:
    """The COCO JSON documents of ``raw`` restricted to the classes ``names``, by file name:
    ``annotations.json`` always, ``annotations_train.json`` / ``annotations_val.json`` when
    any item carries a split. Annotation ids are stable: they follow item and object order.
    ``folders`` gives each dataset's file-name prefix (default ``"<dataset>/"``).

    Example:
        >>> docs = coco_documents(raw, raw.class_names())  # doctest: +SKIP
        >>> sorted(docs)  # doctest: +SKIP
        ['annotations.json', 'annotations_train.json', 'annotations_val.json']
    """
    category = _category_ids(raw, names, keep_source_ids)
    wanted = [item.source_id if keep_source_ids and item.source_id is not None else item.id for item in raw.items]
    image_ids, renumbered = kept_ids(wanted)
    # The training cache keeps every image below its dataset's folder; an export may not.
    folder = folders if folders is not None else {ref.id: f"{ref.name}/" for ref in raw.meta.datasets}
    categories = [{"id": i, "name": name, "supercategory": ""} for name, i in category.items()]
    images: list[tuple[RawItem, dict[str, Any], list[dict[str, Any]]]] = []
    ann_id = 0
    for item, image_id in zip(raw.items, image_ids, strict=True):
        record = {"id": image_id, "file_name": f"{folder[item.dataset_id]}{item.name}", "width": item.width, "height": item.height}
        anns = []
        for obj in item.objects:
            if obj.class_name not in category:
                continue
            ann_id += 1
            ann = _annotation(obj, ann_id, image_id, category[obj.class_name])
            if ann is not None:
                anns.append(ann)
        images.append((item, record, anns))

    info: dict[str, Any] = {"description": raw.meta.project_name, "version": str(raw.meta.content_version or "")}
    if renumbered:
        # Said in the file itself: which images could not keep their id, and what they got.
        info["renumbered_images"] = [{"file_name": images[pos][1]["file_name"], "id_in_source": old_id, "id": new_id}
                                     for pos, (old_id, new_id) in renumbered.items()]

    def document(selected: list[tuple[RawItem, dict[str, Any], list[dict[str, Any]]]]) -> dict[str, Any]:
        return {
            "info": info,
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
        docs = coco_documents(raw, names, folder, keep_source_ids=True)
        renumbered = docs[ANNOTATIONS]["info"].get("renumbered_images")
        if renumbered:
            warnings.warn(f"{len(renumbered)} image ids repeat across datasets and were renumbered "
                          f"(annotations.json info.renumbered_images lists them)", UserWarning, stacklevel=2)
        for file_name, doc in docs.items():
            (stage / file_name).write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    return dest / ANNOTATIONS
