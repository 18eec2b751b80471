"""Tasks and what a running task reports: progress, log lines, metrics, visualizations,
trial tables.

A task is created either from a :class:`~synapse_nb.state.TrainState` (the wizard and
``TrainApi.run``) or from a Synapse action payload (``TrainApi.submit_action``); the
backend stores both forms as given and the agent builds the same state from either.

Example:
    >>> MetricPoint(category="train", key="box_loss", value=1.25, epoch=0).trial_id is None
    True
"""

from __future__ import annotations

__all__ = [
    "FINAL_STATUSES", "LogLine", "MetricPoint", "ProgressState", "TaskCreate", "TaskError", "TaskRecord",
    "TaskStatus", "TrialStatus", "TrialTable", "Visualization", "task_state",
]

from datetime import datetime
from typing import Any, Literal

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:  # the state imports the splits, which import these schemas
    from synapse_nb.state import TrainState

# created: waits for task.start() (autostart=False); queued: waits for an agent.
TaskStatus = Literal["created", "queued", "running", "stopping", "finished", "failed", "stopped"]
FINAL_STATUSES: frozenset[str] = frozenset({"finished", "failed", "stopped"})
TrialStatus = Literal["PENDING", "RUNNING", "TERMINATED", "ERROR", "PAUSED"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskCreate(_Strict):
    """A request to run a train action: a ``state``, a ``payload``, or both.

    ``state`` is a TrainState as JSON-able dict (validated by the backend with
    ``TrainState``); ``payload`` a Synapse action payload ``{"action": ..., "params": ...}``.
    The backend parses a train payload sent alone into the state (the one run description
    everything after works on); sent with a state, the payload is what the state was parsed
    from, kept as sent.
    """

    agent_id: int | None = Field(default=None, description="agent to run it; None = any agent")
    state: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None
    autostart: bool = True
    retry_of: int | None = Field(default=None, description="the task this one re-runs")

    @model_validator(mode="after")
    def _one_form(self) -> TaskCreate:
        # A retry may leave both out: the backend copies them from the task it re-runs.
        if self.state is None and self.payload is None and self.retry_of is None:
            raise ValueError("give a 'state' (a TrainState) or a 'payload' (a Synapse action payload)")
        return self


class TaskError(_Strict):
    """Why a task failed: the step that failed, a one-line message and the traceback."""

    step: str | None = None
    message: str
    traceback: str | None = None
    # The failure's user-facing code (out_of_memory, data_error, ...) and what to do about it.
    code: str | None = None
    remedy: str | None = None


class ProgressState(_Strict):
    """Progress of one category (dataset, train, model_upload, ...) of a task."""

    current: float = Field(ge=0)
    total: float = Field(gt=0)
    updated_at: datetime | None = None

    @property
    def fraction(self) -> float:
        """``current / total`` clipped to ``[0, 1]``."""
        return max(0.0, min(1.0, self.current / self.total))


class TaskRecord(BaseModel):
    """A task as stored by the backend."""

    model_config = ConfigDict(extra="ignore")

    id: int
    agent_id: int | None = None
    project_id: int | None = None
    status: TaskStatus
    state: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None
    experiment_name: str | None = None
    progress: dict[str, ProgressState] = Field(default_factory=dict)
    # Overall progress in [0, 1]: the weighted sum over the steps actually present.
    overall_progress: float = 0.0
    result: dict[str, Any] | None = None
    error: TaskError | None = None
    retry_of: int | None = None
    attempt: int = 1
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_final(self) -> bool:
        """Whether the task has ended (finished, failed or stopped)."""
        return self.status in FINAL_STATUSES


def task_state(record: TaskRecord) -> TrainState:
    """The TrainState of a task: what it runs.

    The backend stores a state with every train task (parsing a payload sent alone into one);
    only a task stored without one (before the backend did so) is parsed from its payload.

    Example:
        >>> payload = {"action": "train", "params": {"dataset": 4, "hyperparameter": {"epochs": 2}}}
        >>> task_state(TaskRecord(id=1, status="queued", created_at="2026-01-01T00:00:00Z", payload=payload)).project_id
        4
    """
    from synapse_nb.state import TrainState  # here: synapse_nb.state imports these schemas

    if record.state is not None:
        return TrainState.model_validate(record.state)
    assert record.payload is not None
    return TrainState.from_action_payload(record.payload)


class LogLine(_Strict):
    """One log line of a task. ``seq`` is assigned by the backend, increasing per task."""

    seq: int | None = None
    time: datetime | None = None
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    message: str = Field(max_length=20_000)
    trial_id: str | None = None


class MetricPoint(_Strict):
    """One metric value. In tuning, ``trial_id`` names the trial that logged it.

    ``seq`` is assigned by the backend, increasing per task: a live reader asks only for
    points after the last ``seq`` it has seen.
    """

    seq: int | None = None
    category: str = Field(min_length=1, max_length=100)
    key: str = Field(min_length=1, max_length=200)
    # NaN/inf cannot be stored as JSON numbers; a diverged loss is reported as a log line.
    # (Checked by pydantic-core, not a Python validator: runs make many thousands of points.)
    value: float = Field(allow_inf_nan=False)
    step: int | None = Field(default=None, ge=0)
    epoch: int | None = Field(default=None, ge=0)
    trial_id: str | None = Field(default=None, max_length=200)
    time: datetime | None = None


class Visualization(_Strict):
    """A figure or image logged by a run: ``data`` is a Plotly figure dict or a small image
    reference; ``epoch`` and ``trial_id`` place it."""

    category: str = Field(min_length=1, max_length=100)
    key: str = Field(min_length=1, max_length=200)
    kind: Literal["plotly", "image", "table"] = "plotly"
    data: dict[str, Any]
    epoch: int | None = Field(default=None, ge=0)
    trial_id: str | None = None
    time: datetime | None = None


class TrialTable(_Strict):
    """A snapshot of a tuning run's trials, in the Synapse trial-table shape.

    ``trials`` maps trial id -> {column: value}; ``base`` names the fixed columns (at least
    ``status``), ``hyperparameters`` the searched ones, ``metrics`` at most 4 metric
    columns; ``best_trial`` is empty while tuning and set when the search ends, with
    ``best_rule`` saying which rule chose it and at what budget.
    """

    trials: dict[str, dict[str, Any]]
    base: list[str] = Field(default_factory=lambda: ["status"])
    hyperparameters: list[str] = Field(default_factory=list)
    metrics: list[str] = Field(default_factory=list, max_length=4)
    best_trial: str = ""
    best_rule: str = ""
    time: datetime | None = None
    seq: int | None = None
