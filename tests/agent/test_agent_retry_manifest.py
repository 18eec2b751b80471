"""What a retry reuses: the step manifest a run keeps in its working folder.

A run whose final upload failed is retried without training again (the Supervisely fault
this prevents: a failed upload forced a full retrain). The end-to-end case, with a real
backend refusing the upload, is in tests/agent/test_agent_e2e.py; these cases pin the rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from synapse_nb.actions.train.context import RuntimeContext, TrainContext
from synapse_nb.actions.train.run import TrainRun
from synapse_nb.actions.train.step_manifest import StepManifest, params_key, reuse_finished_steps, steps_recorder
from synapse_nb.steps import BaseStep, StepRegistry, StepResult, run_steps

PARAMS = {"dataset": 1, "hyperparameter": {"epochs": 3}}


class _Step(BaseStep[TrainContext]):
    """A pipeline step that writes a file and records that it ran."""

    def __init__(self, name: str, ran: list[str], fail: bool = False) -> None:
        self.name = name
        self.progress_weight = 1.0
        self.ran = ran
        self.fail = fail

    def execute(self, context: TrainContext) -> StepResult:
        self.ran.append(self.name)
        if self.fail:
            return StepResult(success=False, error="the backend refused the upload")
        out = context.work_dir / f"{self.name}.out"
        out.write_text(self.name)
        if self.name == "export_dataset":
            context.dataset = {"raw_path": context.work_dir, "path": context.work_dir, "train_size": 3}
        if self.name == "train":
            context.model_path = str(out)
            context.result = {"epochs_completed": 3}
            context.experiment["best_checkpoint"] = str(out)
        return StepResult()


def _context(work_dir: Path) -> TrainContext:
    return TrainContext(params=dict(PARAMS), runtime_ctx=RuntimeContext(task_id=1, api=None, run=TrainRun(None, None),
                                                                        work_dir=work_dir))


def _registry(ran: list[str], fail_upload: bool) -> StepRegistry[TrainContext]:
    registry: StepRegistry[TrainContext] = StepRegistry()
    for name in ("export_dataset", "convert_dataset", "train", "benchmark"):
        registry.register(_Step(name, ran))
    registry.register(_Step("model_upload", ran, fail=fail_upload))
    return registry


def _first_attempt(work_dir: Path) -> list[str]:
    ran: list[str] = []
    context = _context(work_dir)
    with pytest.raises(Exception, match="refused the upload"):
        run_steps(_registry(ran, fail_upload=True), context, on_step=steps_recorder(context, PARAMS))
    return ran


def _retry(work_dir: Path, params: dict[str, Any] = PARAMS) -> tuple[list[str], TrainContext, list[str]]:
    ran: list[str] = []
    logged: list[str] = []
    context = _context(work_dir)
    registry = reuse_finished_steps(_registry(ran, fail_upload=False), context, params, lambda m, *_: logged.append(m))
    run_steps(registry, context)
    return ran, context, logged


def test_a_retry_after_a_failed_upload_only_uploads(tmp_path: Path) -> None:
    assert _first_attempt(tmp_path) == ["export_dataset", "convert_dataset", "train", "benchmark", "model_upload"]

    ran, context, logged = _retry(tmp_path)

    assert ran == ["model_upload"]
    assert context.model_path == str(tmp_path / "train.out")
    assert context.result == {"epochs_completed": 3}
    assert context.dataset["raw_path"] == tmp_path and context.dataset["train_size"] == 3
    assert logged == ["reusing the steps an earlier attempt finished: "
                      "['export_dataset', 'convert_dataset', 'train', 'benchmark']"]


def test_other_params_run_every_step_again(tmp_path: Path) -> None:
    _first_attempt(tmp_path)
    ran, _, _ = _retry(tmp_path, {**PARAMS, "hyperparameter": {"epochs": 4}})
    assert ran == ["export_dataset", "convert_dataset", "train", "benchmark", "model_upload"]


def test_missing_outputs_run_every_step_again(tmp_path: Path) -> None:
    _first_attempt(tmp_path)
    (tmp_path / "train.out").unlink()
    ran, _, logged = _retry(tmp_path)
    assert ran == ["export_dataset", "convert_dataset", "train", "benchmark", "model_upload"]
    assert "outputs are gone" in logged[0]


def test_only_the_steps_before_the_first_unfinished_one_are_reused(tmp_path: Path) -> None:
    _first_attempt(tmp_path)
    manifest = StepManifest.load(tmp_path, params_key(PARAMS))
    assert manifest is not None
    manifest.steps.remove("convert_dataset")  # as if the conversion never finished
    manifest.save(tmp_path)
    ran, _, _ = _retry(tmp_path)
    assert ran == ["convert_dataset", "train", "benchmark", "model_upload"]


def test_the_manifest_is_written_atomically_and_survives_garbage(tmp_path: Path) -> None:
    (tmp_path / "steps.json").write_text("{not json")
    assert StepManifest.load(tmp_path, "k") is None
    StepManifest(params_key="k", steps=["train"]).save(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["steps.json"]
    StepManifest.remove(tmp_path)
    assert StepManifest.load(tmp_path, "k") is None
