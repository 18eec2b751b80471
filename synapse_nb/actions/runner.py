"""Run one task's train action, in whatever process the agent (or run_local) chose.

It loads the task, reads its TrainState (parsed once, where the task came in), builds the
action from that state alone, runs it with a TrainRun that reports to the backend, and
finishes the task with its result — or fails it with the step that failed and why. Training mode and tuning mode both start here.

Example:
    >>> from synapse_nb.schemas.task import TaskRecord
    >>> work_dir_for(TaskRecord(id=3, status="running", created_at="2026-01-01T00:00:00Z", retry_of=2)).name
    'task-2'
"""

from __future__ import annotations

__all__ = ["action_params", "execute_task", "task_state", "training_result", "work_dir_for"]

import logging
import traceback
from pathlib import Path
from typing import Any

from synapse_nb._home import sub_dir
from synapse_nb.actions.resolve import resolve_action_class
from synapse_nb.actions.train.action import BaseTrainAction
from synapse_nb.actions.train.context import RuntimeContext
from synapse_nb.actions.train.devices import task_devices
from synapse_nb.actions.train.run import TrainRun
from synapse_nb.errors import InputError, SearchStopped, StepFailed, TaskStopped
from synapse_nb.schemas.task import TaskError, TaskRecord, task_state
from synapse_nb.state import TrainState

log = logging.getLogger(__name__)


def action_params(state: TrainState) -> dict[str, Any]:
    """The params an action's params model is built from: the task's state, and nothing else.

    The state was parsed once, where the task came in (a Synapse payload's own keys are its
    ``plugin_params``), so these are the payload's params as sent, and a TrainApi run's in the
    same form.

    Example:
        >>> payload = {"action": "train", "params": {"dataset": 1, "hyperparameter": {"epochs": 2}, "note": "x"}}
        >>> params = action_params(TrainState.from_action_payload(payload))
        >>> params["hyperparameter"], params["note"], params["dataset"]
        ({'epochs': 2}, 'x', 1)
    """
    params = state.to_action_payload()["params"]
    if params.get("dataset") is not None:
        # The seeds' plugins read either spelling (a plain params model may declare only one).
        params.setdefault("dataset_id", params["dataset"])
    params["splits"] = state.train_val_split.model_dump()
    if params.get("checkpoint") is None and state.model_ref.kind != "pretrained":
        params["checkpoint"] = state.model
    return params


def work_dir_for(record: TaskRecord, api: Any = None) -> Path:
    """The task's working folder; a retry works in its original's folder (to resume).

    With ``api``, a retry of a retry is followed back to the first attempt, so every
    attempt of a task shares one folder.
    """
    root_id = record.retry_of or record.id
    seen = {record.id}
    while api is not None and root_id not in seen:
        seen.add(root_id)
        parent = api.task.record(root_id).retry_of
        if parent is None:
            break
        root_id = parent
    return sub_dir("runs", f"task-{root_id}")


def execute_task(api: Any, task_id: int, action_cls: type[BaseTrainAction[Any]] | None = None,
                 work_dir: Path | None = None, in_ray_worker: bool = False) -> dict[str, Any]:
    """Run task ``task_id`` to the end and record its outcome; returns the result dict.

    ``in_ray_worker``: the run trains on exactly the GPUs Ray gave this worker (none: the
    CPU, with CUDA hidden); see :mod:`synapse_nb.actions.train.devices`. Errors are
    recorded on the task (status failed, the step and the traceback) and re-raised, so the
    caller (the agent's Ray task) also sees them.
    """
    record = api.task.record(task_id)
    run = TrainRun(api, task_id)
    step: str | None = None
    try:
        state = task_state(record)
        cls = action_cls or resolve_action_class(state, api)
        # Before anything starts CUDA in this process: a CPU run must not see the GPUs.
        # (A tuning driver only schedules trials, each on the GPUs Ray gives it: none here.)
        plan = task_devices(0 if state.is_tune else state.num_gpus, in_ray_worker and not state.is_tune)
        runtime = RuntimeContext(task_id=task_id, api=api, run=run, work_dir=work_dir or work_dir_for(record, api),
                                 state=state, device=plan.device, retry_of=record.retry_of)
        runtime.work_dir.mkdir(parents=True, exist_ok=True)
        run.log(f"task {task_id}: {cls.__name__} on {plan.summary()} in {runtime.work_dir}")
        if state.is_tune:
            from synapse_nb.actions.train.tune import run_tune

            state = _canonical_tune_metric(cls, state, run)

            result = run_tune(cls, state, record, runtime)
        else:
            result = _run_training(cls, state, runtime)
        run.flush()
        api.task.set_status(task_id, "finished", result=result)
        return result
    except (TaskStopped, KeyboardInterrupt) as exc:
        # The agent interrupts a search it was asked to stop (KeyboardInterrupt before the
        # search or while it winds down; TaskStopped once Ray Tune has ended its trials).
        if api.task.record(task_id).status != "stopping":
            _record_failure(api, run, task_id, exc)
            raise
        run.log("stopped on request")
        run.flush(timeout=10)
        api.task.set_status(task_id, "stopped")
        raise TaskStopped(f"task {task_id} stopped") from exc
    except BaseException as exc:
        _record_failure(api, run, task_id, exc)
        raise
    finally:
        run.close(timeout=10)


def _record_failure(api: Any, run: TrainRun, task_id: int, exc: BaseException) -> None:
    step = exc.step if isinstance(exc, StepFailed) else None
    message = exc.message if isinstance(exc, StepFailed) else f"{type(exc).__name__}: {exc}"
    failure = _classified(exc)
    run.log(f"failed{f' in step {step}' if step else ''} [{failure.code}]: {message} ({failure.remedy})",
            level="ERROR")
    run.flush(timeout=10)
    error = TaskError(step=step, message=message[:2000], traceback=traceback.format_exc()[-20_000:],
                      code=failure.code, remedy=failure.remedy)
    api.task.set_status(task_id, "failed", error=error)


def _classified(exc: BaseException) -> Any:
    """The failure's code and remedy: a stopped search names its own; bad input is a
    configuration error; anything else is classified by its type and message."""
    from synapse_nb.actions.train.tune.failures import Failure, classify

    if isinstance(exc, SearchStopped):
        return Failure(code=exc.code, message=exc.why, remedy=exc.remedy)
    if isinstance(exc, InputError):
        return classify(f"InputError: {exc}", default="configuration_error")
    return classify(exc)


def _canonical_tune_metric(cls: type[BaseTrainAction[Any]], state: TrainState, run: TrainRun) -> TrainState:
    """The state with its tune metric in our words, when the payload named it the
    framework's way (``metrics/mAP50-95(B)``): TrainApi maps it before submission, a payload
    sent otherwise is mapped here, before any trial."""
    assert state.tune_config is not None
    given = state.tune_config.metric
    metric = [cls.canonical_metric(m) for m in given] if isinstance(given, list) else cls.canonical_metric(given)
    if metric == given:
        return state
    run.log(f"tune_config.metric {given!r} is {metric!r}")
    return state.model_copy(update={"tune_config": state.tune_config.model_copy(update={"metric": metric})})


def _run_training(cls: type[BaseTrainAction[Any]], state: TrainState, runtime: RuntimeContext) -> dict[str, Any]:
    action = cls(action_params(state), runtime)
    value = action.run()
    return training_result(action, value)


def training_result(action: BaseTrainAction[Any], value: Any) -> dict[str, Any]:
    """The task result: the plugin's (typed) result, the model id and the experiment."""
    from pydantic import BaseModel

    ctx = action.context
    info = dict(ctx.experiment.get("info") or {})
    model = ctx.model or {}
    if info:
        info["model_id"] = model.get("id")
        info["model_ids"] = [model["id"]] if model.get("id") else []
        report = ctx.experiment.get("benchmark_report")
        if report:
            info["benchmark_report"] = {"metrics": report.get("metrics"), **(report.get("summary") or {})}
    plugin_result = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return {
        "model_id": model.get("id"),
        "result": _jsonable(plugin_result),
        "experiment": _jsonable(info) if info else None,
    }


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))
