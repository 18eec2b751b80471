"""COCO metrics of a model's detections on the val split, computed by COCOeval.

The engine is faster-coco-eval by default (the COCOeval algorithm in C++) and pycocotools
on request (the cross-check; a test shows both give the same report). The same function
scores the PyTorch model and its ONNX export, so the two are compared on equal terms. mAP,
AP50, AP75 and the small/medium/large APs are COCOeval's own ``stats``; per-class APs and
the PR curves are read from its accumulated precision array; the best-F1 operating point
and every section of :mod:`.analysis` come from its per-detection matches at IoU 0.50.

Example:
    >>> gt = {"images": [{"id": 1, "width": 100, "height": 100}],
    ...       "categories": [{"id": 1, "name": "cat"}],
    ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50]}]}
    >>> dets = [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "score": 0.9}]
    >>> report = evaluate_detections(gt, dets)
    >>> report.map, report.f1, report.confidence_threshold
    (1.0, 1.0, 0.9)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from synapse_nb.benchmark import _coco_data, _engines
from synapse_nb.benchmark.analysis import (
    Calibration,
    ConfidenceProfile,
    ConfusionMatrix,
    GroundTruthObject,
    ImageRow,
    Localization,
    Match,
    Outcomes,
    calibration,
    confidence_profile,
    confusion_and_objects,
    localization,
    outcomes_at,
    per_image,
)
from synapse_nb.benchmark.curves import MAX_CURVE_POINTS, best_f1, downsample
from synapse_nb.errors import InputError

# pycocotools divides by (tp + fp + eps), so a perfect score reads 0.9999999999999998;
# reported APs are rounded to this many decimals (the raw values stay in ``stats``).
DECIMALS = 10

__all__ = [
    "ClassAP", "DECIMALS", "EvaluationCounts", "EvaluationReport", "PRCurve", "PRCurves",
    "evaluate_detections",
]


class ClassAP(BaseModel):
    """One class's AP. ``ap``/``ap50`` are None when the val split has no object of the class."""

    class_name: str
    category_id: int
    ap: float | None = Field(description="AP averaged over IoU 0.50:0.95")
    ap50: float | None = Field(description="AP at IoU 0.50")
    num_gt: int = Field(ge=0, description="ground-truth objects (crowd regions excluded)")
    num_det: int = Field(ge=0, description="detections submitted for this class")


class PRCurve(BaseModel):
    """Precision at recall points (IoU 0.50), as COCOeval interpolates it for AP."""

    name: str
    category_id: int | None = None
    recall: list[float] = Field(max_length=MAX_CURVE_POINTS)
    precision: list[float] = Field(max_length=MAX_CURVE_POINTS)


class PRCurves(BaseModel):
    """Per-class curves plus the mean over classes (whose area is AP50)."""

    overall: PRCurve
    per_class: list[PRCurve] = Field(default_factory=list)


class EvaluationCounts(BaseModel):
    images: int = Field(ge=0)
    gt_objects: int = Field(ge=0, description="non-crowd ground-truth objects")
    detections: int = Field(ge=0)


class EvaluationReport(BaseModel):
    """COCO metrics of one model on one split.

    ``precision``, ``recall`` and ``f1`` are taken at ``confidence_threshold``, the score
    threshold with the best F1 at IoU 0.50, pooling the detections of every class
    (micro-averaged) as matched by COCOeval (at most 100 detections per image and class).
    ``confidence_threshold`` is None when no detection matches any object. APs are
    COCOeval's, rounded to ``DECIMALS`` places; ``stats`` keeps its raw numbers.
    """

    model_config = ConfigDict(frozen=True)

    iou_type: Literal["bbox", "segm"] = "bbox"
    engine: str = Field(default="pycocotools", description="the COCOeval implementation that scored it")
    map: float = Field(description="mAP averaged over IoU 0.50:0.95")
    map50: float
    map75: float
    map_small: float | None = Field(default=None, description="None when no object is small (area < 32^2)")
    map_medium: float | None = None
    map_large: float | None = None
    precision: float = Field(ge=0.0, le=1.0)
    recall: float = Field(ge=0.0, le=1.0)
    f1: float = Field(ge=0.0, le=1.0)
    confidence_threshold: float | None = None
    per_class: list[ClassAP]
    pr_curve: PRCurves
    counts: EvaluationCounts
    primary_metric: Literal["map"] = "map"
    summary_text: str = Field(default="", description="what the COCO library printed while evaluating")
    stats: list[float] = Field(default_factory=list, description="COCOeval.stats, -1 where undefined")
    # The sections below come from the same COCO matching at IoU 0.50 (see .analysis); they
    # default to None only so that reports written before they existed still load.
    match_iou: float = Field(default=0.5, description="the IoU threshold of the matching behind every section")
    f1_optimal_confidence: float | None = Field(
        default=None, description="the confidence with the best F1 (the model's default threshold); None without a TP")
    mean_iou: float | None = Field(default=None, description="mean IoU of the true positives at the F1-optimal confidence")
    classification_accuracy: float | None = None
    ece: float | None = Field(default=None, description="expected calibration error")
    mce: float | None = Field(default=None, description="maximum calibration error")
    outcomes: Outcomes | None = None
    confusion_matrix: ConfusionMatrix | None = None
    localization: Localization | None = None
    calibration: Calibration | None = None
    confidence_profile: ConfidenceProfile | None = None
    per_image: list[ImageRow] | None = None

    def metrics(self) -> dict[str, float | None]:
        """The headline numbers as a flat dict (for experiment_info's evaluation_metrics).

        Example:
            >>> report.metrics()["map50"]  # doctest: +SKIP
            0.93
        """
        keys = ("map", "map50", "map75", "map_small", "map_medium", "map_large", "precision", "recall", "f1",
                "confidence_threshold", "f1_optimal_confidence", "mean_iou", "classification_accuracy", "ece", "mce")
        return {key: getattr(self, key) for key in keys}


def evaluate_detections(
    ground_truth: dict[str, Any] | Path | str,
    detections: list[dict[str, Any]],
    iou_type: Literal["bbox", "segm"] = "bbox",
    engine: _engines.Engine = "faster_coco_eval",
) -> EvaluationReport:
    """Score COCO detection results against COCO ground truth with COCOeval (``engine``).

    ``ground_truth`` is a COCO dict or the path of a COCO JSON file (e.g. the val split
    written by ``synapse_nb.formats.coco.write_coco``); ``detections`` are COCO results
    ``{"image_id", "category_id", "bbox": [x, y, w, h], "score"}`` (``segmentation`` instead
    of ``bbox`` for ``iou_type='segm'``). No detections give zeros. Detections for image or
    category ids the ground truth lacks, and ground truth without annotations, raise
    :class:`~synapse_nb.errors.InputError` before anything is computed. Neither input is
    modified. The library's printout is captured into ``report.summary_text``.

    Example:
        >>> gt = {"images": [{"id": 7, "width": 64, "height": 64}],
        ...       "categories": [{"id": 3, "name": "dog"}],
        ...       "annotations": [{"image_id": 7, "category_id": 3, "bbox": [0, 0, 20, 20]}]}
        >>> evaluate_detections(gt, []).map
        0.0
    """
    if iou_type not in ("bbox", "segm"):
        raise InputError("iou_type", "'bbox' or 'segm'", got=iou_type)
    if engine not in _engines.ENGINES:
        raise InputError("engine", "'faster_coco_eval' or 'pycocotools'", got=engine)
    gt_data = _coco_data.normalize_ground_truth(_coco_data.load_ground_truth(ground_truth), iou_type)
    prepared = _coco_data.check_detections(detections, gt_data, iou_type)

    result = _engines.evaluate(engine, gt_data, prepared, iou_type)
    return _report(result, gt_data, prepared, iou_type, engine)


def _report(result: _engines.EngineResult, gt_data: dict[str, Any], detections: list[dict[str, Any]],
            iou_type: Literal["bbox", "segm"], engine: str) -> EvaluationReport:
    stats = result.stats
    # precision[T, R, K, A, M]: IoU thresholds x recall thresholds x classes x areas x maxDets;
    # area 0 is "all", the last maxDets entry is 100, IoU index 0 is 0.50.
    precision = result.precision[:, :, :, 0, -1]
    iou50 = int(np.argmin(np.abs(result.iou_thresholds - 0.5)))
    recall_points = np.round(np.asarray(result.recall_thresholds, dtype=float), 6)

    names = {cat["id"]: str(cat.get("name", cat["id"])) for cat in gt_data["categories"]}
    num_gt = Counter(ann["category_id"] for ann in gt_data["annotations"] if not ann["iscrowd"])
    num_det = Counter(det["category_id"] for det in detections)
    per_class: list[ClassAP] = []
    curves: list[PRCurve] = []
    valid_curves: list[np.ndarray] = []
    for k, category_id in enumerate(result.category_ids):
        all_iou = precision[:, :, k]
        at50 = precision[iou50, :, k]
        has_gt = bool((all_iou > -1).any())
        per_class.append(
            ClassAP(
                class_name=names[category_id],
                category_id=category_id,
                ap=_round(float(all_iou[all_iou > -1].mean())) if has_gt else None,
                ap50=_round(float(at50[at50 > -1].mean())) if has_gt else None,
                num_gt=num_gt.get(category_id, 0),
                num_det=num_det.get(category_id, 0),
            )
        )
        if has_gt:
            valid_curves.append(at50)
            r, p = downsample(recall_points, np.round(at50, 6))
            curves.append(PRCurve(name=names[category_id], category_id=category_id, recall=r, precision=p))
    overall = np.mean(valid_curves, axis=0) if valid_curves else np.zeros_like(recall_points)
    r, p = downsample(recall_points, np.round(overall, 6))

    # One canonical order (detection order), so that both engines give the same sections.
    matches = sorted(result.matches, key=lambda m: m.det_id)
    scores = np.array([m.score for m in matches], dtype=float)
    is_tp = np.array([m.gt_id is not None for m in matches], dtype=bool)
    point = best_f1(scores, is_tp, sum(num_gt.values()))
    sections = _sections(matches, gt_data, detections, iou_type, names, point.confidence)

    def area_ap(value: float) -> float | None:
        return None if value < 0 else _round(value)  # COCOeval's -1: no object in that area range

    return EvaluationReport(
        iou_type=iou_type,
        engine=engine,
        map=_round(max(stats[0], 0.0)),
        map50=_round(max(stats[1], 0.0)),
        map75=_round(max(stats[2], 0.0)),
        map_small=area_ap(stats[3]),
        map_medium=area_ap(stats[4]),
        map_large=area_ap(stats[5]),
        precision=point.precision,
        recall=point.recall,
        f1=point.f1,
        confidence_threshold=point.confidence,
        per_class=per_class,
        pr_curve=PRCurves(overall=PRCurve(name="all classes", recall=r, precision=p), per_class=curves),
        counts=EvaluationCounts(images=len(gt_data["images"]), gt_objects=sum(num_gt.values()), detections=len(detections)),
        summary_text=result.printed,
        stats=stats,
        **sections,
    )


def _true_positive_ious(raw: list[_engines.RawMatch], det_geometry: dict[int, Any], gt_geometry: dict[int, Any],
                        iou_type: str, pair_iou: Callable[[Any, Any], float]) -> dict[int, float]:
    """index in ``raw`` -> IoU of the detection with its matched object (true positives only),
    rounded to 6 digits; boxes in one vectorised pass, masks pair by pair with ``pair_iou``."""
    indices = [index for index, m in enumerate(raw) if m.gt_id]
    if not indices:
        return {}
    if iou_type == "bbox":
        det = np.asarray([det_geometry[raw[i].det_id] for i in indices], dtype=float).reshape(-1, 4)
        gt = np.asarray([gt_geometry[raw[i].gt_id] for i in indices], dtype=float).reshape(-1, 4)
        # COCO's box IoU ([x, y, w, h]), as pycocotools' mask.iou computes it for each pair.
        inter_w = np.clip(np.minimum(det[:, 0] + det[:, 2], gt[:, 0] + gt[:, 2]) - np.maximum(det[:, 0], gt[:, 0]), 0, None)
        inter_h = np.clip(np.minimum(det[:, 1] + det[:, 3], gt[:, 1] + gt[:, 3]) - np.maximum(det[:, 1], gt[:, 1]), 0, None)
        inter = inter_w * inter_h
        union = det[:, 2] * det[:, 3] + gt[:, 2] * gt[:, 3] - inter
        values = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    else:
        values = np.asarray([pair_iou(det_geometry[raw[i].det_id], gt_geometry[raw[i].gt_id]) for i in indices])
    return {index: round(float(value), 6) for index, value in zip(indices, values)}


def _sections(raw: list[_engines.RawMatch], gt_data: dict[str, Any], detections: list[dict[str, Any]], iou_type: str,
              names: dict[int, str], optimum: float | None) -> dict[str, Any]:
    """Every matching-derived section, from the engine's own matches at IoU 0.50 (area 'all')."""
    from pycocotools import mask as mask_utils

    geometry_key = "bbox" if iou_type == "bbox" else "segmentation"
    gt_geometry = {ann["id"]: ann[geometry_key] for ann in gt_data["annotations"]}
    det_geometry = {det["id"]: det[geometry_key] for det in detections}

    def iou(det_geom: Any, gt_geom: Any) -> float:
        if iou_type == "bbox":
            value = mask_utils.iou(np.asarray([det_geom], dtype=float), np.asarray([gt_geom], dtype=float), [0])
        else:
            value = mask_utils.iou([det_geom], [gt_geom], [0])
        return float(np.asarray(value).ravel()[0])

    tp_ious = _true_positive_ious(raw, det_geometry, gt_geometry, iou_type, iou)
    # Positional (image_id, category_id, score, gt_id, iou, det_id): one per detection, and
    # keyword construction costs a third more.
    matches = [Match(m.image_id, m.category_id, m.score, m.gt_id, tp_ious.get(index), m.det_id - 1)
               for index, m in enumerate(raw)]
    gts = [GroundTruthObject(gt_id=ann["id"], image_id=ann["image_id"], category_id=ann["category_id"])
           for ann in gt_data["annotations"] if not ann["iscrowd"]]
    # Without any true positive there is no optimum: every detection is kept, so the FPs show.
    threshold = optimum if optimum is not None else 0.0
    matrix, objects = confusion_and_objects(
        matches, gts, threshold, names, lambda m, g: iou(det_geometry[m.det_id + 1], gt_geometry[g.gt_id]))

    def box(geom: Any) -> list[float]:
        values = geom if iou_type == "bbox" else mask_utils.toBbox(geom).tolist()
        return [round(float(v), 3) for v in values]

    for items in objects.values():
        for index, item in enumerate(items):
            items[index] = item.model_copy(update={
                "gt_bbox": box(gt_geometry[item.gt_id]) if item.gt_id is not None else None,
                "det_bbox": box(det_geometry[item.det_id + 1]) if item.det_id is not None else None})
    located = localization(matches, threshold)
    calibrated = calibration(matches)
    return {
        "f1_optimal_confidence": optimum,
        "mean_iou": located.mean_iou,
        "classification_accuracy": matrix.classification_accuracy,
        "ece": calibrated.ece,
        "mce": calibrated.mce,
        "outcomes": outcomes_at(matches, gts, threshold, names),
        "confusion_matrix": matrix,
        "localization": located,
        "calibration": calibrated,
        "confidence_profile": confidence_profile(matches, len(gts), optimum),
        "per_image": per_image(gt_data["images"], objects),
    }


def _round(value: float) -> float:
    return round(value, DECIMALS)
