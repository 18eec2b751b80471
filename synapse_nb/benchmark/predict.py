"""Run a YOLO model (``.pt`` or ``.onnx``) over a COCO split and return COCO detection results.

Class ids are matched by name, never by position: the model's class index gives a name,
the name gives the ground truth's category id. A model class the split does not have is
skipped (and logged); a split class the model does not know simply gets no detections, so
it counts as missed in the evaluation.

Example:
    >>> detections = predict_coco("best.onnx", "val/annotations.json", Path("val/images"), imgsz=640)  # doctest: +SKIP
    >>> detections[0]  # doctest: +SKIP
    {'image_id': 1, 'category_id': 3, 'bbox': [10.5, 20.0, 40.2, 33.1], 'score': 0.91}
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from synapse_nb.benchmark import _coco_data
from synapse_nb.benchmark._ultralytics import check_model_path, class_names_of, load_yolo
from synapse_nb.errors import InputError

__all__ = ["coco_image_paths", "predict_coco"]

logger = logging.getLogger(__name__)


def coco_image_paths(coco_gt: dict[str, Any] | Path | str, images_dir: Path | str) -> list[Path]:
    """The file of every image of a COCO split, in its order; raises if any is missing.

    Use it to feed the speed test the val split's images and nothing else.

    Example:
        >>> coco = {"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": [], "categories": []}
        >>> coco_image_paths(coco, "/data/val/images")  # doctest: +SKIP
        [PosixPath('/data/val/images/a.jpg')]
    """
    data = _coco_data.load_ground_truth(coco_gt)
    return [path for _, path in _image_files(data, Path(images_dir))]


def predict_coco(
    model_or_path: Any,
    coco_gt: dict[str, Any] | Path | str,
    images_dir: Path | str,
    imgsz: int,
    conf: float = 0.001,
    iou: float = 0.6,
    class_names: list[str] | None = None,
    *,
    batch: int = 8,
    max_det: int = 100,
    device: str = "cpu",
    masks: bool = False,
) -> list[dict[str, Any]]:
    """Predict every image of ``coco_gt`` and return COCO results for :func:`evaluate_detections`.

    ``model_or_path`` is an ultralytics YOLO model or a ``.pt`` / ``.onnx`` file (run by
    ultralytics' AutoBackend: PyTorch or onnxruntime). ``images_dir`` holds the files named
    by the images' ``file_name``. ``class_names`` are the model's classes by index (default:
    the model's own names). ``conf`` is low on purpose: mAP needs the whole ranking, not
    only confident boxes. ``max_det`` matches COCOeval's 100 detections per image.
    Everything is checked (model file, images present, classes) before the first prediction.
    With ``masks=True`` (instance segmentation) each result also carries its mask as COCO
    polygons (``segmentation``), so the same detections score boxes and masks
    (``evaluate_detections(..., iou_type='segm')``).

    Example:
        >>> from synapse_nb.benchmark import evaluate_detections
        >>> dets = predict_coco("best.pt", "val.json", "val/images", imgsz=640)  # doctest: +SKIP
        >>> evaluate_detections("val.json", dets).map50  # doctest: +SKIP
        0.91
    """
    check_model_path(model_or_path)
    if not isinstance(imgsz, int) or isinstance(imgsz, bool) or imgsz < 32:
        raise InputError("imgsz", "an integer image size of at least 32", got=imgsz)
    if not 0.0 <= conf <= 1.0:
        raise InputError("conf", "a confidence between 0 and 1", got=conf)
    if not 0.0 < iou <= 1.0:
        raise InputError("iou", "an NMS IoU in (0, 1]", got=iou)
    if batch < 1 or max_det < 1:
        raise InputError("batch" if batch < 1 else "max_det", "a positive integer", got=min(batch, max_det))
    data = _coco_data.load_ground_truth(coco_gt)
    if not data["images"]:
        raise InputError("coco_gt.images", "at least one image")
    files = _image_files(data, Path(images_dir))

    model = load_yolo(model_or_path)
    names = list(class_names) if class_names is not None else class_names_of(model)
    category_of = _category_map(names, data["categories"])

    detections: list[dict[str, Any]] = []
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        results = model.predict(
            [str(path) for _, path in chunk],
            imgsz=imgsz, conf=conf, iou=iou, max_det=max_det, device=device, batch=len(chunk), verbose=False, save=False,
        )
        for (image_id, _), result in zip(chunk, results, strict=True):
            detections.extend(_to_coco(result, image_id, category_of, masks))
    return detections


def _image_files(data: dict[str, Any], images_dir: Path) -> list[tuple[Any, Path]]:
    if not images_dir.is_dir():
        raise InputError("images_dir", "a folder holding the split's images", got=str(images_dir))
    files, missing = [], []
    for image in data["images"]:
        name = image.get("file_name")
        path = images_dir / name if name else None
        if path is None or not path.is_file():
            missing.append(name)
        else:
            files.append((image["id"], path))
    if missing:
        raise InputError("images_dir", f"every image of the split under {images_dir}", got=missing[:10],
                         hint=f"{len(missing)} of {len(data['images'])} image files missing")
    return files


def _category_map(names: list[str], categories: list[dict[str, Any]]) -> dict[int, int]:
    """Model class index -> ground-truth category id, by class name."""
    by_name: dict[str, int] = {}
    for category in categories:
        name = str(category.get("name"))
        if name in by_name:
            raise InputError("coco_gt.categories", "unique category names", got=name)
        by_name[name] = category["id"]
    mapping = {index: by_name[name] for index, name in enumerate(names) if name in by_name}
    skipped = [name for name in names if name not in by_name]
    if not mapping:
        raise InputError("class_names", "at least one model class named like a category of the split",
                         got=names[:10], hint=f"split categories: {sorted(by_name)[:10]}")
    if skipped:
        logger.warning("model classes not in the split, their detections are skipped: %s", skipped)
    unknown = sorted(set(by_name) - set(names))
    if unknown:
        logger.warning("split classes the model does not predict, counted as missed: %s", unknown)
    return mapping


def _polygon(points: Any) -> list[list[float]]:
    """An ultralytics mask outline (N x 2, image pixels) as a COCO polygon; [] if degenerate."""
    flat = [round(float(v), 2) for point in points for v in point]
    return [flat] if len(flat) >= 6 else []


def _to_coco(result: Any, image_id: Any, category_of: dict[int, int], masks: bool = False) -> list[dict[str, Any]]:
    boxes = getattr(result, "boxes", None)
    if boxes is None or len(boxes) == 0:
        return []
    outlines: list[Any] | None = None
    if masks:
        if getattr(result, "masks", None) is None:
            raise InputError("masks", "a model that predicts masks (an instance segmentation model)", got=True)
        outlines = list(result.masks.xy)
    xyxy = boxes.xyxy.cpu().numpy().tolist()
    scores = boxes.conf.cpu().numpy().tolist()
    classes = boxes.cls.cpu().numpy().astype(int).tolist()
    out = []
    for index, ((x1, y1, x2, y2), score, cls) in enumerate(zip(xyxy, scores, classes, strict=True)):
        category_id = category_of.get(cls)
        if category_id is None:
            continue
        det = {
            "image_id": image_id,
            "category_id": category_id,
            "bbox": [round(x1, 3), round(y1, 3), round(x2 - x1, 3), round(y2 - y1, 3)],
            "score": round(float(score), 5),
        }
        if outlines is not None:
            # A box whose mask vanished (too small at this image size) keeps its box score;
            # for masks it is an empty polygon, i.e. a detection that covers nothing.
            det["segmentation"] = _polygon(outlines[index]) if index < len(outlines) else []
        out.append(det)
    return out
