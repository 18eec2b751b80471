"""TrainContext: what the steps of a train action share while it runs.

``runtime_ctx`` holds what the environment provides (the backend's Api, the task's
TrainRun logger, a working folder, the device, the trial id in tuning); the other fields are
filled in by the steps as they go (``dataset`` by export/convert, ``model_path`` by
training, ``model`` by upload).

Example:
    >>> from pathlib import Path
    >>> from synapse_nb.actions.train.run import TrainRun
    >>> rt = RuntimeContext(task_id=None, api=None, run=TrainRun(None, None), work_dir=Path("."))
    >>> ctx = TrainContext(params={"epochs": 1}, runtime_ctx=rt)
    >>> ctx.dataset
    {}
"""

from __future__ import annotations

__all__ = ["RuntimeContext", "TrainContext"]

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synapse_nb.errors import SynapseNBError

if TYPE_CHECKING:
    from synapse_nb.actions.train.client import BackendClient
    from synapse_nb.actions.train.run import TrainRun
    from synapse_nb.api import Api
    from synapse_nb.state import TrainState
    from synapse_nb.steps.progress import PipelineProgress


@dataclass
class RuntimeContext:
    """What the agent (or ``run_local``) gives a running action."""

    task_id: int | None
    api: Api | None
    run: TrainRun
    work_dir: Path
    state: TrainState | None = None
    device: str = "cpu"
    trial_id: str | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    # Where the train step reports per-epoch results in tuning (set by the tune driver).
    tune_reporter: Any = None
    # The task this run retries (a training run then resumes from that task's last checkpoint).
    retry_of: int | None = None


@dataclass
class TrainContext:
    """State shared between the steps of one train action run."""

    params: dict[str, Any]
    runtime_ctx: RuntimeContext
    dataset: dict[str, Any] = field(default_factory=dict)
    checkpoint: dict[str, Any] | None = None
    model_path: str | None = None
    model: dict[str, Any] | None = None
    result: Any = None
    # Facts for the experiment record, added by the steps (benchmark report, exports, ...).
    experiment: dict[str, Any] = field(default_factory=dict)
    progress: PipelineProgress | None = None
    # The action running this context (set by BaseTrainAction), for steps that call back into it.
    action: Any = None

    @property
    def client(self) -> BackendClient:
        """The backend client: the task's Api plus the Synapse SDK's client calls
        (``get_data_collection``, ``create_model``); raises when the action runs without a backend."""
        from synapse_nb.actions.train.client import BackendClient

        if self.runtime_ctx.api is None:
            raise SynapseNBError("this action runs without a backend: there is no client")
        return BackendClient(self)

    @property
    def run(self) -> TrainRun:
        """The task's logger."""
        return self.runtime_ctx.run

    @property
    def state(self) -> TrainState | None:
        """The TrainState the task was submitted with (None for a bare payload)."""
        return self.runtime_ctx.state

    @property
    def work_dir(self) -> Path:
        """This run's working folder on the agent."""
        return self.runtime_ctx.work_dir

    def set_progress(self, current: float, total: float) -> None:
        """Report the running step's progress as ``current / total``."""
        if self.progress is not None:
            self.progress.update(current, total)
