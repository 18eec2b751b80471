"""evaluate_detections: COCO metrics as pycocotools computes them, plus the best-F1 point."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from synapse_nb.benchmark.coco_eval import DECIMALS, EvaluationReport, evaluate_detections
from synapse_nb.errors import InputError


def _pycocotools(ground_truth: dict[str, Any], detections: list[dict[str, Any]]) -> COCOeval:
    """The reference: pycocotools run the way its README shows."""
    coco_gt = COCO()
    coco_gt.dataset = copy.deepcopy(ground_truth)
    coco_gt.createIndex()
    coco_dt = coco_gt.loadRes(copy.deepcopy(detections))
    evaluator = COCOeval(coco_gt, coco_dt, "bbox")
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    return evaluator


def test_known_answer_equals_pycocotools(ground_truth, detections, capsys):
    report = evaluate_detections(ground_truth, detections, engine="pycocotools")
    ours_printed = capsys.readouterr().out
    reference = _pycocotools(ground_truth, detections)

    assert report.stats == [float(s) for s in reference.stats]
    assert report.map == round(reference.stats[0], DECIMALS)
    assert report.map50 == round(reference.stats[1], DECIMALS)
    assert report.map75 == round(reference.stats[2], DECIMALS)
    assert 0.0 < report.map < report.map50 < 1.0  # a case where the numbers mean something
    assert report.map_small == round(reference.stats[3], DECIMALS)
    assert report.map_large == round(reference.stats[5], DECIMALS)
    # per-class AP from the same accumulated array pycocotools averages
    precision = reference.eval["precision"][:, :, :, 0, -1]
    for k, entry in enumerate(report.per_class):
        values = precision[:, :, k]
        expected = round(float(values[values > -1].mean()), DECIMALS) if (values > -1).any() else None
        assert entry.ap == expected
    # pycocotools printed nothing to the user's output; its text is kept on the report
    assert ours_printed == ""
    assert "Average Precision  (AP) @[ IoU=0.50:0.95" in report.summary_text


def test_counts_and_classes(ground_truth, detections):
    report = evaluate_detections(ground_truth, detections)

    assert report.counts.model_dump() == {"images": 4, "gt_objects": 6, "detections": 11}
    by_name = {c.class_name: c for c in report.per_class}
    assert [c.class_name for c in report.per_class] == ["cat", "dog", "bird"]  # ground-truth order
    assert (by_name["cat"].num_gt, by_name["cat"].num_det) == (3, 5)  # the crowd region is not an object
    assert (by_name["bird"].ap, by_name["bird"].ap50, by_name["bird"].num_det) == (None, None, 1)
    assert report.primary_metric == "map"
    assert [c.name for c in report.pr_curve.per_class] == ["cat", "dog"]


def test_ground_truth_file_gives_the_same_report(ground_truth, detections, tmp_path: Path):
    path = tmp_path / "val.json"
    path.write_text(json.dumps(ground_truth), encoding="utf-8")

    from_file = evaluate_detections(path, detections)
    from_dict = evaluate_detections(ground_truth, detections)

    assert from_file.model_dump(exclude={"summary_text"}) == from_dict.model_dump(exclude={"summary_text"})


def test_inputs_are_not_modified(ground_truth, detections):
    before = copy.deepcopy((ground_truth, detections))
    evaluate_detections(ground_truth, detections)
    assert (ground_truth, detections) == before


def test_perfect_predictions_score_one(ground_truth, perfect_detections):
    report = evaluate_detections(ground_truth, perfect_detections)

    assert (report.map, report.map50, report.map75) == (1.0, 1.0, 1.0)
    assert (report.precision, report.recall, report.f1, report.confidence_threshold) == (1.0, 1.0, 1.0, 0.9)
    assert all(c.ap == 1.0 for c in report.per_class if c.num_gt)
    assert report.pr_curve.overall.precision[0] == 1.0 and report.pr_curve.overall.precision[-1] == 1.0


def test_no_detections_score_zero(ground_truth):
    report = evaluate_detections(ground_truth, [])

    assert (report.map, report.map50, report.map75) == (0.0, 0.0, 0.0)
    assert (report.precision, report.recall, report.f1, report.confidence_threshold) == (0.0, 0.0, 0.0, None)
    assert report.map_small == 0.0 and report.map_medium == 0.0 and report.map_large == 0.0
    assert report.counts.detections == 0


def test_empty_area_range_is_none_not_minus_one(ground_truth, perfect_detections):
    ground_truth["annotations"] = [a for a in ground_truth["annotations"] if a["area"] >= 96**2]  # large only
    perfect = [d for d in perfect_detections if d["bbox"][2] * d["bbox"][3] >= 96**2]

    report = evaluate_detections(ground_truth, perfect)

    assert (report.map_small, report.map_medium, report.map_large) == (None, None, 1.0)


def test_unknown_image_ids_are_named(ground_truth, detections):
    detections += [dict(detections[0], image_id=99), dict(detections[0], image_id=42)]
    with pytest.raises(InputError) as info:
        evaluate_detections(ground_truth, detections)
    assert info.value.field == "detections.image_id"
    assert info.value.got == [42, 99]


def test_unknown_category_ids_are_named(ground_truth, detections):
    detections.append(dict(detections[0], category_id=7))
    with pytest.raises(InputError) as info:
        evaluate_detections(ground_truth, detections)
    assert info.value.field == "detections.category_id"
    assert info.value.got == [7]


def test_ground_truth_without_annotations_is_refused(ground_truth, detections):
    ground_truth["annotations"] = []
    with pytest.raises(InputError, match="at least one annotated object") as info:
        evaluate_detections(ground_truth, detections)
    assert info.value.field == "ground_truth.annotations"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bbox": [1, 2, 3]}, "detections[0].bbox"),
        ({"bbox": [1, 2, -3, 4]}, "detections[0].bbox"),
        ({"score": float("nan")}, "detections[0].score"),
        ({"score": "high"}, "detections[0].score"),
    ],
)
def test_malformed_detection_names_its_field(ground_truth, detections, change, field):
    detections[0].update(change)
    with pytest.raises(InputError) as info:
        evaluate_detections(ground_truth, detections)
    assert info.value.field == field


def test_missing_ground_truth_file(tmp_path: Path):
    with pytest.raises(InputError) as info:
        evaluate_detections(tmp_path / "nope.json", [])
    assert info.value.field == "ground_truth"


def test_annotation_id_zero_still_matches(ground_truth, perfect_detections):
    # pycocotools reads a match on annotation id 0 as "no match"; ids are renumbered first.
    for index, ann in enumerate(ground_truth["annotations"]):
        ann["id"] = index
    assert evaluate_detections(ground_truth, perfect_detections).map == 1.0


def test_per_class_ap_follows_detection_quality():
    # cat found exactly, dog found loosely (IoU 0.68) once of twice, fox never found.
    gt = {
        "images": [{"id": 1, "width": 300, "height": 300}],
        "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "fox"}],
        "annotations": [
            {"image_id": 1, "category_id": 1, "bbox": [0, 0, 50, 50]},
            {"image_id": 1, "category_id": 2, "bbox": [100, 100, 50, 50]},
            {"image_id": 1, "category_id": 2, "bbox": [200, 200, 50, 50]},
            {"image_id": 1, "category_id": 3, "bbox": [0, 200, 50, 50]},
        ],
    }
    dets = [
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 50, 50], "score": 0.9},
        {"image_id": 1, "category_id": 2, "bbox": [105, 105, 50, 50], "score": 0.8},
    ]
    aps = {c.class_name: c.ap for c in evaluate_detections(gt, dets).per_class}

    assert aps["cat"] == 1.0
    assert aps["fox"] == 0.0
    assert aps["cat"] > aps["dog"] > aps["fox"]


def test_best_f1_threshold_on_a_constructed_case():
    # One class, four objects. Ranked by score the detections go TP TP FP TP FP TP FP, so
    # F1 by threshold: .9 -> .40, .8 -> .67, .7 -> .57, .6 -> .75, .5 -> .67, .4 -> .80, .3 -> .73
    images = [{"id": i, "width": 100, "height": 100} for i in range(1, 5)]
    gt = {
        "images": images,
        "categories": [{"id": 1, "name": "box"}],
        "annotations": [{"image_id": i, "category_id": 1, "bbox": [10, 10, 30, 30]} for i in range(1, 5)],
    }
    hit = [10, 10, 30, 30]
    miss = [60, 60, 30, 30]
    dets = [
        {"image_id": 1, "category_id": 1, "bbox": hit, "score": 0.9},
        {"image_id": 2, "category_id": 1, "bbox": hit, "score": 0.8},
        {"image_id": 1, "category_id": 1, "bbox": miss, "score": 0.7},
        {"image_id": 3, "category_id": 1, "bbox": hit, "score": 0.6},
        {"image_id": 2, "category_id": 1, "bbox": miss, "score": 0.5},
        {"image_id": 4, "category_id": 1, "bbox": hit, "score": 0.4},
        {"image_id": 3, "category_id": 1, "bbox": miss, "score": 0.3},
    ]
    report = evaluate_detections(gt, dets)

    assert report.confidence_threshold == 0.4
    assert report.recall == 1.0
    assert report.precision == pytest.approx(4 / 6)
    assert report.f1 == pytest.approx(0.8)


def test_segmentation_masks():
    square = [[10, 10, 60, 10, 60, 60, 10, 60]]
    gt = {
        "images": [{"id": 1, "width": 100, "height": 100}],
        "categories": [{"id": 1, "name": "blob"}],
        "annotations": [{"image_id": 1, "category_id": 1, "segmentation": square}],
    }
    exact = evaluate_detections(gt, [{"image_id": 1, "category_id": 1, "segmentation": square, "score": 0.9}], iou_type="segm")
    shifted = [[20, 20, 70, 20, 70, 70, 20, 70]]
    loose = evaluate_detections(gt, [{"image_id": 1, "category_id": 1, "segmentation": shifted, "score": 0.9}], iou_type="segm")

    assert exact.map == 1.0 and exact.iou_type == "segm"
    assert 0.0 <= loose.map < 1.0


def test_segmentation_against_rectangles_with_empty_masks():
    # Rectangles are written with an empty segmentation; the box is their mask.
    gt = {
        "images": [{"id": 1, "width": 100, "height": 100}],
        "categories": [{"id": 1, "name": "box"}],
        "annotations": [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "segmentation": []}],
    }
    det = {"image_id": 1, "category_id": 1, "segmentation": [[10, 10, 60, 10, 60, 60, 10, 60]], "score": 0.8}
    assert evaluate_detections(gt, [det], iou_type="segm").map == 1.0


def test_report_round_trips_through_json(ground_truth, detections):
    report = evaluate_detections(ground_truth, detections)
    again = EvaluationReport.model_validate_json(report.model_dump_json())
    assert again == report
    assert all(len(c.recall) <= 101 and len(c.recall) == len(c.precision) for c in report.pr_curve.per_class)
    assert np.isclose(np.mean(report.pr_curve.overall.precision), report.map50, atol=1e-6)
