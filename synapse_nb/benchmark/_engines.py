"""The COCO evaluation itself, by faster-coco-eval (default) or pycocotools (the cross-check).

Both run the same COCOeval algorithm; faster-coco-eval does matching and accumulation in
C++ (its stats agree with pycocotools' to the last float bit or two, a test checks it on
our fixtures). Each engine returns the same :class:`EngineResult`: COCOeval's ``stats``,
its accumulated ``precision`` array, its parameters, and its own per-detection matches at
IoU 0.50 (area 'all', at most ``maxDets[-1]`` detections per image and class), which feed
every matching-derived section of the report.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from synapse_nb.benchmark import _coco_data
from synapse_nb.errors import InputError, MissingDependency

Engine = Literal["faster_coco_eval", "pycocotools"]
ENGINES: tuple[str, ...] = ("faster_coco_eval", "pycocotools")


@dataclass(frozen=True)
class RawMatch:
    """One detection COCOeval kept: matched ground-truth id (None: false positive)."""

    image_id: Any
    category_id: int
    score: float
    gt_id: int | None
    det_id: int  # the prepared detection's id (its index + 1)


@dataclass(frozen=True)
class EngineResult:
    stats: list[float]
    precision: np.ndarray  # [T, R, K, A, M]
    iou_thresholds: np.ndarray
    recall_thresholds: np.ndarray
    category_ids: list[int]
    matches: list[RawMatch]  # at IoU 0.50; crowd-matched detections left out, as COCO ignores them
    printed: str


def evaluate(engine: str, gt_data: dict[str, Any], detections: list[dict[str, Any]], iou_type: str) -> EngineResult:
    """Run COCOeval with ``engine`` on checked ground truth and detections."""
    if engine not in ENGINES:
        raise InputError("engine", "'faster_coco_eval' or 'pycocotools'", got=engine)
    if engine == "pycocotools":
        return _pycocotools(gt_data, detections, iou_type)
    return _faster(gt_data, detections, iou_type)


def _iou50(thresholds: Any) -> int:
    return int(np.argmin(np.abs(np.asarray(thresholds, dtype=float) - 0.5)))


def _pycocotools(gt_data: dict[str, Any], detections: list[dict[str, Any]], iou_type: str) -> EngineResult:
    from pycocotools.cocoeval import COCOeval

    printed = io.StringIO()
    coco_gt = _coco_data.build_coco(gt_data, printed)
    coco_dt = _coco_data.build_coco(_coco_data.results_dataset(gt_data, detections), printed)
    evaluator = COCOeval(coco_gt, coco_dt, iouType=iou_type)
    with contextlib.redirect_stdout(printed):
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    params = evaluator.params
    iou50 = _iou50(params.iouThrs)
    area_all = list(params.areaRng[0])
    matches: list[RawMatch] = []
    for entry in evaluator.evalImgs:
        if entry is None or list(entry["aRng"]) != area_all:
            continue
        det_matches = np.asarray(entry["dtMatches"])
        det_ignored = np.asarray(entry["dtIgnore"])
        for k, (det_id, score) in enumerate(zip(entry["dtIds"], entry["dtScores"], strict=True)):
            if det_ignored[iou50, k]:
                continue  # matched to a crowd region: COCO neither rewards nor punishes it
            matches.append(RawMatch(entry["image_id"], entry["category_id"], float(score),
                                    int(det_matches[iou50, k]) or None, int(det_id)))
    return EngineResult(
        stats=[float(s) for s in evaluator.stats], precision=evaluator.eval["precision"],
        iou_thresholds=np.asarray(params.iouThrs), recall_thresholds=np.asarray(params.recThrs),
        category_ids=list(params.catIds), matches=matches, printed=printed.getvalue())


def _faster(gt_data: dict[str, Any], detections: list[dict[str, Any]], iou_type: str) -> EngineResult:
    try:
        from faster_coco_eval import COCO, COCOeval_faster
    except ModuleNotFoundError as exc:
        if exc.name != "faster_coco_eval":
            raise
        raise MissingDependency("evaluating with engine='faster_coco_eval'", "faster-coco-eval") from exc

    printed = io.StringIO()

    def build(dataset: dict[str, Any]) -> Any:
        coco = COCO()
        coco.dataset = dataset
        with contextlib.redirect_stdout(printed):
            coco.createIndex()
        return coco

    coco_gt = build(gt_data)
    coco_dt = build(_coco_data.results_dataset(gt_data, detections))
    # extra_calc: faster-coco-eval then reports every match it made (detection id, object id).
    evaluator = COCOeval_faster(coco_gt, coco_dt, iouType=iou_type, extra_calc=True,
                                print_function=lambda *parts: print(*parts, file=printed))
    with contextlib.redirect_stdout(printed):
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    params = evaluator.params
    matched: dict[int, int] = {}
    for pair in evaluator.eval["matched"]:
        det_id, gt_id = (int(part) for part in str(pair).split("_", 1))
        matched[det_id] = gt_id
    crowd = {ann["id"] for ann in gt_data["annotations"] if ann["iscrowd"]}
    # COCOeval keeps the best maxDets[-1] detections per image and class (stable order by
    # score); only pairs with more than that need sorting.
    limit = int(params.maxDets[-1])
    by_pair: dict[tuple[Any, int], list[dict[str, Any]]] = {}
    for det in detections:
        by_pair.setdefault((det["image_id"], det["category_id"]), []).append(det)
    matches: list[RawMatch] = []
    for dets in by_pair.values():
        if len(dets) > limit:
            dets = sorted(dets, key=lambda d: -d["score"])[:limit]
        for det in dets:
            gt_id = matched.get(det["id"])
            if gt_id in crowd:
                continue
            matches.append(RawMatch(det["image_id"], det["category_id"], float(det["score"]), gt_id, det["id"]))
    stats = [float(s) for s in evaluator.stats[:12]]  # the 12 COCO stats (it appends more of its own)
    return EngineResult(
        stats=stats, precision=np.asarray(evaluator.eval["precision"]),
        iou_thresholds=np.asarray(params.iouThrs), recall_thresholds=np.asarray(params.recThrs),
        category_ids=list(params.catIds), matches=matches, printed=printed.getvalue())
