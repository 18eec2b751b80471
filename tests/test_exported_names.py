"""Every public module says what it exports, and the documented packages export exactly
their documented names (httpx's tests/test_exported_members.py).

A public module is one whose path has no part starting with ``_`` (``__init__`` aside);
``__main__`` modules are entry points and export nothing. Its ``__all__`` is a literal list
that names everything public it defines (functions, classes, constants), and only names
that exist there: a new public function is exported on purpose or made private.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import synapse_nb

PACKAGE = Path(synapse_nb.__file__).resolve().parent
ROOT = PACKAGE.parent

# The packages whose names DESIGN.md documents: their __all__, pinned.
PINNED = {
    "synapse_nb": ["Api", "CollectionsSplit", "DatasetsSplit", "ExperimentInfo", "RandomSplit", "SearchSpace",
                   "TagsSplit", "Task", "TrainApi", "TrainState", "TuneConfig"],
    "synapse_nb.actions": ["run_local"],
    "synapse_nb.actions.train": ["BaseTrainAction", "BaseTrainParams", "RuntimeContext", "TrainContext",
                                 "TrainProgressCategories", "TrainRun"],
    "synapse_nb.api": ["Api", "Task", "TrainApi", "progress_bar"],
    "synapse_nb.steps": ["BaseStep", "BenchmarkStep", "ConvertDatasetStep", "ExportDatasetStep", "ExportModelStep",
                         "StepRegistry", "StepResult", "TrainStep", "UploadModelStep", "run_steps"],
    "synapse_nb.widgets": ["BenchmarkView", "ExperimentsBrowser", "TaskDashboard", "TrainWizard", "compare", "figures"],
    "synapse_nb.benchmark": ["BenchmarkReport", "ClassAP", "EvaluationReport", "PRCurve", "SpeedReport", "SpeedRow",
                             "SpeedSample", "coco_image_paths", "evaluate_detections", "predict_coco", "speed_test",
                             "yolo_predictor"],
}


def _public_modules() -> list[Path]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if path.name == "__main__.py" or any(p.startswith("_") and p != "__init__.py" for p in parts):
            continue
        found.append(path)
    return found


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _bound_names(body: list[ast.stmt]) -> set[str]:
    """Names a module binds at its top level (also inside top-level if/try blocks)."""
    names: set[str] = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.If):
            names |= _bound_names(node.body) | _bound_names(node.orelse)
        elif isinstance(node, ast.Try):
            names |= _bound_names(node.body) | _bound_names(node.orelse) | _bound_names(node.finalbody)
            for handler in node.handlers:
                names |= _bound_names(handler.body)
    return names


def _defined_public(body: list[ast.stmt]) -> set[str]:
    """Functions and classes the module itself defines, and its UPPER_CASE constants."""
    names = {n.name for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    for node in body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            call = node.value
            if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "TypeVar":
                continue  # a type variable is how the module spells its generics, not an export
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name) and target.id.isupper():
                    names.add(target.id)
    return {n for n in names if not n.startswith("_")}


def _all_of(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    return None


MODULES = _public_modules()


def test_the_public_modules_are_found() -> None:
    names = {_name(p) for p in MODULES}
    assert {"synapse_nb", "synapse_nb.state", "synapse_nb.api.task", "synapse_nb.widgets.wizard.wizard"} <= names
    assert not any(part.startswith("_") for n in names for part in n.split(".")[1:])


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_every_public_module_lists_what_it_exports(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    exported = _all_of(tree)
    assert exported is not None, f"{_name(path)} has no literal __all__"
    assert len(exported) == len(set(exported)), f"{_name(path)}.__all__ names something twice"
    lazy = any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in tree.body)
    unbound = set(exported) - _bound_names(tree.body)
    if lazy:  # names the module's __getattr__ loads on first use
        module = importlib.import_module(_name(path))
        unbound = {n for n in unbound if not hasattr(module, n)}
    assert not unbound, f"{_name(path)}.__all__ names what it does not have: {sorted(unbound)}"
    unlisted = _defined_public(tree.body) - set(exported)
    assert not unlisted, f"{_name(path)} defines public names outside __all__ (export or rename _): {sorted(unlisted)}"


@pytest.mark.parametrize(("module", "names"), sorted(PINNED.items()))
def test_documented_packages_export_exactly_their_names(module: str, names: list[str]) -> None:
    imported = importlib.import_module(module)
    assert sorted(imported.__all__) == names
    assert all(hasattr(imported, n) for n in names)
