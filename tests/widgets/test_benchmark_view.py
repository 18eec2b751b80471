"""The benchmark in the notebook: every section drawn, and clicks that open the images behind them."""

from __future__ import annotations

import copy
import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from plotly.callbacks import Points

from synapse_nb.benchmark import BenchmarkReport, evaluate_detections
from synapse_nb.benchmark.gallery import OUTCOME_COLORS, draw_image, image_rows, worst_thumbnails
from synapse_nb.benchmark.report import check_exports, split_fingerprint
from synapse_nb.widgets.benchmark_compare import compare_figures, comparison_warnings, disagreements
from synapse_nb.widgets.figures.benchmark import report_figures
from tests.benchmark.test_benchmark_sections import DETS, GT


@pytest.fixture(scope="module")
def evaluation():
    return evaluate_detections(copy.deepcopy(GT), copy.deepcopy(DETS))


@pytest.fixture
def images_dir(tmp_path: Path) -> Path:
    for image in GT["images"]:
        Image.new("RGB", (100, 100), (128, 128, 128)).save(tmp_path / image["file_name"])
    return tmp_path


def test_clicks_filter_the_gallery(evaluation, images_dir: Path):
    from synapse_nb.widgets import BenchmarkView

    view = BenchmarkView(evaluation, images_dir)
    # the images with an error, worst first (2: FP + FN; then 3, whose one error is all it has); not the empty 4
    assert view.shown == [2, 3, 1]

    cell = Points(point_inds=[[1, 0]], xs=["cat"], ys=["dog"], trace_name=None, trace_index=0)
    view.on_confusion_click(view.confusion.data[0], cell)
    assert view.shown == [2]  # the dog called a cat
    assert len(view.gallery.children) == 1

    view.on_confusion_click(view.confusion.data[0], Points(point_inds=[[2, 0]], xs=["cat"], ys=["(background)"],
                                                           trace_name=None, trace_index=0))
    assert view.shown == [1]  # the duplicate: a cat box on no object

    fn_trace = next(t for t in view.outcomes.data if t.name == "FN")
    view.on_outcome_click(fn_trace, Points(point_inds=[0], xs=["cat"], ys=[1], trace_name="FN", trace_index=2))
    assert view.shown == [3]  # the missed cat

    view.images.value = 4  # a per-image row picked
    assert view.shown == [4]
    assert [label.split()[0] for label, _ in view.images.options] == ["2.png", "3.png", "1.png", "4.png"]
    view.sort.value = "recall"
    assert [image_id for _, image_id in view.images.options] == [2, 3, 1, 4]  # recall 0, 0, 1, undefined


def test_image_rows_behind_each_chart(evaluation):
    assert [r.image_id for r in image_rows(evaluation, actual="dog", predicted="cat")] == [2]
    assert [r.image_id for r in image_rows(evaluation, actual="cat", predicted="(background)")] == [3]
    assert [r.image_id for r in image_rows(evaluation, class_name="cat", outcome="FP")] == [1, 2]
    assert [r.image_id for r in image_rows(evaluation, class_name="dog", outcome="FN")] == [2]
    assert [r.image_id for r in image_rows(evaluation, class_name="dog", outcome="TP")] == [1]
    assert len(image_rows(evaluation)) == 4


def test_drawn_boxes_have_the_outcome_colours(evaluation, images_dir: Path):
    row = next(r for r in evaluation.per_image if r.image_id == 2)
    pixels = np.asarray(draw_image(images_dir / "2.png", row.objects))
    # the misclassified box [50, 50, 40, 40]: its left edge is drawn in the misclassified colour
    assert tuple(pixels[70, 50]) == OUTCOME_COLORS["misclassified"]
    assert tuple(pixels[10, 10]) == (128, 128, 128)  # nothing drawn where nothing is
    thumbs = worst_thumbnails(evaluation, images_dir, count=2)
    assert [t.image_id for t in thumbs] == [2, 3]
    import base64

    assert Image.open(io.BytesIO(base64.b64decode(thumbs[0].png_base64))).size == (100, 100)


def test_html_report_has_every_section_and_the_worst_images(evaluation, images_dir: Path, tmp_path: Path):
    from plotly.offline import get_plotlyjs

    onnx = evaluation.model_copy(update={"map": evaluation.map - 0.05})
    report = BenchmarkReport(model_name="m", val_size=4, evaluation={"pytorch": evaluation, "onnx": onnx},
                             export_checks=check_exports({"pytorch": evaluation, "onnx": onnx}))
    page = report.to_html(tmp_path / "out" / "report.html", report_figures, images_dir=images_dir).read_text()
    for name in report_figures(report):
        assert f'id="benchmark-{name.replace("_", "-")}"' in page, name
    assert page.count(get_plotlyjs()) == 1
    ours = page.replace(get_plotlyjs(), "")
    assert len(re.findall(r'<img alt="[^"]*" src="data:image/png;base64,', ours)) == 3  # images 1, 2, 3 hold errors
    assert "Export check: onnx DIFFERS from PyTorch" in page  # 0.05 mAP lost past the 0.01 tolerance
    assert not re.search(r"<script[^>]*\bsrc\s*=", page)


def test_export_check_within_tolerance(evaluation):
    (check,) = check_exports({"pytorch": evaluation, "onnx": evaluation.model_copy(update={"map": evaluation.map + 0.004})})
    assert check.within_tolerance and check.differences["map"] == pytest.approx(0.004)
    assert check_exports({"onnx": evaluation}) == []


def test_compare_two_models(evaluation):
    worse = evaluate_detections(copy.deepcopy(GT), copy.deepcopy(DETS[:2]))
    fingerprint = split_fingerprint(GT)
    reports = {name: BenchmarkReport(model_name=name, val_size=4, evaluation={"pytorch": ev}, split_fingerprint=fingerprint)
               for name, ev in (("a", evaluation), ("b", worse))}
    figures = compare_figures(reports)
    assert {"confusion_matrix", "outcomes", "reliability_diagram", "confidence_profile", "pr_curve"} <= set(figures)
    assert [a.text for a in figures["confusion_matrix"].layout.annotations] == ["a", "b"]  # side by side
    assert comparison_warnings(reports) == []
    found = disagreements(reports)
    # b lost the dog D on image 1 and the misclassified box on image 2
    assert found.disagree == ["1.png", "2.png"]
    assert found.all_wrong == ["1.png", "2.png", "3.png"]
    other = dict(reports)
    other["b"] = reports["b"].model_copy(update={"split_fingerprint": "elsewhere"})
    (warning,) = comparison_warnings(other)
    assert "different val splits" in warning


def _as_polygons(detections):
    out = []
    for det in copy.deepcopy(detections):
        x, y, w, h = det["bbox"]
        det["segmentation"] = [[x, y, x + w, y, x + w, y + h, x, y + h]]
        out.append(det)
    return out


def test_dashboard_shows_mask_metrics_beside_box_metrics(evaluation):
    from synapse_nb.widgets.dashboard._report import benchmark_figures

    masks = evaluate_detections(copy.deepcopy(GT), _as_polygons(DETS), iou_type="segm")
    assert masks.iou_type == "segm" and masks.confusion_matrix.counts == evaluation.confusion_matrix.counts
    report = BenchmarkReport(model_name="m", val_size=4, evaluation={"pytorch": evaluation}, segmentation={"pytorch": masks})
    assert report.metrics()["mask/map50"] == masks.map50
    figures = benchmark_figures(report.model_dump(mode="json"))
    assert figures[0].data[0].header.values == ("metric", "PyTorch (boxes)", "PyTorch (masks)")
    assert len(figures) == len(report_figures(report)) - 1  # all but the speed table: no speed test ran
