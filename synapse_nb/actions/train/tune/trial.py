"""The entry point of one trial: run the action's ``execute`` with the trial's hyperparameters.

Runs inside the trial's Ray worker. Whatever the plugin returns is normalised — a dict of
metrics, a single number (stored under the tune metric), or nothing when it reported each
epoch through the trial's reporter or ``ray.tune.report`` itself — and the tune metric must be
among the results, else the trial errors saying which metrics it did report. A trial that
fails is classified (tune/failures.py): the code and remedy go to its log and its row. The trial's
model is uploaded from this worker, named with the trial id, so it works on a multi-node
cluster; only then is the trial's last result reported (a scheduler may stop the trial at
that report).

Example:
    >>> normalise_result(0.7, {}, "mAP50")
    {'mAP50': 0.7}
"""

from __future__ import annotations

__all__ = ["normalise_result", "run_trial", "trial_device"]

import numbers
import time
from pathlib import Path
from typing import Any

from synapse_nb.actions.train.tune.failures import TrialFailure, classify, record_failure, recorded_failure
from synapse_nb.actions.train.tune.reporter import TrialReporter
from synapse_nb.actions.train.tune.spec import TrialSpec
from synapse_nb.errors import InputError


def normalise_result(value: Any, reported: dict[str, float], metric: str,
                     objectives: list[str] | None = None) -> dict[str, float]:
    """The trial's final metrics from execute()'s return value and what it reported; every
    metric in ``objectives`` (default: ``metric``) must be among them."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        result = {metric: float(value)}
    elif isinstance(value, dict):
        numeric = {k: float(v) for k, v in value.items() if isinstance(v, numbers.Number) and not isinstance(v, bool)}
        result = {**reported, **TrialReporter.flatten(numeric)}
    else:
        result = dict(reported)
    for name in objectives or [metric]:
        if name not in result:
            seen = sorted(result) or "none"
            raise InputError("tune_config.metric", f"the metric {name!r} in the trial's results",
                             got=f"metrics reported: {seen}")
    return result


def trial_device(num_gpus: float | None = None) -> str:
    """The device of this trial: exactly the GPUs Ray gave it (a fraction shares one), else
    the CPU with CUDA hidden.

    Asking Ray rather than torch keeps a CPU trial off a GPU it did not reserve (another
    trial may hold it) and spares plugins that never use torch its import.
    """
    from synapse_nb.actions.train.devices import task_devices

    return task_devices(num_gpus, in_ray_worker=True).device


def _trial_runtime(spec: TrialSpec, trial_id: str, trial_dir: Path) -> tuple[Any, Any, Any]:
    from synapse_nb.actions.train.context import RuntimeContext
    from synapse_nb.actions.train.run import TrainRun
    from synapse_nb.api import Api
    from synapse_nb.state import TrainState

    api = Api(spec.url, spec.token)
    run = TrainRun(api, spec.task_id, trial_id=trial_id)
    reporter = TrialReporter(api, spec.task_id, trial_id, spec.report_checkpoints, metric=spec.metric,
                             objectives=spec.objectives or None, keep_weights_at=spec.keep_weights_at)
    state = TrainState.model_validate_json(spec.state_json)
    runtime = RuntimeContext(task_id=spec.task_id, api=api, run=run, work_dir=trial_dir,
                             state=state, device=trial_device(state.num_gpus),
                             trial_id=trial_id, tune_reporter=reporter)
    return api, run, runtime


def _prepare(action: Any, spec: TrialSpec) -> Path:
    """The trial's dataset (prepared by the driver; on another node, prepared here)."""
    ctx = action.context
    ctx.dataset = dict(spec.dataset)
    data_path = ctx.dataset.get("path") or spec.params.get("data_path")
    if data_path is None or not Path(data_path).exists():
        # Another node of the cluster: prepare the dataset here (cached per node).
        from synapse_nb.steps.convert import ConvertDatasetStep
        from synapse_nb.steps.export import ExportDatasetStep

        ExportDatasetStep().execute(ctx)
        ConvertDatasetStep(action.target_format).execute(ctx)
        data_path = ctx.dataset["path"]
    checkpoint = spec.checkpoint
    if checkpoint is not None and not Path(checkpoint["path"]).exists():
        checkpoint = None
    ctx.checkpoint = checkpoint or action.get_checkpoint()
    return Path(data_path)


def _upload(action: Any, value: Any, final: dict[str, float], config: dict[str, Any], spec: TrialSpec) -> None:
    """Register this trial's model from this worker (so it works on any node of a cluster)."""
    from synapse_nb.steps.train import weights_from_result
    from synapse_nb.steps.upload import upload_model

    ctx, run, trial_id = action.context, action.runtime.run, action.runtime.trial_id
    weights = weights_from_result(value) or run.checkpoint_output
    if weights is None or not Path(weights).exists():
        run.log(f"trial {trial_id}: no weights to upload", level="WARNING")
        return
    name = f"{spec.experiment_name} trial {trial_id}"
    ctx.experiment.setdefault("experiment_name", name)
    ctx.experiment.setdefault("evaluation_metrics", final)
    started = time.monotonic()
    model = upload_model(ctx, Path(weights), name=name, metrics=final,
                         config={"trial_config": config, "trial_id": trial_id, **ctx.experiment.get("model_config", {})})
    run.log(f"trial {trial_id}: model {model['id']} uploaded in {time.monotonic() - started:.2f} s")


def run_trial(config: dict[str, Any], spec: TrialSpec) -> None:
    """Ray Tune's trainable: one trial of the search."""
    import synapse_nb  # noqa: F401  (offline settings in this worker)
    from ray import tune

    context = tune.get_context()
    trial_id = context.get_trial_id()
    trial_dir = Path(context.get_trial_dir())
    # Keyed by trial id in the search's folder: a retry may get another trial folder or actor.
    failure_dir = Path(spec.failures_dir) / trial_id if spec.failures_dir else trial_dir
    earlier = recorded_failure(failure_dir)
    if earlier is not None:
        # Ray retries every failed trial once, for the sake of lost workers; this one failed
        # in its own code, which would fail the same way again: replay, do not retrain.
        raise TrialFailure(earlier)
    api, run, runtime = _trial_runtime(spec, trial_id, trial_dir)
    reporter = runtime.tune_reporter
    try:
        if trial_id in spec.finished:
            # Finished before the interruption, its model registered: keep its result.
            run.log(f"trial {trial_id} finished before the search was interrupted: not run again")
            reporter.finish(spec.finished[trial_id])
            return
        hyper = {**spec.fixed_hyperparameters, **config}
        params = {**spec.params, "hyperparameter": hyper}
        for key in config:
            params.pop(key, None)  # the trial's value, lifted from `hyperparameter`, wins
        action = spec.action_cls(params, runtime)
        data_path = _prepare(action, spec)
        run.log(f"trial {trial_id}: {', '.join(f'{k}={v!r}' for k, v in config.items())}")
        with reporter.seeing_direct_reports():
            value = action.execute(data_path, action.context.checkpoint)
        final = normalise_result(value, reporter.last, spec.metric, spec.objectives or None)
        _upload(action, value, final, config, spec)
        # The last report comes after the upload: a scheduler may stop the trial at it.
        reporter.finish(final)
    except SystemExit:
        # Ray ends a trial its scheduler stopped by raising SystemExit at a report (at the
        # final one too, when the scheduler's max_t is reached: that is the normal end).
        if not reporter.finished:
            run.log(f"trial {trial_id} stopped by the scheduler after {reporter.reports} reported epochs")
        raise
    except Exception as exc:
        failure = classify(exc)
        record_failure(failure_dir, failure)
        run.log(f"trial {trial_id} failed: {failure.describe()}", level="ERROR")
        raise TrialFailure(failure) from exc
    except BaseException as exc:
        run.log(f"trial {trial_id} failed: {type(exc).__name__}: {exc}", level="ERROR")
        raise
    finally:
        run.close(timeout=30)
