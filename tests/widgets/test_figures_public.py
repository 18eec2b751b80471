"""The figures package's public surface."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from synapse_nb.widgets import figures

DOCUMENTED = [
    "STATUS_COLORS",
    "TrialsTableData",
    "apply_theme",
    "css",
    "empty_figure",
    "pareto_front",
    "experiments_frame",
    "experiments_table",
    "latest_values",
    "metric_curves",
    "metric_overlay",
    "metric_series",
    "metrics_summary",
    "palette",
    "parallel_coordinates",
    "per_class_ap",
    "pr_curve",
    "speed_table",
    "split_class_chart",
    "training_overview",
    "trial_curves",
    "trial_status_counts",
    "trials_table",
    "trials_table_data",
]
BENCHMARK_NAMES = ["metrics_summary", "per_class_ap", "pr_curve", "speed_table"]


def test_all_is_the_documented_list() -> None:
    assert sorted(figures.__all__) == sorted(DOCUMENTED)


def test_every_own_name_resolves() -> None:
    for name in set(DOCUMENTED) - set(BENCHMARK_NAMES):
        assert getattr(figures, name) is not None


@pytest.mark.skipif(importlib.util.find_spec("synapse_nb.widgets.figures.benchmark") is None, reason="benchmark figures not installed")
def test_benchmark_figures_load_on_first_use() -> None:
    for name in BENCHMARK_NAMES:
        assert callable(getattr(figures, name))


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        figures.not_a_figure  # noqa: B018


def test_figures_import_without_widgets_or_heavy_libraries() -> None:
    code = (
        "import sys; from synapse_nb.widgets import figures; "
        "heavy = [m for m in ('ipywidgets', 'torch', 'ultralytics', 'ray', 'pycocotools') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


def test_the_design_call() -> None:
    df = pd.DataFrame({"trial_id": ["a", "b"], "status": ["TERMINATED", "RUNNING"], "lr0": [0.01, 0.001], "mAP50": [0.5, None]})
    fig = figures.trials_table(df, hyperparameters=["lr0"], metrics=["mAP50"], best_trial="a")
    assert isinstance(fig, go.Figure)
