"""Tuning mode: prepare the dataset once, run the trials with Ray Tune, register the best.

The search runs on the agent's Ray (local or a cluster). Each trial reports every epoch,
so ASHA/HyperBand can stop it early and PBT can perturb it; a failing trial shows as ERROR
and the search goes on. The best trial is Ray's own best result (found by trial id, not by
matching a float); every trial has its own model; the task's model is the best trial's.

``task.retry()`` of an interrupted search restores the Ray Tune experiment (finished trials
are not rerun); ``task.extend(n)`` runs ``n`` more samples, warm-starting the searcher with
the finished trials' results where the search algorithm supports it.

Example:
    >>> TUNE_WEIGHTS
    {'dataset': 20.0, 'train': 75.0, 'model_upload': 5.0}
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import Any

from synapse_nb.actions.train.tune.reporter import trial_prefix
from synapse_nb.actions.train.tune.spec import TrialSpec
from synapse_nb.actions.train.tune.table import TrialTableCallback, write_binding
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


def _previous(api: Any, record: Any) -> tuple[Any, TrainState | None]:
    if not record.retry_of:
        return None, None
    from synapse_nb.actions.runner import task_state

    old = api.task.get(record.retry_of)
    return old, task_state(old)


def run_tune(cls: type, state: TrainState, record: Any, runtime: Any) -> dict[str, Any]:
    """Run the search of ``state`` for task ``record``; return the Synapse-shaped result."""
    from ray import tune

    from synapse_nb.actions.runner import action_params
    from synapse_nb.search_space import to_ray_tune_config

    assert state.search_space is not None and state.tune_config is not None
    api, run = runtime.api, runtime.run
    space, tune_config = state.search_space, state.tune_config
    action = cls(action_params(state, record), runtime)
    _prepare_dataset(action)
    checkpoint = action.get_checkpoint()
    fixed = state.hyperparameters_dict
    name = state.job_name or f"task-{record.retry_of or record.id}"
    storage = (runtime.work_dir / "tune").resolve()
    experiment_dir = storage / name

    old_record, old_state = _previous(api, record)
    extending = (old_state is not None and old_state.tune_config is not None
                 and tune_config.num_samples > old_state.tune_config.num_samples)
    old_trials = (old_record.result or {}).get("trial_models", []) if extending and old_record else []
    added = tune_config.num_samples - old_state.tune_config.num_samples if extending else tune_config.num_samples
    run_config_space = tune_config.model_copy(update={"num_samples": added})
    total = run_config_space.total_trials(space)

    exp_name = state.experiment_name or default_experiment_name(record.id, action.context.dataset.get("project_name"),
                                                              _model_name(state, checkpoint))
    spec = TrialSpec(
        url=api.url, token=api.token, task_id=record.id, action_cls=cls, params=action.context.params,
        dataset={k: (str(v) if isinstance(v, Path) else v) for k, v in action.context.dataset.items()},
        checkpoint=_jsonable_checkpoint(checkpoint), fixed_hyperparameters=fixed, searched=space.names,
        metric=tune_config.metric, mode=tune_config.mode, state_json=state.to_json(), experiment_name=exp_name,
        report_checkpoints=bool(tune_config.scheduler and tune_config.scheduler.name == "pbt"),
    )
    trainable = tune.with_resources(
        tune.with_parameters(_trainable(), spec=spec),
        {"cpu": state.num_cpus or 1, "gpu": state.num_gpus or 0},
    )
    epochs = fixed.get("epochs") if isinstance(fixed.get("epochs"), int) else None
    if extending:
        name = f"{name}-extend-{record.id}"
        experiment_dir = storage / name
    extra_rows = {t["trial_id"]: {"status": t.get("status", "TERMINATED"), **t.get("config", {}),
                                  **t.get("metrics", {})} for t in old_trials}
    callback = TrialTableCallback(experiment_dir, space.names, tune_config.metric, total + len(old_trials), extra_rows)
    write_binding(experiment_dir, api.url, api.token, record.id)

    if record.retry_of and not extending and tune.Tuner.can_restore(str(experiment_dir)):
        run.log(f"resuming search {name}: finished trials are kept")
        tuner = tune.Tuner.restore(str(experiment_dir), trainable=trainable, resume_unfinished=True,
                                   resume_errored=False, restart_errored=True)
    else:
        search_alg_space = space
        tuner_config = to_ray_tune_config(run_config_space, search_alg_space, default_max_t=epochs)
        if extending and old_trials:
            _warm_start(tuner_config.search_alg, old_trials, tune_config.metric, run)
        tuner = tune.Tuner(
            trainable,
            param_space=space.to_ray(),
            tune_config=tuner_config,
            run_config=tune.RunConfig(
                storage_path=str(storage), name=name, callbacks=[callback], verbose=0,
                failure_config=tune.FailureConfig(max_failures=0, fail_fast=False),
                checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
            ),
        )
    run.log(f"search {name}: {total} trials, metric {tune_config.metric} ({tune_config.mode})")
    results = tuner.fit()
    return _finish(api, run, record, results, tune_config, old_trials, exp_name, action)


def _trainable() -> Any:
    from synapse_nb.actions.train.tune.trial import run_trial

    return run_trial


def _model_name(state: TrainState, checkpoint: dict[str, Any] | None) -> str:
    if checkpoint and checkpoint.get("name"):
        return str(checkpoint["name"])
    ref = state.model_ref
    return ref.name or str(state.model)


def _jsonable_checkpoint(checkpoint: dict[str, Any] | None) -> dict[str, Any] | None:
    if checkpoint is None:
        return None
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in checkpoint.items()}


def _warm_start(searcher: Any, old_trials: list[dict[str, Any]], metric: str, run: Any) -> None:
    """Give the searcher what the earlier trials found, so extending keeps its knowledge."""
    target = getattr(searcher, "searcher", searcher)  # unwrap a ConcurrencyLimiter
    if target is None or not hasattr(target, "add_evaluated_point"):
        return
    added = 0
    for trial in old_trials:
        value = (trial.get("metrics") or {}).get(metric)
        if value is None:
            continue
        try:
            target.add_evaluated_point(trial.get("config") or {}, float(value))
            added += 1
        except NotImplementedError:
            run.log(f"{type(target).__name__} cannot be warm-started: the new trials start fresh", level="WARNING")
            return
    run.log(f"searcher warm-started with {added} finished trials")


def _trial_models(api: Any, task_id: int) -> dict[str, Any]:
    page = api.model.list(task_id=task_id, limit=1000)
    return {m.trial_id: m for m in page.items if m.trial_id}


def _model_from_files(api: Any, record: Any, trial_id: str, exp_name: str, config: dict[str, Any],
                      metrics: dict[str, Any], framework: str) -> int | None:
    """Register a trial stopped early by the scheduler from the weights it uploaded."""
    from synapse_nb.schemas.model import ModelCreate

    prefix = trial_prefix(trial_id) + "/"
    files = [f for f in api.task.list_files(record.id) if _file_path(f).startswith(prefix)]
    if not files:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        for f in files:
            rel = _file_path(f)[len(prefix):]
            api.task.download_file(record.id, _file_path(f), folder / "checkpoints" / rel)
        (folder / "trial.json").write_text(json.dumps({"trial_id": trial_id, "config": config, "metrics": metrics},
                                                      default=str))
        weights = next((f"checkpoints/{_file_path(f)[len(prefix):]}" for f in files), None)
        meta = ModelCreate(name=f"{exp_name} trial {trial_id}", framework=framework, task_id=record.id,
                           project_id=record.project_id, trial_id=trial_id, weights=weights,
                           metrics={k: v for k, v in metrics.items() if isinstance(v, (int, float))},
                           config={"trial_config": config, "trial_id": trial_id, "stopped_early": True})
        return api.model.create(meta, folder).id


def _file_path(entry: Any) -> str:
    return entry if isinstance(entry, str) else getattr(entry, "path", None) or entry["path"]


def _finish(api: Any, run: Any, record: Any, results: Any, tune_config: Any, old_trials: list[dict[str, Any]],
            exp_name: str, action: Any) -> dict[str, Any]:
    metric, mode = tune_config.metric, tune_config.mode
    models = _trial_models(api, record.id)
    framework = getattr(action, "framework_name", None) or "custom"
    trial_models: list[dict[str, Any]] = []
    for result in results:
        trial_id = (result.metrics or {}).get("trial_id") or Path(result.path).name
        config = {k: v for k, v in (result.config or {}).items()}
        metrics = {k: v for k, v in (result.metrics or {}).items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool) and not k.startswith(("time_", "timestamp"))}
        status = "ERROR" if result.error else "TERMINATED"
        model = models.get(trial_id)
        model_id = model.id if model else (None if result.error else
                                           _model_from_files(api, record, trial_id, exp_name, config, metrics, framework))
        trial_models.append({"trial_id": trial_id, "trial_logdir": str(result.path), "model_id": model_id,
                             "config": config, "metrics": metrics, "status": status,
                             "error": str(result.error)[:500] if result.error else None})
    best_trial: dict[str, Any] | None = None
    try:
        best = results.get_best_result(metric=metric, mode=mode, filter_nan_and_inf=True)
    except RuntimeError:
        best = None
    if best is not None:
        best_id = (best.metrics or {}).get("trial_id")
        best_trial = next((t for t in trial_models if t["trial_id"] == best_id), None)
    best_trial = _best_overall(best_trial, old_trials, metric, mode)
    all_trials = old_trials + trial_models
    if best_trial is None:
        errors = [t["error"] for t in trial_models if t["error"]]
        raise RuntimeError(f"no trial reported the metric {metric!r}" + (f"; first error: {errors[0]}" if errors else ""))
    api.task.set_best_trial(record.id, best_trial["trial_id"])
    callback_rows = {t["trial_id"]: {"status": t["status"], **t["config"], **{metric: t["metrics"].get(metric)}}
                     for t in all_trials}
    hyper = sorted({k for t in all_trials for k in t["config"]})
    run.log_trials(trials=callback_rows, base=["status"], hyperparameters=hyper, metrics=[metric],
                   best_trial=best_trial["trial_id"])
    run.set_progress(1, 1, "model_upload", overall=1.0)
    run.log(f"best trial {best_trial['trial_id']}: {metric}={best_trial['metrics'].get(metric)}")
    return {
        "model_id": best_trial.get("model_id"),
        "best_trial": {k: best_trial[k] for k in ("trial_id", "trial_logdir", "config", "metrics")},
        "trial_models": [{k: t[k] for k in ("trial_id", "trial_logdir", "model_id", "config", "metrics", "status",
                                            "error")} for t in all_trials],
        "total_trials": len(all_trials),
        "experiment": {"experiment_name": exp_name, "framework_name": framework, "model_name": exp_name,
                       "task_id": record.id, "project_id": record.project_id,
                       "model_id": best_trial.get("model_id"),
                       "model_ids": [t["model_id"] for t in all_trials if t.get("model_id")],
                       "evaluation_metrics": best_trial["metrics"], "primary_metric": metric,
                       "hyperparameters": None},
    }


def _best_overall(best: dict[str, Any] | None, old: list[dict[str, Any]], metric: str, mode: str) -> dict[str, Any] | None:
    """With an extended search, the better of this run's best and the earlier best."""
    candidates = [t for t in old if isinstance((t.get("metrics") or {}).get(metric), (int, float))]
    if best is not None:
        candidates.append(best)
    if not candidates:
        return None
    pick = max if mode == "max" else min
    return pick(candidates, key=lambda t: t["metrics"][metric])
