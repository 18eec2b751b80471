"""run_local: run a train action in this process, reported to the backend as a task.

For plugin authors iterating in a notebook: no agent (and no Ray, except that a search runs
its trials on a local Ray started for the call), the same export, progress, logs, metrics and
model upload as a real task, visible in the dashboard.

Example:
    >>> from synapse_nb.actions import run_local
    >>> callable(run_local)
    True
"""

from __future__ import annotations

__all__ = ["run_local"]

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from synapse_nb.actions.local_result import local_result
from synapse_nb.actions.resolve import as_action_class
from synapse_nb.schemas.task import TaskCreate


@contextmanager
def _local_ray(needed: bool) -> Iterator[None]:
    """A search runs its trials on Ray: a local Ray for the call when none is running yet
    (dashboard and usage stats off, this machine's CPUs), shut down afterwards."""
    if not needed:
        yield
        return
    import ray

    if ray.is_initialized():
        yield
        return
    from synapse_nb.agent.ray_runtime import ray_temp_dir

    temp = ray_temp_dir()
    temp.mkdir(parents=True, exist_ok=True)
    ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, log_to_driver=False, configure_logging=False,
             _temp_dir=str(temp))
    try:
        yield
    finally:
        ray.shutdown()


def run_local(action: Any, params: dict[str, Any], api: Any = None) -> Any:
    """Run ``action`` (a BaseTrainAction subclass or a train() function) with ``params``.

    ``params`` are the action's params as in a Synapse payload (``dataset`` = project id,
    ``hyperparameter``, ``checkpoint``, plugin fields...). Returns the action's result: the
    ``result_model`` instance when the action declares one, else execute()'s dict (empty
    when it returned nothing; for a search, the search's result: ``best_trial``,
    ``trial_models``...); either also tells ``.model_id`` (the registered model, None
    if none), ``.task_id`` and ``.task`` (the handle: progress, logs, metrics, dashboard).
    """
    from synapse_nb.actions.runner import execute_task

    if api is None:
        from synapse_nb.api import Api

        api = Api.from_env()
    action_cls = as_action_class(action, field="action")
    payload_params = {"hyperparameter": {}, **params}
    # The import path of what the user gave (a wrapped function's class has none of its own).
    source = action if callable(action) and not isinstance(action, type) else action_cls
    payload_params.setdefault("plugin", f"{source.__module__}:{source.__qualname__}")
    record = api.task.create(TaskCreate(payload={"action": "train", "params": payload_params}, autostart=False))
    api.task.set_status(record.id, "running")
    with _local_ray(bool(params.get("is_tune"))):
        result = execute_task(api, record.id, action_cls=action_cls)
    # A search has no plugin result of its own: its result is the search's (best_trial, trial_models...).
    run_result = result.get("result") if "best_trial" not in result else result
    if action_cls.result_model is not None and isinstance(run_result, dict):
        run_result = action_cls.result_model.model_validate(run_result)
    return local_result(run_result, result.get("model_id"), record.id, api.task.get(record.id))
