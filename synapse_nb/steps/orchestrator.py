"""Run a registry's steps in order; on failure roll back what ran and name the failing step.

Example:
    >>> from synapse_nb.steps import BaseStep, StepRegistry, StepResult
    >>> class Fail(BaseStep[dict]):
    ...     name, progress_weight = "fail", 1.0
    ...     def execute(self, context):
    ...         return StepResult(success=False, error="disk full")
    >>> reg = StepRegistry(); reg.register(Fail())
    >>> try:
    ...     run_steps(reg, {})
    ... except Exception as exc:
    ...     print(exc)
    step 'fail' failed: disk full
"""

from __future__ import annotations

__all__ = ["pipeline_progress", "run_steps"]

import logging
from collections.abc import Callable
from typing import Any

from synapse_nb.errors import StepFailed
from synapse_nb.steps.base import BaseStep, StepResult
from synapse_nb.steps.progress import PipelineProgress, ProgressCallback
from synapse_nb.steps.registry import StepRegistry

log = logging.getLogger(__name__)


def pipeline_progress(registry: StepRegistry[Any], report: ProgressCallback | None) -> PipelineProgress:
    """A progress tracker for the steps of ``registry``."""
    steps = [(s.name, s.category, float(s.progress_weight)) for s in registry]
    return PipelineProgress(steps, report or (lambda *_: None))


def run_steps(
    registry: StepRegistry[Any],
    context: Any,
    progress: PipelineProgress | None = None,
    on_step: Callable[[BaseStep[Any], str], None] | None = None,
) -> dict[str, StepResult]:
    """Execute every step of ``registry`` on ``context``.

    ``on_step(step, event)`` is told ``started`` / ``skipped`` / ``finished`` / ``failed``
    (for log lines). A step that returns ``success=False`` or raises stops the run: the
    steps that ran are rolled back newest first, then :class:`StepFailed` names the step.
    """
    progress = progress or pipeline_progress(registry, None)
    done: list[tuple[BaseStep[Any], StepResult]] = []
    results: dict[str, StepResult] = {}
    notify = on_step or (lambda *_: None)
    for step in registry:
        progress.start(step.name)
        if step.can_skip(context):
            results[step.name] = StepResult(skipped=True)
            progress.finish(step.name)
            notify(step, "skipped")
            continue
        notify(step, "started")
        try:
            result = step.execute(context)
        except StepFailed as exc:
            _roll_back(done, context)
            notify(step, "failed")
            if exc.step == step.name:
                raise
            raise StepFailed(step.name, str(exc)) from exc
        except Exception as exc:
            _roll_back(done, context)
            notify(step, "failed")
            raise StepFailed(step.name, f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(result, StepResult):
            _roll_back(done, context)
            notify(step, "failed")
            raise StepFailed(step.name, f"execute() must return a StepResult, got {type(result).__name__}")
        if not result.success:
            _roll_back(done + [(step, result)], context)
            notify(step, "failed")
            raise StepFailed(step.name, result.error or "the step reported failure without a reason")
        results[step.name] = result
        done.append((step, result))
        progress.finish(step.name)
        notify(step, "finished")
    return results


def _roll_back(done: list[tuple[BaseStep[Any], StepResult]], context: Any) -> None:
    for step, result in reversed(done):
        try:
            step.rollback(context, result)
        except Exception:  # a failing rollback must not hide the original failure
            log.exception("rollback of step %r failed", step.name)
