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
