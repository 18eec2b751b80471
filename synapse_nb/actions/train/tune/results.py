"""The end of a search: one record per trial, the best trial, the final trials table and the
task result in the Synapse shape (model_id, best_trial, trial_models).

The best trial is chosen in :mod:`.best` and looked up by its trial id: two trials that
reach the same metric value can never be confused. Every trial's model was registered by the
trial itself; a trial the scheduler stopped before it could do so gets its model from the
weights it uploaded before its last report.

Example:
    >>> trial_id_of({}, "/runs/search-3/trial_ab12c_00004")
    'ab12c_00004'
"""

from __future__ import annotations

__all__ = ["REGISTER_WORKERS", "final_table", "trial_id_of", "trial_models_of", "trial_records", "tune_result"]

import json
import logging
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from synapse_nb.actions.train.tune.reporter import MODEL_CONFIG_FILE, trial_prefix
from synapse_nb.actions.train.tune.table import BASE_COLUMNS, TRIAL_DIR_PREFIX, metric_columns, snapshot_row, trial_node

log = logging.getLogger("synapse_nb.tune")
# Stopped trials' models registered at once at the end of a search.
REGISTER_WORKERS = 4
_RAY_BOOKKEEPING = ("time_", "timestamp", "iterations_since_restore", "pid", "done")


def trial_id_of(metrics: dict[str, Any], path: str | Path) -> str:
    """A result's trial id: from its metrics, else from its folder (``trial_<id>``), which
    a trial that failed before reporting anything still has."""
    if metrics.get("trial_id"):
        return str(metrics["trial_id"])
    name = Path(str(path)).name
    return name[len(TRIAL_DIR_PREFIX):] if name.startswith(TRIAL_DIR_PREFIX) else name


def _numeric(metrics: dict[str, Any]) -> dict[str, float]:
    return {k: v for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not k.startswith(_RAY_BOOKKEEPING)}


def trial_models_of(api: Any, task_ids: list[int], take_back_superseded_of: int | None = None) -> dict[str, Any]:
    """The models the trials of these tasks registered, by trial id (a trial's newest).

    A trial can register twice: PBT restarts a trial from another one's checkpoint even at
    its last report, and the restarted trial registers again at its end. With
    ``take_back_superseded_of`` (this search's task id), that task's older model of such a
    trial leaves the registry, so no model is left that no trial stands for.
    """
    models: dict[str, Any] = {}
    for task_id in task_ids:
        for model in api.model.all(task_id=task_id):  # oldest first
            if not model.trial_id:
                continue
            older = models.get(model.trial_id)
            if older is not None and take_back_superseded_of == task_id == older.task_id:
                api.model.delete(older.id)
                log.info("trial %s: model %s superseded by model %s, taken back", model.trial_id, older.id, model.id)
            models[model.trial_id] = model
    return models


def _model_from_files(api: Any, record: Any, trial_id: str, exp_name: str, config: dict[str, Any],
                      metrics: dict[str, Any], framework: str, task_files: list[Any]) -> int | None:
    """Register the model of a trial stopped by the scheduler, from the weights it uploaded
    (``task_files``: the task's files, listed once for every such trial)."""
    from synapse_nb.schemas.model import ModelCreate

    prefix = trial_prefix(trial_id) + "/"
    files = [f.path[len(prefix):] for f in task_files if f.path.startswith(prefix)]
    weights = [name for name in files if name != MODEL_CONFIG_FILE]
    if not weights:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        for name in weights:
            api.task.download_file(record.id, prefix + name, folder / "checkpoints" / name)
        model_config: dict[str, Any] = {}
        if MODEL_CONFIG_FILE in files:
            kept = api.task.download_file(record.id, prefix + MODEL_CONFIG_FILE, Path(tmp) / MODEL_CONFIG_FILE)
            model_config = json.loads(Path(kept).read_text(encoding="utf-8"))
        (folder / "trial.json").write_text(json.dumps({"trial_id": trial_id, "config": config, "metrics": metrics},
                                                      default=str))
        meta = ModelCreate(name=f"{exp_name} trial {trial_id}", framework=framework, task_id=record.id,
                           project_id=record.project_id, trial_id=trial_id, weights=f"checkpoints/{weights[0]}",
                           metrics=metrics, config={"trial_config": config, "trial_id": trial_id,
                                                    "stopped_early": True, **model_config})
        return api.model.create(meta, folder).id


def trial_records(api: Any, record: Any, results: Any, attempts: list[int], exp_name: str,
                  framework: str) -> list[dict[str, Any]]:
    """One record per trial of ``results`` (a ResultGrid): id, folder, model, config, metrics,
    status and error."""
    models = trial_models_of(api, attempts, take_back_superseded_of=record.id)
    records: list[dict[str, Any]] = []
    # Trials the scheduler stopped before they registered a model: (index, trial id, config, metrics).
    stopped: list[tuple[int, str, dict[str, Any], dict[str, float]]] = []
    for result in results:
        metrics = dict(result.metrics or {})
        trial_id = trial_id_of(metrics, result.path)
        config = dict(result.config or {})
        numeric = _numeric(metrics)
        model = models.get(trial_id)
        model_id = model.id if model is not None else None
        if model_id is None and result.error is None:
            stopped.append((len(records), trial_id, config, numeric))
        records.append({
            "trial_id": trial_id, "trial_logdir": str(result.path), "model_id": model_id, "config": config,
            "metrics": numeric, "iterations": metrics.get("training_iteration"), "node": trial_node(metrics),
            "status": "ERROR" if result.error else "TERMINATED",
            **(_failure_fields(result.error) if result.error else {"error": None, "failure": None}),
        })
    if stopped:
        # Each is a download and an upload of its weights: side by side, not one after another.
        task_files = api.task.list_files(record.id)
        with ThreadPoolExecutor(max_workers=min(REGISTER_WORKERS, len(stopped))) as pool:
            ids = list(pool.map(lambda s: _model_from_files(api, record, s[1], exp_name, s[2], s[3], framework,
                                                            task_files), stopped))
        for (index, *_), model_id in zip(stopped, ids):
            records[index]["model_id"] = model_id
    return records


def _failure_fields(error: BaseException) -> dict[str, Any]:
    """The trial's error line with its failure code and remedy (Ray wraps the trial's
    exception; its last line is the trial's own message)."""
    from synapse_nb.actions.train.tune.failures import classify

    failure = classify(str(error))
    return {"error": failure.describe()[:500], "failure": failure.code}


def final_table(records: list[dict[str, Any]], hyperparameters: list[str], metric: str | list[str],
                pareto: list[str] | None = None) -> dict[str, Any]:
    """The last trials table: the same columns the live table had, every trial's final row
    (with its failure code when it failed, and whether it is on the Pareto front of a
    multi-objective search)."""
    objectives = [metric] if isinstance(metric, str) else list(metric)
    metrics = metric_columns(objectives, [t["metrics"] for t in records])
    rows: dict[str, dict[str, Any]] = {}
    for t in records:
        row = snapshot_row(t["status"], t["config"], t["metrics"], hyperparameters, metrics)
        row["iterations"] = t.get("iterations")
        row["node"] = t.get("node")
        if t.get("error"):
            row["error"] = t["error"]
            row["failure"] = t.get("failure")
        if pareto is not None:
            row["pareto"] = t["trial_id"] in pareto
        rows[t["trial_id"]] = row
    return {"trials": rows, "base": list(BASE_COLUMNS), "hyperparameters": hyperparameters, "metrics": metrics}


def tune_result(record: Any, records: list[dict[str, Any]], best: dict[str, Any], metric: str, exp_name: str,
                framework: str, model_name: str, fixed: dict[str, Any],
                selection: dict[str, Any] | None = None) -> dict[str, Any]:
    """The task result: model_id, best_trial {trial_logdir, config, metrics, selection},
    trial_models; and the experiment record of the best trial (its hyperparameters: the
    fixed ones and its own). ``selection`` says which rule chose the best, at what budget."""
    from synapse_nb._yaml import dump_hyperparameters

    keys = ("trial_id", "trial_logdir", "model_id", "config", "metrics", "status", "error", "failure", "iterations",
            "node")
    return {
        "model_id": best.get("model_id"),
        "best_trial": {**{k: best[k] for k in ("trial_id", "trial_logdir", "config", "metrics")},
                       "selection": selection or {}},
        "trial_models": [{k: t.get(k) for k in keys} for t in records],
        "total_trials": len(records),
        "experiment": {"experiment_name": exp_name, "framework_name": framework, "model_name": model_name,
                       "task_id": record.id, "project_id": record.project_id, "model_id": best.get("model_id"),
                       "model_ids": [t["model_id"] for t in records if t.get("model_id")],
                       "evaluation_metrics": best["metrics"], "primary_metric": metric,
                       "hyperparameters": dump_hyperparameters({**fixed, **best["config"]})},
    }
