"""Tuning mode: prepare the dataset once, run the trials with Ray Tune, register the best.

The search runs on the agent's Ray (local or a cluster). Each trial reports every epoch,
so ASHA/HyperBand can stop it early and PBT can perturb it; a failing trial shows as ERROR
with a failure code and the search goes on, until its guard (tune/guard.py) ends a search
that cannot succeed. A trial whose worker died is retried once. The best trial is chosen by
``tune_config.best_scope`` at an equal budget (tune/best.py; found by trial id, not by
matching a float); every trial has its own model; the task's model is the best trial's.

``task.retry()`` of an interrupted search restores the Ray Tune experiment (finished trials
are not rerun); ``task.extend(n)`` runs ``n`` more samples, warm-starting the searcher with
the finished trials' results where the search algorithm supports it.

Example:
    >>> TUNE_WEIGHTS
    {'dataset': 20.0, 'train': 75.0, 'model_upload': 5.0}
"""

from __future__ import annotations

__all__ = ["TUNE_WEIGHTS", "experiment_storage", "extension_config", "max_epochs", "run_tune"]

import logging
import os
import time
from pathlib import Path
from typing import Any

from synapse_nb.actions.train.tune.best import select_best
from synapse_nb.actions.train.tune.failures import forget_failures
from synapse_nb.actions.train.tune.guard import SearchGuard, StopRequested, clear_stop_reason, stop_search_if_guarded
from synapse_nb.actions.train.tune.lineage import SearchLineage, search_lineage
from synapse_nb.actions.train.tune.results import final_table, trial_models_of, trial_records, tune_result
from synapse_nb.actions.train.tune.spec import TrialSpec
from synapse_nb.actions.train.tune.table import (
    REPORT_BINDING,
    REPORT_TOKEN,
    TrialTableCallback,
    trial_dirname,
    write_binding,
)
from synapse_nb.errors import InputError, TaskStopped
from synapse_nb.state import TrainState
from synapse_nb.steps.upload import experiment_name as default_experiment_name

log = logging.getLogger(__name__)

TUNE_WEIGHTS = {"dataset": 20.0, "train": 75.0, "model_upload": 5.0}


def _prepare_dataset(action: Any) -> None:
    """Export and convert once in the driver (the trials reuse the result)."""
    from synapse_nb.steps.convert import ConvertDatasetStep
    from synapse_nb.steps.export import ExportDatasetStep
    from synapse_nb.steps.orchestrator import pipeline_progress, run_steps
    from synapse_nb.steps.registry import StepRegistry

    ctx = action.context
    if ctx.params.get("data_path"):
        ctx.dataset = {"path": Path(ctx.params["data_path"])}
        return
    registry: StepRegistry[Any] = StepRegistry()
    registry.register(ExportDatasetStep())
    registry.register(ConvertDatasetStep(action.target_format))
    run = ctx.run

    def report(category: str, current: float, total: float, overall: float) -> None:
        run.set_progress(current, total, category, overall=overall * TUNE_WEIGHTS["dataset"] / 100)

    ctx.progress = pipeline_progress(registry, report)
    run_steps(registry, ctx, ctx.progress, lambda step, event: run.log(f"step {step.name}: {event}"))


def max_epochs(action: Any, fixed: dict[str, Any], space: Any) -> int | None:
    """The most epochs a trial trains (HyperBand/ASHA's ``max_t`` when none is given): the
    fixed ``epochs``, else the largest searched value, else the plugin's or framework's default."""
    if isinstance(fixed.get("epochs"), int):
        return int(fixed["epochs"])
    if "epochs" in space.names:
        param = space["epochs"]
        values = list(getattr(param, "options", None) or [getattr(param, "max", None)])
        ints = [int(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if ints:
            return max(ints)
    default = getattr(action.params, "epochs", None)
    if isinstance(default, int) and not isinstance(default, bool):
        return default
    name = getattr(action, "framework_name", None)
    if name:
        from synapse_nb.frameworks import get_framework

        framework = get_framework(name)
        defaults = framework.validate_hyperparameters(framework.default_hyperparameters())
        if isinstance(defaults.get("epochs"), int):
            return int(defaults["epochs"])
    return None


def _trial_resources(state: TrainState) -> dict[str, float]:
    """CPUs and GPUs per trial: as asked, else 1 CPU, and a GPU only where the cluster has one
    (a fractional GPU default would leave every trial pending on a CPU cluster)."""
    import ray

    gpus = state.num_gpus
    if gpus is None:
        gpus = 1.0 if float(ray.cluster_resources().get("GPU", 0)) >= 1 else 0.0
    return {"cpu": state.num_cpus or 1, "gpu": gpus}


def _earlier_trials(api: Any, lineage: SearchLineage) -> tuple[list[dict[str, Any]], int]:
    """The trials of the search this one extends, and how many samples it had."""
    if lineage.extends is None:
        return [], 0
    from synapse_nb.actions.runner import task_state

    extended = api.task.record(lineage.extends)
    config = task_state(extended).tune_config
    if extended.status != "finished" or not extended.result:
        raise InputError("task", "a finished search to extend", got=f"task {extended.id} is {extended.status}",
                         hint="retry it first (task.retry()), then extend the finished search")
    return list(extended.result.get("trial_models") or []), config.num_samples if config else 0


def _finished_trials(api: Any, lineage: SearchLineage, record: Any) -> dict[str, dict[str, float]]:
    """Trials earlier attempts of this search finished and registered: their final metrics."""
    if not lineage.restoring:
        return {}
    earlier = [task_id for task_id in lineage.attempts if task_id != record.id]
    return {trial_id: dict(model.metrics) for trial_id, model in trial_models_of(api, earlier).items()
            if not model.config.get("stopped_early")}


def extension_config(config: Any, old_trials: list[dict[str, Any]], run: Any) -> Any:
    """The tune config of an extension: the earlier points are not evaluated again, and a
    search algorithm that can be told earlier results (``evaluated_rewards``) gets them all,
    so the new trials build on what the search learnt."""
    import inspect

    from synapse_nb.tuning_registry import DEFAULT_REGISTRY

    if config.search_alg is None:
        return config  # random / grid search: nothing to learn from earlier trials
    search_alg = config.search_alg.model_copy(update={"points_to_evaluate": None})
    metric = config.primary_metric
    known = [t for t in old_trials if isinstance((t.get("metrics") or {}).get(metric), (int, float))]
    cls = DEFAULT_REGISTRY.resolve(search_alg.name)
    # Several objectives: optuna would need every earlier trial's values of all of them.
    if known and not config.multi_objective and "evaluated_rewards" in inspect.signature(cls).parameters:
        search_alg = search_alg.model_copy(update={
            "points_to_evaluate": [dict(t["config"]) for t in known],
            "options": {**search_alg.options, "evaluated_rewards": [float(t["metrics"][metric]) for t in known]},
        })
        run.log(f"searcher warm-started with {len(known)} finished trials")
    elif search_alg.name != "basicvariantgenerator":
        run.log(f"{search_alg.name} cannot be told earlier results: the new trials start fresh", level="WARNING")
    return config.model_copy(update={"search_alg": search_alg})


def experiment_storage(work_dir: Path, configured: str | None) -> str:
    """Where Ray Tune keeps the search (its ``storage_path``): the agent's storage setting
    (``SYNAPSE_NB_STORAGE``: a path or a URI such as ``s3://bucket/experiments``, reachable
    from every node), else the task's own folder.

    Example:
        >>> experiment_storage(Path("/runs/task-3"), "s3://team/experiments/")
        's3://team/experiments'
        >>> experiment_storage(Path("/runs/task-3"), None) == str(Path("/runs/task-3/tune").resolve())
        True
    """
    from synapse_nb.agent.cluster import is_remote_storage

    if configured:
        return configured.rstrip("/") if is_remote_storage(configured) else str(Path(configured).expanduser().resolve())
    return str((work_dir / "tune").resolve())


def _checkpoints_to_keep(tune_config: Any) -> int | None:
    """How many of its checkpoints each trial keeps in the experiment storage: the latest
    (all a restored search needs), except under PBT, which keeps them all.

    PBT clones a trial from the checkpoint another trial had at its last perturbation, and
    that trial goes on reporting (and, keeping fewer, deleting) checkpoints until the clone
    has restored it, however long that takes: a deleted one fails the clone with "Could not
    recover from checkpoint as it does not exist on storage anymore" (Ray Tune warns that
    ``num_to_keep <= 2`` breaks PBT, and no count is safe when restoring is slow).

    Example:
        >>> from synapse_nb.search_space import TuneConfig
        >>> _checkpoints_to_keep(TuneConfig(mode="max", metric="mAP50", scheduler={"name": "pbt"})) is None
        True
        >>> _checkpoints_to_keep(TuneConfig(mode="max", metric="mAP50", scheduler={"name": "asha"}))
        1
    """
    return None if tune_config.scheduler and tune_config.scheduler.name == "pbt" else 1


def _model_name(state: TrainState, checkpoint: dict[str, Any] | None) -> str:
    if checkpoint and checkpoint.get("name"):
        return str(checkpoint["name"])
    ref = state.model_ref
    return ref.name or str(state.model)


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in values.items()}


def run_tune(cls: type, state: TrainState, record: Any, runtime: Any) -> dict[str, Any]:
    """Run the search of ``state`` for task ``record``; return the Synapse-shaped result."""
    from ray import tune

    from synapse_nb.actions.runner import action_params
    from synapse_nb.search_space import stopping_iterations, to_ray_tune_config

    assert state.search_space is not None and state.tune_config is not None
    api, run = runtime.api, runtime.run
    space, tune_config = state.search_space, state.tune_config
    lineage = search_lineage(api, record)
    old_trials, old_samples = _earlier_trials(api, lineage)
    this_run = tune_config.model_copy(update={"num_samples": tune_config.num_samples - old_samples})
    if old_trials:
        this_run = extension_config(this_run, old_trials, run)
    total = this_run.total_trials(space)
    action = cls(action_params(state), runtime)
    fixed = state.hyperparameters_dict
    # Built (and so checked: names, options, max_t) before any work starts.
    epochs = max_epochs(action, fixed, space)
    tuner_config = to_ray_tune_config(this_run, space, default_max_t=epochs)
    stop_points = stopping_iterations(this_run, default_max_t=epochs)
    tuner_config.reuse_actors = True  # a new process per trial costs seconds of imports
    tuner_config.trial_dirname_creator = trial_dirname

    _prepare_dataset(action)
    checkpoint = action.get_checkpoint()
    model_name = _model_name(state, checkpoint)
    exp_name = state.experiment_name or default_experiment_name(
        lineage.origin, action.context.dataset.get("project_name"), model_name)
    spec = TrialSpec(
        url=api.url, token=api.token, task_id=record.id, action_cls=cls, params=action.context.params,
        dataset=_jsonable(action.context.dataset) or {}, checkpoint=_jsonable(checkpoint),
        fixed_hyperparameters=fixed, searched=space.names, metric=tune_config.primary_metric,
        mode=tune_config.primary_mode, objectives=tune_config.metrics,
        state_json=state.to_json(), experiment_name=exp_name,
        report_checkpoints=bool(tune_config.scheduler and tune_config.scheduler.name == "pbt"),
        keep_weights_at=None if stop_points is None else sorted(stop_points),
        finished=_finished_trials(api, lineage, record),
        failures_dir=str((runtime.work_dir / "tune" / lineage.experiment / ".trial_failures").resolve()),
    )
    trainable = tune.with_resources(tune.with_parameters(_trainable(), spec=spec), _trial_resources(state))
    from synapse_nb.agent.cluster import STORAGE_ENV

    storage = experiment_storage(runtime.work_dir, os.environ.get(STORAGE_ENV))
    experiment_uri = f"{storage}/{lineage.experiment}"
    # The binding file stays on this machine (the storage may be remote); a restored
    # callback reads this run's binding from REPORT_BINDING instead. The search guard keeps
    # its stop reason there too.
    binding_dir = (runtime.work_dir / "tune" / lineage.experiment).resolve()
    trials_dir = binding_dir if "://" in storage else Path(experiment_uri)
    extra_rows = {t["trial_id"]: {"status": t.get("status", "TERMINATED"), "node": t.get("node"),
                                  **t.get("config", {}), **t.get("metrics", {})} for t in old_trials}
    callback = TrialTableCallback(binding_dir, space.names, tune_config.metrics, total + len(old_trials), extra_rows)
    guard = SearchGuard(binding_dir, tune_config.max_failed_trials, tune_config.max_consecutive_failures,
                        tune_config.idle_timeout, resources=_trial_resources(state))
    binding = {"url": api.url, "task_id": record.id, "offset": 0, "verify": getattr(api, "verify", True)}
    write_binding(binding_dir, api.url, record.id, verify=binding["verify"])
    clear_stop_reason(binding_dir)

    if lineage.restoring and tune.Tuner.can_restore(experiment_uri):
        run.log(f"resuming search {lineage.experiment} from {storage}: finished trials are kept")
        forget_failures(trials_dir)
        tuner = tune.Tuner.restore(experiment_uri, trainable=trainable, resume_unfinished=True,
                                   resume_errored=False, restart_errored=True)
    else:
        tuner = tune.Tuner(
            trainable,
            param_space=space.to_ray(),
            tune_config=tuner_config,
            run_config=tune.RunConfig(
                storage_path=storage, name=lineage.experiment, verbose=0,
                callbacks=[callback, guard, StopRequested()],
                stop=guard.stopper(),
                # One retry per trial: a trial whose own code failed replays its recorded
                # failure at once (trial.py), so only a lost worker really runs again.
                failure_config=tune.FailureConfig(max_failures=1, fail_fast=False),
                checkpoint_config=tune.CheckpointConfig(num_to_keep=_checkpoints_to_keep(tune_config)),
            ),
        )
    objectives = ", ".join(f"{m} ({o})" for m, o in zip(tune_config.metrics, tune_config.modes))
    run.log(f"search {lineage.experiment}: {total} trials, metric {objectives}")
    reporting, bound = REPORT_TOKEN.set(api.token), REPORT_BINDING.set(binding)
    try:
        results = tuner.fit()
    except Exception as exc:
        # Asked to stop, StopRequested ended the search: Ray Tune ended the trials (and freed
        # what they reserved); the running ones stay unfinished for task.retry().
        if api.task.record(record.id).status == "stopping":
            raise TaskStopped(f"search {lineage.experiment} stopped on request") from exc
        raise
    finally:
        REPORT_BINDING.reset(bound)
        REPORT_TOKEN.reset(reporting)
    if api.task.record(record.id).status == "stopping":
        raise TaskStopped(f"search {lineage.experiment} stopped on request")

    framework = getattr(action, "framework_name", None) or "custom"
    recording = time.monotonic()
    records = trial_records(api, record, results, lineage.attempts, exp_name, framework)
    run.log(f"{len(records)} trials recorded in {time.monotonic() - recording:.2f} s "
            "(with the models of trials stopped before they registered one)")
    all_trials = old_trials + records
    metric = tune_config.primary_metric
    stop_search_if_guarded(binding_dir, run, lambda: run.log_trials(**final_table(all_trials, space.names,
                                                                                   tune_config.metrics)))
    choice = select_best(results, all_trials, tune_config)
    if choice is None:
        errors = [t["error"] for t in records if t["error"]]
        raise RuntimeError(f"no trial reported the metric {metric!r}"
                           + (f"; first error: {errors[0]}" if errors else ""))
    best = next(t for t in all_trials if t["trial_id"] == choice.trial_id)
    api.task.set_best_trial(record.id, best["trial_id"])
    run.log_trials(**final_table(all_trials, space.names, tune_config.metrics, pareto=choice.pareto),
                   best_trial=best["trial_id"], best_rule=choice.describe(metric))
    run.set_progress(1, 1, "model_upload", overall=1.0)
    run.log(f"best trial {best['trial_id']}: {metric}={best['metrics'].get(metric)}, {choice.describe(metric)}")
    return tune_result(record, all_trials, best, metric, exp_name, framework, model_name, fixed,
                       selection=choice.as_result(metric))


def _trainable() -> Any:
    from synapse_nb.actions.train.tune.trial import run_trial

    return run_trial
