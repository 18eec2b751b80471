"""Importing the benchmark code and its figures stays light: heavy libraries load on use."""

from __future__ import annotations

import subprocess
import sys


def test_modules_import_without_heavy_libraries():
    code = (
        "import sys\n"
        "import synapse_nb.benchmark.coco_eval, synapse_nb.benchmark.speed, synapse_nb.benchmark.predict\n"
        "import synapse_nb.benchmark.report, synapse_nb.widgets.figures.benchmark\n"
        "heavy = ['torch', 'ultralytics', 'onnxruntime', 'pycocotools', 'ipywidgets', 'ray']\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_headless_core_evaluates_and_writes_reports_without_widget_or_figure_modules(tmp_path):
    code = (
        "import sys, plotly.graph_objects as go\n"
        "from synapse_nb.benchmark import BenchmarkReport, evaluate_detections\n"
        "import synapse_nb.benchmark.gallery, synapse_nb.benchmark.analysis\n"
        "gt = {'images': [{'id': 1, 'width': 64, 'height': 64}], 'categories': [{'id': 1, 'name': 'cat'}],\n"
        "      'annotations': [{'image_id': 1, 'category_id': 1, 'bbox': [4, 4, 30, 30]}]}\n"
        "ev = evaluate_detections(gt, [{'image_id': 1, 'category_id': 1, 'bbox': [4, 4, 30, 30], 'score': 0.8}])\n"
        "report = BenchmarkReport(model_name='m', val_size=1, evaluation={'pytorch': ev})\n"
        f"report.to_json({str(tmp_path / 'r.json')!r})\n"
        f"report.to_html({str(tmp_path / 'r.html')!r}, lambda r: {{'one': go.Figure()}})\n"
        "print(sorted(m for m in sys.modules if m.startswith('synapse_nb.widgets') or m == 'ipywidgets'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert 'id="benchmark-one"' in (tmp_path / "r.html").read_text()
