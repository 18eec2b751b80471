"""TrainApi: start training from one notebook cell, the way TrainApp users know.

Example:
    >>> # import synapse_nb as snb
    >>> # api = snb.Api.from_env()
    >>> # project = api.project.import_samples(num_images=64)
    >>> # task = snb.TrainApi(api).run(api.agent.local(), project.id, model="YOLO/yolo11n-det",
    >>> #                              hyperparameters="epochs: 10\\nimgsz: 128\\n", export_onnx=True)
    >>> # task.wait(); task.experiment
"""

from __future__ import annotations

__all__ = ["TrainApi"]

from typing import Any

from synapse_nb.api.preflight import check_state
from synapse_nb.api.task import Task
from synapse_nb.schemas.task import TaskCreate
from synapse_nb.state import DEFAULT_MODEL, TrainState


class TrainApi:
    """Submit training (and tuning) tasks to an agent."""

    def __init__(self, api: Any) -> None:
        self.api = api

    def run(
        self,
        agent_id: int | TrainState | None = None,
        project_id: int | None = None,
        model: str | int = DEFAULT_MODEL,
        classes: list[str] | None = None,
        train_val_split: Any = None,
        hyperparameters: str | None = None,
        experiment_name: str | None = None,
        convert_class_shapes: bool = True,
        enable_benchmark: bool = True,
        enable_speedtest: bool = False,
        cache_project: bool = True,
        export_onnx: bool = False,
        export_tensorrt: bool = False,
        autostart: bool = True,
        *,
        search_space: list[dict[str, Any]] | Any = None,
        tune_config: dict[str, Any] | Any = None,
        num_cpus: float | None = None,
        num_gpus: float | None = None,
        plugin: str | None = None,
        data_path: str | None = None,
        plugin_params: dict[str, Any] | None = None,
    ) -> Task:
        """Validate the run against the backend, submit it, and return its :class:`Task`.

        The parameters and defaults are those of the Supervisely TrainApi; tuning adds
        ``search_space`` (the searched hyperparameters: a list in the Synapse form) and
        ``tune_config`` — then ``hyperparameters`` holds the fixed values each trial starts
        from; ``plugin_params`` are a ``module:Class`` plugin's own params. Pass a ready
        :class:`TrainState` instead (what the wizard builds) as the only argument. Everything is checked before the task is created (see
        :mod:`synapse_nb.api.preflight`); the task starts at once unless ``autostart=False``
        (then ``task.start()``).

        When it returns, the backend has accepted the task and its agent was online (the
        backend marks an agent offline when its heartbeats stop). ``task.wait_started()``
        blocks until the agent's worker has begun the run, and says what the task still
        waits for if it has not (``task.start()``, a busy agent, an agent gone offline).
        """
        if isinstance(agent_id, TrainState):
            state = agent_id
        else:
            fields: dict[str, Any] = dict(
                classes=classes, hyperparameters=hyperparameters, experiment_name=experiment_name,
                convert_class_shapes=convert_class_shapes, enable_benchmark=enable_benchmark,
                enable_speedtest=enable_speedtest, cache_project=cache_project, export_onnx=export_onnx,
                export_tensorrt=export_tensorrt, autostart=autostart, search_space=search_space,
                tune_config=tune_config, num_cpus=num_cpus, num_gpus=num_gpus, plugin=plugin, data_path=data_path,
                plugin_params=plugin_params or {},
            )
            if train_val_split is not None:
                fields["train_val_split"] = train_val_split
            state = TrainState.from_run_args(agent_id, project_id, model, **fields)
        state = check_state(self.api, state)
        record = self.api.task.create(
            TaskCreate(agent_id=state.agent_id, state=state.model_dump(mode="json"), autostart=state.autostart))
        return Task(self.api, record)

    def submit_action(self, agent_id: int | None, payload: dict[str, Any]) -> Task:
        """Submit a Synapse action payload ``{"action": "train", "params": {...}}``.

        The payload is parsed into a :class:`TrainState` here, once (the documented errors,
        e.g. "hyperparameter is required when is_tune=False"; a plugin's own keys become its
        ``plugin_params``, which reach it as sent), checked against the backend like
        :meth:`run`, and submitted as that state; the payload is kept beside it as sent.
        """
        state = TrainState.from_action_payload(payload).model_copy(update={"agent_id": agent_id})
        state = check_state(self.api, state)
        record = self.api.task.create(TaskCreate(agent_id=state.agent_id, state=state.model_dump(mode="json"),
                                                 payload=payload, autostart=True))
        return Task(self.api, record)

    def check(self, state: TrainState) -> TrainState:
        """Validate ``state`` against the backend without submitting it (the wizard uses this)."""
        return check_state(self.api, state)
