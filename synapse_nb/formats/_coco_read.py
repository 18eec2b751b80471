"""Read a COCO instances JSON and its images folder into a raw dataset, images in place.

Example:
    >>> raw = read_coco(Path("coco/val2017"), Path("coco/annotations/instances_val2017.json"))  # doctest: +SKIP
    >>> raw.meta.classes[0].name  # doctest: +SKIP
    'person'
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from synapse_nb.errors import InputError
from synapse_nb.formats.palette import class_colour
from synapse_nb.formats.problems import Problems, verify_image
from synapse_nb.formats.raw import RawDataset, RawDatasetRef, RawItem, RawMeta
from synapse_nb.schemas.project import Bitmap, ClassMeta, ClassShape, LabelObject, Polygon, Rectangle

# An object tag that marks a COCO crowd region (iscrowd=1); the writer maps it back.
CROWD_TAG = "iscrowd"


def _load(annotations_json: Path) -> dict[str, Any]:
    try:
        doc = json.loads(annotations_json.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError("annotations_json", "valid JSON", got=str(annotations_json), hint=str(exc)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("images"), list) or not isinstance(doc.get("categories"), list):
        raise InputError("annotations_json", "a COCO document with 'images' and 'categories' lists", got=str(annotations_json))
    return doc


def _rle_geometry(seg: dict[str, Any], height: int, width: int, where: str) -> Bitmap:
    from pycocotools import mask as mask_utils  # lazy: only masks need it

    size = seg.get("size")
    counts = seg.get("counts")
    if not (isinstance(size, list) and len(size) == 2) or counts is None:
        raise InputError(where, "an RLE with 'size' [h, w] and 'counts'", got=seg)
    if isinstance(counts, list):  # uncompressed RLE (as COCO stores iscrowd regions)
        rle = mask_utils.frPyObjects(seg, size[0], size[1])
        counts = rle["counts"].decode("ascii")
    return Bitmap(size=(int(size[0]), int(size[1])), counts=str(counts))


def _geometry(ann: dict[str, Any], height: int, width: int, where: str) -> tuple[Rectangle | Polygon | Bitmap, str]:
    """The geometry of one annotation and the kind of segmentation it came from."""
    seg = ann.get("segmentation")
    if isinstance(seg, dict):
        return _rle_geometry(seg, height, width, where), "bitmap"
    if isinstance(seg, list) and seg:
        parts = [p for p in seg if isinstance(p, list) and len(p) >= 6 and len(p) % 2 == 0]
        if parts:
            # One object in several parts (an occluded car) stays one polygon with pieces.
            rings = [[(float(flat[i]), float(flat[i + 1])) for i in range(0, len(flat), 2)] for flat in parts]
            return Polygon(points=rings[0], pieces=rings[1:]), "polygon"
    bbox = ann.get("bbox")
    if not (isinstance(bbox, list) and len(bbox) == 4):
        raise InputError(where, "a 'bbox' [x, y, w, h] or a segmentation", got=ann.get("bbox"))
    x, y, w, h = (float(v) for v in bbox)
    if w <= 0 or h <= 0:
        raise InputError(f"{where}.bbox", "a box [x, y, w, h] with positive width and height", got=bbox)
    return Rectangle(x1=x, y1=y, x2=x + w, y2=y + h), "rectangle"


def _attributes(ann: dict[str, Any]) -> dict[str, Any]:
    """The annotation's ``attributes`` (CVAT: occluded, track_id...; Label Studio: its own), kept."""
    value = ann.get("attributes")
    return dict(value) if isinstance(value, dict) else {} if value is None else value


def read_coco(images_dir: Path, annotations_json: Path, name: str | None = None,
              problems: Problems | None = None) -> RawDataset:
    """Read a COCO dataset into a :class:`RawDataset`, images referenced in place.

    Categories become classes in id order; a class's shape is ``polygon`` when any of its
    annotations has a polygon segmentation, ``bitmap`` when any has an RLE, else
    ``rectangle``. Polygons become polygons (several parts of one object: one polygon with
``pieces``), annotations' ``attributes`` the objects' attributes,
    RLEs (compressed or not, crowd regions included: tagged ``iscrowd``) bitmaps, and
    annotations without a segmentation rectangles from their ``bbox``. Sub-folders in
    ``file_name`` become datasets (nested ones joined by ``-``), images without one go to
    dataset ``default``. Item ids are the COCO image ids; file names are kept.

    Every image is decoded and every annotation checked (a box of zero or negative size is an
    error naming its annotation id): a bad one raises an InputError naming the file, or, with
    ``problems`` in ``"skip"`` mode, its image is left out (with all its annotations) and listed.

    Example:
        >>> raw = read_coco(Path("shapes-coco/images"), Path("shapes-coco/annotations.json"))  # doctest: +SKIP
        >>> raw.items[0].image  # doctest: +SKIP
        '/.../shapes-coco/images/set-1/img_00000.jpg'
    """
    images_dir = Path(images_dir).expanduser().resolve()
    annotations_json = Path(annotations_json).expanduser().resolve()
    if not images_dir.is_dir():
        raise InputError("images_dir", "an existing folder of images", got=str(images_dir))
    if not annotations_json.is_file():
        raise InputError("annotations_json", "an existing COCO JSON file", got=str(annotations_json))
    doc = _load(annotations_json)

    categories: dict[int, str] = {}
    for k, cat in enumerate(sorted(doc["categories"], key=lambda c: c.get("id", 0))):
        if not isinstance(cat.get("id"), int) or not isinstance(cat.get("name"), str):
            raise InputError(f"categories[{k}]", "an integer 'id' and a 'name'", got=cat)
        if cat["name"] in categories.values():
            raise InputError(f"categories[{k}].name", "unique category names", got=cat["name"])
        categories[cat["id"]] = cat["name"]

    problems = problems if problems is not None else Problems("raise")
    records: dict[int, dict[str, Any]] = {}
    missing = []
    for k, img in enumerate(doc["images"]):
        image_id, file_name = img.get("id"), img.get("file_name")
        if not isinstance(image_id, int) or image_id in records or not isinstance(file_name, str):
            raise InputError(f"images[{k}]", "a unique integer 'id' and a 'file_name'", got=img)
        parts = Path(file_name).parts
        if not parts or Path(file_name).is_absolute() or ".." in parts:
            raise InputError(f"images[{k}].file_name", "a path relative to images_dir", got=file_name)
        path = images_dir / file_name
        if not path.is_file():
            missing.append(file_name)
        records[image_id] = {"path": path, "parts": parts, "width": img.get("width"), "height": img.get("height")}
    if missing and problems.on_error == "raise":
        raise InputError("images_dir", f"the image files named in {annotations_json.name}", got=f"{len(missing)} missing, e.g. {missing[:3]}")

    bad: set[int] = set()
    for image_id, record in records.items():
        try:
            width, height = verify_image(record["path"])
        except InputError as exc:
            problems.found(exc, record["path"])
            bad.add(image_id)
            continue
        if not record["width"] or not record["height"]:
            record["width"], record["height"] = width, height

    objects: dict[int, list[LabelObject]] = defaultdict(list)
    kinds: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for k, ann in enumerate(doc.get("annotations") or []):
        ann_id = ann.get("id")
        where = f"annotations[{k}]"
        record = records.get(ann.get("image_id"))  # type: ignore[arg-type]
        if record is None:
            raise InputError(f"{where}.image_id", "the id of an image in the file", got=ann.get("image_id"))
        image_id = ann["image_id"]
        if image_id in bad:
            continue
        try:
            class_name = categories.get(ann.get("category_id"))  # type: ignore[arg-type]
            if class_name is None:
                raise InputError(f"{where}.category_id", f"one of the category ids {sorted(categories)}",
                                 got=ann.get("category_id"))
            geometry, kind = _geometry(ann, int(record["height"]), int(record["width"]), where)
        except InputError as exc:
            named = InputError(exc.field, exc.expected, got=exc.got,
                               hint=f"annotation id {ann_id} of {annotations_json}, image {record['path']}")
            problems.found(named, record["path"], annotation_id=ann_id if isinstance(ann_id, int) else None)
            bad.add(image_id)
            continue
        kinds[image_id].append((class_name, kind))
        tags = [CROWD_TAG] if ann.get("iscrowd") else []
        try:
            obj = LabelObject(class_name=class_name, geometry=geometry, tags=tags, attributes=_attributes(ann))
        except ValueError as exc:
            problems.found(InputError(f"{where}.attributes", "a mapping of names to plain values (text, numbers, "
                                      "true/false, null)", got=ann.get("attributes"),
                                      hint=f"annotation id {ann_id} of {annotations_json}: {exc}"),
                           record["path"], annotation_id=ann_id if isinstance(ann_id, int) else None)
            bad.add(image_id)
            continue
        objects[image_id].append(obj)
    seen_kinds: dict[str, set[str]] = defaultdict(set)
    for image_id, pairs in kinds.items():
        if image_id not in bad:
            for class_name, kind in pairs:
                seen_kinds[class_name].add(kind)

    def shape_of(class_name: str) -> ClassShape:
        kinds = seen_kinds.get(class_name, set())
        return "polygon" if "polygon" in kinds else "bitmap" if "bitmap" in kinds else "rectangle"

    try:
        classes = [ClassMeta(name=n, shape=shape_of(n), color=class_colour(i), source_id=cat_id)
                   for i, (cat_id, n) in enumerate(categories.items())]
    except ValueError as exc:
        raise InputError("categories", "names without '/', '\\' or control characters", got=list(categories.values())) from exc

    dataset_ids: dict[str, int] = {}
    items = []
    for image_id, record in records.items():
        if image_id in bad:
            continue
        parts = record["parts"]
        dataset = "-".join(parts[:-1]) or "default"
        items.append(
            RawItem(
                id=image_id,
                name=parts[-1],
                dataset_id=dataset_ids.setdefault(dataset, len(dataset_ids) + 1),
                image=str(record["path"]),
                width=int(record["width"]),
                height=int(record["height"]),
                objects=objects.get(image_id, []),
                source_id=image_id,
            )
        )
    if not items:
        raise InputError("images_dir", "at least one readable image with valid annotations",
                         got=f"all {len(records)} skipped", hint=problems.skipped[0].reason if problems.skipped else None)
    default_name = annotations_json.parent.name if annotations_json.stem.startswith("annotations") else annotations_json.stem
    meta = RawMeta(
        project_name=name or default_name or "coco",
        classes=classes,
        datasets=[RawDatasetRef(id=i, name=n) for n, i in dataset_ids.items()],
    )
    return RawDataset(meta=meta, items=items)
