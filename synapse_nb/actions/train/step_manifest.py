"""The step manifest: what a run's finished steps produced, kept in its working folder so a
retry reuses it.

A run that trained for an hour and then failed to upload its model must not train again
when it is retried. After each step of the automatic pipeline finishes, the manifest
(``<work dir>/steps.json``) records the step and what the steps have produced so far (the
exported dataset, the weights, exports, the benchmark report). A retry that runs in the
same working folder with the same params restores that and reports the steps as reused;
it only reuses what still exists on disk, and anything that differs (other params, missing
files) makes it run every step again. A run that finishes removes its manifest: retrying a
finished task trains again.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> m = StepManifest(params_key="k", steps=["export_dataset"], context={"dataset": {}})
    >>> m.save(folder)
    >>> StepManifest.load(folder, params_key="k").steps
    ['export_dataset']
    >>> StepManifest.load(folder, params_key="other") is None
    True
"""

from __future__ import annotations

__all__ = [
    "CONTEXT_FIELDS", "FILE_NAME", "REUSABLE_STEPS", "ReusedStep", "StepManifest", "params_key",
    "reuse_finished_steps", "steps_recorder",
]

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from synapse_nb._atomic import atomic_write_text
from synapse_nb.steps.base import BaseStep, StepResult
from synapse_nb.steps.registry import StepRegistry

FILE_NAME = "steps.json"
# Steps whose outputs can be reused; the upload is what a retry exists to redo.
REUSABLE_STEPS = ("export_dataset", "convert_dataset", "train", "export_model", "benchmark")
# Context fields the reusable steps fill in.
CONTEXT_FIELDS = ("dataset", "model_path", "experiment", "result")


def params_key(params: dict[str, Any]) -> str:
    """A digest of the params a run was built with (a retry reuses only identical runs).

    Example:
        >>> params_key({"a": 1}) == params_key({"a": 1})
        True
    """
    text = json.dumps(params, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    return json.loads(json.dumps(value, default=str))


class StepManifest(BaseModel):
    """The finished steps of a run and the context they left, as JSON."""

    params_key: str
    steps: list[str] = Field(default_factory=list)
    context: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def capture(cls, key: str, steps: list[str], context: Any) -> StepManifest:
        """A manifest of ``steps`` with the reusable fields of ``context``."""
        return cls(params_key=key, steps=list(steps),
                   context={name: _jsonable(getattr(context, name)) for name in CONTEXT_FIELDS})

    def save(self, work_dir: Path) -> None:
        """Write ``steps.json`` (temporary name, then rename)."""
        atomic_write_text(Path(work_dir) / FILE_NAME, self.model_dump_json(indent=2))

    @classmethod
    def load(cls, work_dir: Path, params_key: str) -> StepManifest | None:
        """The manifest in ``work_dir`` if it belongs to a run with these params."""
        path = Path(work_dir) / FILE_NAME
        try:
            manifest = cls.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError):
            return None
        return manifest if manifest.params_key == params_key else None

    @staticmethod
    def remove(work_dir: Path) -> None:
        """Forget the manifest (the run finished)."""
        (Path(work_dir) / FILE_NAME).unlink(missing_ok=True)

    def missing_files(self) -> list[str]:
        """Files the recorded outputs point at that no longer exist."""
        ctx = self.context
        dataset = ctx.get("dataset") or {}
        experiment = ctx.get("experiment") or {}
        paths = [dataset.get("raw_path"), dataset.get("path"), ctx.get("model_path"),
                 *(experiment.get("export_files") or {}).values(), *(experiment.get("checkpoint_files") or [])]
        return [p for p in paths if p and not Path(p).exists()]

    def restore(self, context: Any) -> None:
        """Put the recorded outputs back into ``context``."""
        dataset = dict(self.context.get("dataset") or {})
        for key in ("raw_path", "path"):
            if dataset.get(key):
                dataset[key] = Path(dataset[key])
        context.dataset = dataset
        context.model_path = self.context.get("model_path")
        context.experiment = dict(self.context.get("experiment") or {})
        context.result = self.context.get("result")


class ReusedStep(BaseStep[Any]):
    """Stands in for a step whose outputs a retry reuses: same name, category and weight;
    always skipped."""

    reused = True

    def __init__(self, step: BaseStep[Any]) -> None:
        self.name = step.name
        self.progress_weight = step.progress_weight
        self.progress_category = step.category

    def can_skip(self, context: Any) -> bool:
        return True

    def execute(self, context: Any) -> StepResult:  # pragma: no cover - always skipped
        return StepResult(skipped=True)


def reuse_finished_steps(registry: StepRegistry[Any], context: Any, params: dict[str, Any],
                         log: Callable[..., None]) -> StepRegistry[Any]:
    """The registry with the steps an earlier attempt finished (in ``context.work_dir``)
    replaced by :class:`ReusedStep`, and their outputs restored into ``context``.

    Only a leading run of finished steps is reused: from the first step that did not
    finish, everything runs again.
    """
    manifest = StepManifest.load(context.work_dir, params_key(params))
    if manifest is None:
        return registry
    missing = manifest.missing_files()
    if missing:
        log(f"an earlier attempt's outputs are gone ({missing[:3]}): running every step again", "WARNING")
        return registry
    reused: list[str] = []
    for step in registry:
        if step.name not in manifest.steps or step.name not in REUSABLE_STEPS:
            break
        reused.append(step.name)
    if not reused:
        return registry
    manifest.restore(context)
    result: StepRegistry[Any] = StepRegistry()
    for step in registry:
        result.register(ReusedStep(step) if step.name in reused else step)
    log(f"reusing the steps an earlier attempt finished: {reused}")
    return result


def steps_recorder(context: Any, params: dict[str, Any]) -> Callable[[BaseStep[Any], str], None]:
    """An ``on_step`` hook that saves the manifest after each reusable step finishes."""
    key = params_key(params)
    done: list[str] = []

    def record(step: BaseStep[Any], event: str) -> None:
        if event not in ("finished", "skipped") or step.name not in REUSABLE_STEPS:
            return
        done.append(step.name)
        StepManifest.capture(key, done, context).save(context.work_dir)

    return record
