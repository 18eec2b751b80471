"""The public names of DESIGN.md are a contract: they exist, and `synapse_nb.__all__` lists
exactly the documented top-level names (as httpx's tests/test_exported_members.py does)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import synapse_nb

DOCUMENTED_TOP_LEVEL = {
    "TrainState", "RandomSplit", "DatasetsSplit", "TagsSplit", "CollectionsSplit", "SearchSpace", "TuneConfig",
    "Api", "TrainApi", "Task", "ExperimentInfo",
}

CONTRACT = {
    "synapse_nb": sorted(DOCUMENTED_TOP_LEVEL),
    "synapse_nb.actions": ["run_local"],
    "synapse_nb.actions.train": ["BaseTrainAction", "BaseTrainParams", "TrainContext", "TrainProgressCategories"],
    "synapse_nb.steps": ["BaseStep", "StepRegistry", "StepResult", "ExportDatasetStep", "ConvertDatasetStep"],
    "synapse_nb.widgets": ["TrainWizard", "TaskDashboard", "ExperimentsBrowser", "figures", "compare"],
    "synapse_nb.benchmark": ["evaluate_detections", "EvaluationReport"],
    "synapse_nb.api": ["Api", "TrainApi", "Task"],
}


def test_all_lists_exactly_the_documented_names() -> None:
    assert set(synapse_nb.__all__) == DOCUMENTED_TOP_LEVEL


@pytest.mark.parametrize(("module", "names"), sorted(CONTRACT.items()))
def test_public_names_import(module: str, names: list[str]) -> None:
    imported = importlib.import_module(module)
    missing = [n for n in names if not hasattr(imported, n)]
    assert not missing, f"{module} lacks {missing}"


def test_figures_trials_table_has_the_documented_signature() -> None:
    import inspect

    from synapse_nb.widgets import figures

    params = inspect.signature(figures.trials_table).parameters
    assert {"hyperparameters", "metrics", "best_trial"} <= set(params)


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = (
        "import sys, synapse_nb, synapse_nb.state, synapse_nb.splits;"
        "heavy = [m for m in ('torch', 'ultralytics', 'ray', 'ipywidgets', 'pycocotools') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_evaluation_report_has_the_documented_sections() -> None:
    from synapse_nb.benchmark import EvaluationReport

    for name in ("outcomes", "confusion_matrix", "calibration", "confidence_profile", "localization", "per_image",
                 "f1_optimal_confidence"):
        assert name in EvaluationReport.model_fields, name
