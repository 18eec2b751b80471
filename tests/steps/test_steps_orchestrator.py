"""Running steps: order, skipping, failure naming the step, rollback newest first; the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from synapse_nb.errors import InputError, StepFailed
from synapse_nb.steps import BaseStep, StepRegistry, StepResult, run_steps
from synapse_nb.steps.train import _record_defaults, weights_from_result


class Recording(BaseStep[dict]):
    """Appends what happens to it to ``context['events']``."""

    def __init__(self, name: str, outcome: str = "ok", skip: bool = False, weight: float = 1.0) -> None:
        self.name = name
        self.outcome = outcome
        self.skip = skip
        self.progress_weight = weight

    def can_skip(self, context: dict) -> bool:
        return self.skip

    def execute(self, context: dict) -> Any:
        context["events"].append(f"run {self.name}")
        if self.outcome == "raise":
            raise OSError("disk full")
        if self.outcome == "refuse":
            return StepResult(success=False, error="below the gate")
        if self.outcome == "nonsense":
            return {"success": True}
        if self.outcome == "nested":
            raise StepFailed("inner", "the inner step broke")
        return StepResult(data={"by": self.name})

    def rollback(self, context: dict, result: StepResult | None) -> None:
        context["events"].append(f"undo {self.name}")
        if context.get("rollback_breaks") == self.name:
            raise RuntimeError("rollback broke")


def _registry(*steps: BaseStep[dict]) -> StepRegistry[dict]:
    registry: StepRegistry[dict] = StepRegistry()
    for step in steps:
        registry.register(step)
    return registry


def test_steps_run_in_order_and_skipped_ones_are_reported() -> None:
    context: dict = {"events": []}
    seen: list[tuple[str, str]] = []
    results = run_steps(_registry(Recording("a"), Recording("b", skip=True), Recording("c")), context,
                        on_step=lambda step, event: seen.append((step.name, event)))
    assert context["events"] == ["run a", "run c"]
    assert results["b"].skipped and results["c"].data == {"by": "c"}
    assert seen == [("a", "started"), ("a", "finished"), ("b", "skipped"), ("c", "started"), ("c", "finished")]


@pytest.mark.parametrize("outcome, message", [("raise", "OSError: disk full"), ("refuse", "below the gate"),
                                              ("nonsense", "must return a StepResult")])
def test_a_failing_step_is_named_and_earlier_steps_roll_back_newest_first(outcome: str, message: str) -> None:
    context: dict = {"events": []}
    seen: list[tuple[str, str]] = []
    registry = _registry(Recording("export"), Recording("skipped", skip=True), Recording("convert"),
                         Recording("train", outcome), Recording("upload"))
    with pytest.raises(StepFailed) as failure:
        run_steps(registry, context, on_step=lambda step, event: seen.append((step.name, event)))
    assert failure.value.step == "train"
    assert seen[-1] == ("train", "failed")
    assert message in failure.value.message
    undone = [e for e in context["events"] if e.startswith("undo")]
    # A step that reported failure undoes its own partial work too; one that raised can't be trusted to.
    expected = (["undo train"] if outcome == "refuse" else []) + ["undo convert", "undo export"]
    assert undone == expected
    assert "run upload" not in context["events"]


def test_a_nested_step_failure_keeps_the_outer_step_name() -> None:
    with pytest.raises(StepFailed) as failure:
        run_steps(_registry(Recording("train", "nested")), {"events": []})
    assert failure.value.step == "train" and "inner" in failure.value.message


def test_a_broken_rollback_does_not_hide_the_failure(caplog: pytest.LogCaptureFixture) -> None:
    context: dict = {"events": [], "rollback_breaks": "convert"}
    with pytest.raises(StepFailed, match="disk full"):
        run_steps(_registry(Recording("export"), Recording("convert"), Recording("train", "raise")), context)
    assert context["events"][-2:] == ["undo convert", "undo export"], "the other rollbacks still ran"
    assert "rollback of step 'convert' failed" in caplog.text


def test_registry_keeps_names_unique_and_weights_non_negative() -> None:
    registry = _registry(Recording("a"), Recording("c"))
    registry.insert_before("c", Recording("b"))
    registry.insert_after("c", Recording("d"))
    assert registry.names == ["a", "b", "c", "d"]
    assert registry.remove("d").name == "d" and registry.get("d") is None
    with pytest.raises(InputError) as dup:
        registry.register(Recording("a"))
    assert dup.value.field == "step.name"
    with pytest.raises(InputError) as weight:
        registry.register(Recording("e", weight=-0.1))
    assert weight.value.field == "e.progress_weight"
    with pytest.raises(InputError) as unknown:
        registry.insert_before("nope", Recording("f"))
    assert unknown.value.field == "step"
    with pytest.raises(InputError):
        registry.register("not a step")  # type: ignore[arg-type]


def test_weights_are_found_in_what_execute_returns(tmp_path: Path) -> None:
    from pydantic import BaseModel

    class Result(BaseModel):
        weights_path: str
        score: float

    assert weights_from_result({"weights_path": "w/best.pt", "model_path": "other"}) == "w/best.pt"
    assert weights_from_result({"best": tmp_path}) == str(tmp_path)
    assert weights_from_result(Result(weights_path="r.pt", score=1.0)) == "r.pt"
    assert weights_from_result("plain.pt") == "plain.pt"
    assert weights_from_result({"score": 1.0}) is None and weights_from_result(None) is None


def test_experiment_defaults_never_override_what_a_plugin_recorded() -> None:
    experiment: dict = {"training_duration": 9.0}
    _record_defaults(experiment, 1.0, {"name": "3 shapes custom", "model_name": None})
    assert experiment == {"training_duration": 9.0, "base_checkpoint": "3 shapes custom"}
    empty: dict = {}
    _record_defaults(empty, 2.0, None)
    assert empty == {"training_duration": 2.0}
