"""What every trial of a search needs to know, sent to it once through Ray's object store.

The backend token travels here — inside the trial's arguments — and never through
environment variables, so it is not copied into the trials' environments.

Example:
    >>> TrialSpec(url="http://127.0.0.1:1", token="t", task_id=1, params={}, metric="mAP50", mode="max",
    ...           state_json="{}").report_checkpoints
    False
"""

from __future__ import annotations

__all__ = ["TrialSpec"]

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TrialSpec(BaseModel):
    """The fixed part of every trial: where to report, what to train, what to optimise."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    url: str
    token: str = Field(repr=False)
    task_id: int
    # The action class itself: pickled by reference when importable, by value otherwise
    # (a class defined in a notebook).
    action_cls: Any = None
    params: dict[str, Any]
    dataset: dict[str, Any] = Field(default_factory=dict)
    checkpoint: dict[str, Any] | None = None
    fixed_hyperparameters: dict[str, Any] = Field(default_factory=dict)
    searched: list[str] = Field(default_factory=list)
    metric: str
    mode: str
    # Every metric of a multi-objective search (``metric`` is the first); each trial must report them all.
    objectives: list[str] = Field(default_factory=list)
    state_json: str
    experiment_name: str = "experiment"
    # PBT clones one trial's weights into another: it needs a checkpoint with every report.
    report_checkpoints: bool = False
    # The reports at which the scheduler may stop a trial early (None: any): only before
    # these does a trial upload its current weights, for the model of a stopped trial.
    keep_weights_at: list[int] | None = None
    # Trials an interrupted attempt of this search finished (their models are registered):
    # a restored search that did not record them yet reports their result instead of rerunning.
    finished: dict[str, dict[str, float]] = Field(default_factory=dict)
    # Where trials record a failure of their own code (one folder per trial id), so Ray's
    # retry of that trial replays it instead of training again (see tune/failures.py).
    failures_dir: str | None = None
