"""Check ground truth and detections, then hand them to pycocotools as COCO objects.

Everything is checked before pycocotools sees it, because pycocotools answers bad input
with a bare ``assert`` or a ``KeyError`` deep in its loops. The caller's dicts are never
modified: pycocotools writes ``id``, ``area`` and ``iscrowd`` into what it is given, so it
gets copies.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from synapse_nb.errors import InputError

IouType = Literal["bbox", "segm"]
_SHOWN = 10  # how many offending ids an error message lists


def _first(values: Sequence[Any] | set[Any]) -> list[Any]:
    return sorted(values, key=repr)[:_SHOWN]


def load_ground_truth(ground_truth: dict[str, Any] | Path | str) -> dict[str, Any]:
    """Read a COCO ground-truth file (or copy a dict) and check its shape."""
    if isinstance(ground_truth, (str, Path)):
        path = Path(ground_truth)
        if not path.is_file():
            raise InputError("ground_truth", "a COCO annotations JSON file", got=str(path))
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputError("ground_truth", "valid JSON", got=str(path), hint=str(exc)) from exc
    elif isinstance(ground_truth, dict):
        data = _copy_records(ground_truth)
    else:
        raise InputError("ground_truth", "a COCO dict or the path of a COCO JSON file", got=type(ground_truth).__name__)
    if not isinstance(data, dict):
        raise InputError("ground_truth", "a JSON object with images, annotations and categories", got=type(data).__name__)
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise InputError(f"ground_truth.{key}", "a list", got=type(data.get(key)).__name__)
    return data


def _copy_records(ground_truth: dict[str, Any]) -> dict[str, Any]:
    """A copy of a COCO dict that the evaluation may write into: every image, annotation and
    category dict is new (ids, ``area``, ``iscrowd`` and the evaluators' own keys are set on
    those), what they hold is shared and only read (a deep copy of 50,000 boxes cost a tenth
    of the whole evaluation)."""
    data = dict(ground_truth)
    for key in ("images", "annotations", "categories"):
        records = data.get(key)
        if isinstance(records, list):
            data[key] = [dict(record) if isinstance(record, dict) else copy.deepcopy(record) for record in records]
    return data


def normalize_ground_truth(data: dict[str, Any], iou_type: IouType) -> dict[str, Any]:
    """Fill what COCOeval needs (``area``, ``iscrowd``, nonzero unique ids) in a copy."""
    image_ids = [img.get("id") for img in data["images"]]
    if any(i is None for i in image_ids) or len(set(image_ids)) != len(image_ids):
        raise InputError("ground_truth.images", "images with unique ids")
    category_ids = [cat.get("id") for cat in data["categories"]]
    if any(c is None for c in category_ids) or len(set(category_ids)) != len(category_ids):
        raise InputError("ground_truth.categories", "categories with unique ids")
    known_images, known_categories = set(image_ids), set(category_ids)
    annotations = data["annotations"]
    if not annotations or all(ann.get("iscrowd", 0) for ann in annotations):
        raise InputError(
            "ground_truth.annotations",
            "at least one annotated object",
            got=f"{len(annotations)} annotations",
            hint="a split whose images carry no labels cannot be evaluated",
        )
    unknown_images = {ann.get("image_id") for ann in annotations} - known_images
    if unknown_images:
        raise InputError("ground_truth.annotations", "image ids listed under images", got=_first(unknown_images))
    unknown_categories = {ann.get("category_id") for ann in annotations} - known_categories
    if unknown_categories:
        raise InputError("ground_truth.annotations", "category ids listed under categories", got=_first(unknown_categories))
    images = {img["id"]: img for img in data["images"]}
    for index, ann in enumerate(annotations):
        # pycocotools treats a match with annotation id 0 as "no match", so ids are renumbered.
        ann["id"] = index + 1
        ann["iscrowd"] = int(ann.get("iscrowd", 0))
        if iou_type == "bbox":
            _check_bbox(ann.get("bbox"), f"ground_truth.annotations[{index}].bbox")
        else:
            if not ann.get("segmentation"):
                if ann.get("bbox") is None:
                    raise InputError(f"ground_truth.annotations[{index}].segmentation", "a polygon, an RLE mask or a bbox for iou_type='segm'")
                # A rectangle (written with an empty segmentation) is its own mask.
                x, y, w, h = _check_bbox(ann["bbox"], f"ground_truth.annotations[{index}].bbox")
                ann["segmentation"] = [[x, y, x + w, y, x + w, y + h, x, y + h]]
            ann["segmentation"] = _to_rle(ann["segmentation"], images[ann["image_id"]], f"ground_truth.annotations[{index}]")
        if "area" not in ann:
            ann["area"] = _area(ann, iou_type)
    return data


def check_detections(detections: list[dict[str, Any]], ground_truth: dict[str, Any], iou_type: IouType) -> list[dict[str, Any]]:
    """Check every detection against the ground truth and return COCOeval-ready copies."""
    if not isinstance(detections, list):
        raise InputError("detections", "a list of COCO detection results", got=type(detections).__name__)
    known_images = {img["id"] for img in ground_truth["images"]}
    known_categories = {cat["id"] for cat in ground_truth["categories"]}
    unknown_images: set[Any] = set()
    unknown_categories: set[Any] = set()
    images = {img["id"]: img for img in ground_truth["images"]}
    prepared: list[dict[str, Any]] = []
    for index, det in enumerate(detections):
        field = f"detections[{index}]"
        if not isinstance(det, dict):
            raise InputError(field, "a dict with image_id, category_id, score and bbox", got=type(det).__name__)
        for key in ("image_id", "category_id", "score"):
            if key not in det:
                raise InputError(f"{field}.{key}", "a value", got=None, hint=f"keys present: {sorted(det)}")
        score = det["score"]
        if not isinstance(score, (int, float)) or isinstance(score, bool) or not math.isfinite(score):
            raise InputError(f"{field}.score", "a finite number", got=score)
        if det["image_id"] not in known_images:
            unknown_images.add(det["image_id"])
        if det["category_id"] not in known_categories:
            unknown_categories.add(det["category_id"])
        item = {"image_id": det["image_id"], "category_id": det["category_id"], "score": float(score)}
        if iou_type == "bbox":
            item["bbox"] = _check_bbox(det.get("bbox"), f"{field}.bbox")
            item["area"] = item["bbox"][2] * item["bbox"][3]
        else:
            if not det.get("segmentation"):
                raise InputError(f"{field}.segmentation", "a polygon or RLE mask for iou_type='segm'")
            if det["image_id"] in images:
                item["segmentation"] = _to_rle(det["segmentation"], images[det["image_id"]], field)
                item["area"] = _area(item, "segm")
        item["iscrowd"] = 0
        item["id"] = index + 1
        prepared.append(item)
    # Name every unknown id at once: a run with a stale class map is fixed in one go.
    if unknown_images:
        raise InputError("detections.image_id", "image ids of the ground truth", got=_first(unknown_images),
                         hint=f"{len(unknown_images)} unknown image id(s); evaluate on the split the detections came from")
    if unknown_categories:
        raise InputError("detections.category_id", "category ids of the ground truth", got=_first(unknown_categories),
                         hint=f"{len(unknown_categories)} unknown category id(s); map model classes to ground-truth categories by name")
    return prepared


def build_coco(dataset: dict[str, Any], printed: io.StringIO) -> Any:
    """A pycocotools ``COCO`` over ``dataset``, its progress prints captured in ``printed``."""
    from pycocotools.coco import COCO

    with contextlib.redirect_stdout(printed):
        coco = COCO()
        coco.dataset = dataset
        coco.createIndex()
    return coco


def results_dataset(ground_truth: dict[str, Any], detections: list[dict[str, Any]]) -> dict[str, Any]:
    """The dataset of a results ``COCO``, as ``COCO.loadRes`` would build it (empty list allowed)."""
    return {
        "images": list(ground_truth["images"]),
        "categories": copy.deepcopy(ground_truth["categories"]),
        "annotations": detections,
    }


def _check_bbox(bbox: Any, field: str) -> list[float]:
    # Called once per detection (tens of thousands): unpacked, not looped, and the four
    # finiteness checks folded into one (a sum is finite only if every term is, short of
    # overflow at ~1e308, which no image coordinate reaches).
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
        raise InputError(field, "[x, y, width, height]", got=bbox)
    try:
        x, y, width, height = float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3])
    except (TypeError, ValueError) as exc:
        raise InputError(field, "four numbers [x, y, width, height]", got=bbox) from exc
    if not math.isfinite(x + y + width + height) or width < 0 or height < 0:
        raise InputError(field, "finite numbers with width and height >= 0", got=bbox)
    return [x, y, width, height]


def _to_rle(segmentation: Any, image: dict[str, Any], field: str) -> Any:
    from pycocotools import mask as mask_utils

    height, width = image.get("height"), image.get("width")
    if isinstance(segmentation, dict) and isinstance(segmentation.get("counts"), (str, bytes)):
        return segmentation  # already compressed RLE
    if not height or not width:
        raise InputError(f"ground_truth.images[id={image.get('id')}]", "height and width, needed to rasterise masks")
    try:
        if isinstance(segmentation, list):
            return mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
        return mask_utils.frPyObjects(segmentation, height, width)  # uncompressed RLE
    except (TypeError, ValueError, IndexError) as exc:
        raise InputError(f"{field}.segmentation", "polygons [[x1, y1, x2, y2, ...]] or an RLE dict", hint=str(exc)) from exc


def _area(ann: dict[str, Any], iou_type: IouType) -> float:
    if iou_type == "segm":
        from pycocotools import mask as mask_utils

        return float(mask_utils.area(ann["segmentation"]))
    return float(ann["bbox"][2] * ann["bbox"][3])
