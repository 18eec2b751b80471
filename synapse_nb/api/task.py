"""Task: the handle ``TrainApi.run`` returns — follow a run live and get its experiment back.

Example:
    >>> Task.__name__
    'Task'
"""

from __future__ import annotations

__all__ = ["METRIC_COLUMNS", "Task"]

import html
import time
from typing import TYPE_CHECKING, Any

from synapse_nb.errors import InputError, TaskFailed, TaskStopped
from synapse_nb.schemas.experiment import ExperimentInfo
from synapse_nb.schemas.task import FINAL_STATUSES, TaskRecord, task_state

if TYPE_CHECKING:
    import pandas as pd

    from synapse_nb.api import Api

METRIC_COLUMNS = ["category", "key", "value", "step", "epoch", "trial_id", "time"]


class Task:
    """A task on the backend. Reads are live: each property fetches the newest record.

    Example:
        >>> # task = snb.TrainApi(api).run(api.agent.local(), project.id)
        >>> # task.wait(); task.experiment.best_checkpoint
    """

    def __init__(self, api: Api, record: TaskRecord | int) -> None:
        self.api = api
        self._record = record if isinstance(record, TaskRecord) else api.task.record(record)

    # -- state -----------------------------------------------------------------------------

    @property
    def id(self) -> int:
        """The task id."""
        return self._record.id

    def refresh(self) -> TaskRecord:
        """Fetch the newest record."""
        self._record = self.api.task.record(self.id)
        return self._record

    @property
    def record(self) -> TaskRecord:
        """The newest record."""
        return self.refresh()

    def __getattr__(self, name: str) -> Any:
        # The record's other fields read through (agent_id, payload, attempt, retry_of, ...),
        # live like the properties above, so a handle stands wherever a record was read.
        if name.startswith("_") or name not in TaskRecord.model_fields:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(self.refresh(), name)

    @property
    def status(self) -> str:
        """created, queued, running, stopping, finished, failed or stopped."""
        return self.refresh().status

    @property
    def progress(self) -> dict[str, float]:
        """Progress per category as fractions in [0, 1], plus ``overall``."""
        record = self.refresh()
        values = {name: p.fraction for name, p in record.progress.items()}
        values["overall"] = record.overall_progress
        return values

    @property
    def result(self) -> dict[str, Any] | None:
        """The result of a finished task (model_id, experiment, the plugin's result, or the
        tuning result: model_id, best_trial, trial_models)."""
        return self.refresh().result

    @property
    def error(self) -> Any:
        """Why the task failed: step, message, traceback, the failure code and its remedy (None unless failed)."""
        return self.refresh().error

    @property
    def experiment(self) -> ExperimentInfo | None:
        """The experiment record of a finished training task."""
        result = self.result or {}
        data = result.get("experiment")
        return ExperimentInfo.model_validate(data) if data else None

    @property
    def model_id(self) -> int | None:
        """The id of the model this task registered (the best trial's in tuning)."""
        return (self.result or {}).get("model_id")

    @property
    def state(self) -> Any:
        """The TrainState the task runs."""
        return task_state(self._record)

    # -- control -----------------------------------------------------------------------------

    def start(self) -> Task:
        """Start a task created with ``autostart=False``."""
        self._record = self.api.task.start(self.id)
        return self

    def stop(self, wait: bool = True, timeout: float = 60.0) -> Task:
        """Stop the task; with ``wait``, until it has stopped (``TimeoutError`` after
        ``timeout`` s, naming the status it is still in: a stop that did not happen is not
        passed over in silence)."""
        self._record = self.api.task.stop(self.id)
        if wait:
            deadline = time.monotonic() + timeout
            while not self.refresh().is_final:
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"task {self.id} still {self.status} {timeout:g} s after it was asked to stop")
                time.sleep(0.5)
        return self

    def retry(self, agent_id: int | None = None) -> Task:
        """Run the task again; training resumes from its last saved checkpoint, a search
        from its finished trials, and steps that completed (e.g. training before a failed
        upload) are reused when the retry runs where the first attempt ran.

        ``agent_id`` picks another agent (default: the task's own). The agent must be online.
        """
        from synapse_nb.api.preflight import check_agent
        from synapse_nb.schemas.task import TaskCreate

        record = self.refresh()
        if not record.is_final:
            raise InputError("task", "a finished, failed or stopped task to retry", got=f"task {self.id} is {record.status}",
                             hint="stop it first with task.stop()")
        target = agent_id if agent_id is not None else record.agent_id
        if target is not None:
            check_agent(self.api, target)
        return Task(self.api, self.api.task.create(TaskCreate(retry_of=self.id, agent_id=agent_id)))

    def extend(self, num_samples: int) -> Task:
        """Add ``num_samples`` trials to a finished search, keeping its trials (a stopped or
        failed search is finished by ``task.retry()`` first)."""
        if num_samples < 1:
            raise InputError("num_samples", "a positive number of trials to add", got=num_samples)
        from synapse_nb.schemas.task import TaskCreate

        record = self.refresh()
        if record.state is None and record.payload is None:
            raise InputError("task", "a task with a state or payload", got=self.id)
        state = self.state
        if not state.is_tune:
            raise InputError("task", "a tuning task (is_tune=True)", got=self.id)
        if record.status != "finished":
            raise InputError("task", "a finished search to extend", got=f"task {self.id} is {record.status}",
                             hint="finish an interrupted search with task.retry(), then extend it")
        assert state.tune_config is not None
        extended = state.model_copy(update={"tune_config": state.tune_config.model_copy(
            update={"num_samples": state.tune_config.num_samples + num_samples})})
        create = TaskCreate(agent_id=record.agent_id, state=extended.model_dump(mode="json"), retry_of=self.id)
        return Task(self.api, self.api.task.create(create))

    def wait_started(self, timeout: float = 300.0, poll: float = 0.5) -> Task:
        """Block until the agent has begun running the task (its worker reported in).

        ``TrainApi.run`` returns once the backend accepted the task and its agent was
        online; this confirms that the run itself started. Returns at once for a task that
        already ended (finished). Raises :class:`TaskFailed` / :class:`TaskStopped` when it
        ended before starting, :class:`InputError` when its agent went offline while the task
        waited, and ``TimeoutError`` (saying what it still waits for) after ``timeout`` s.

        Example:
            >>> # task = snb.TrainApi(api).run(agent_id, project.id)
            >>> # task.wait_started().status
            >>> # 'running'
        """
        deadline = time.monotonic() + timeout
        while True:
            record = self.refresh()
            if record.status == "finished":
                return self
            if record.status in ("failed", "stopped"):
                self._raise_ended(record)
            if record.status in ("running", "stopping") and self.api.task.logs(self.id, limit=1):
                return self
            waiting_on = self._waiting_on(record)
            if time.monotonic() > deadline:
                raise TimeoutError(f"task {self.id} has not started after {timeout:g} s: {waiting_on}")
            time.sleep(poll)

    def _waiting_on(self, record: TaskRecord) -> str:
        """What a task that has not started yet waits for (raises if it never will)."""
        if record.status == "created":
            return "it was created with autostart=False: call task.start()"
        if record.agent_id is None:
            return f"it is {record.status}, for any agent"
        agent = self.api.agent.get(record.agent_id)
        if agent.status != "online" and record.status in ("created", "queued"):
            raise InputError("agent_id", f"an online agent to run task {self.id}",
                             got=f"{agent.id} ({agent.name}) is {agent.status}",
                             hint="start that agent, or task.stop() and task.retry(agent_id=<an online agent>)")
        if record.status == "queued":
            running = self.api.task.list(status="running", agent_id=agent.id, limit=1).total
            return f"it is queued for agent {agent.name!r}, which runs {running} task(s)"
        return f"it is {record.status} on agent {agent.name!r}, whose worker has not reported yet"

    def _raise_ended(self, record: TaskRecord) -> None:
        if record.status == "failed":
            err = record.error
            raise TaskFailed(self.id, err.step if err else None, err.message if err else "unknown error")
        raise TaskStopped(f"task {self.id} was stopped")

    def wait(self, timeout: float | None = None, progress: bool = True, poll: float = 0.5) -> dict[str, Any] | None:
        """Block until the task ends, showing progress; return its result.

        Raises :class:`TaskFailed` (with the failing step and reason) or
        :class:`TaskStopped`; ``TimeoutError`` when ``timeout`` seconds pass first.
        """
        from synapse_nb.api._task_progress import TaskProgressDisplay

        display = TaskProgressDisplay(self) if progress else None
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                record = self.refresh()
                if display is not None:
                    display.update(record)
                if record.status in FINAL_STATUSES:
                    break
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError(f"task {self.id} still {record.status} after {timeout} s")
                time.sleep(poll)
        finally:
            if display is not None:
                display.close()
        if record.status != "finished":
            self._raise_ended(record)
        return record.result

    # -- data ---------------------------------------------------------------------------------

    def logs(self) -> pd.DataFrame:
        """Log lines: seq, time, level, message, trial_id."""
        import pandas as pd

        lines = self.api.task.logs(self.id)
        return pd.DataFrame([line.model_dump() for line in lines], columns=["seq", "time", "level", "message", "trial_id"])

    def metrics(self, trial_id: str | None = None) -> pd.DataFrame:
        """Every metric point (all trials' in tuning, with ``trial_id``)."""
        import pandas as pd

        points = self.api.task.metrics(self.id, trial_id=trial_id)
        frame = pd.DataFrame([p.model_dump() for p in points], columns=METRIC_COLUMNS)
        for column in ("step", "epoch"):
            frame[column] = frame[column].astype("Int64")
        return frame

    def trials(self) -> pd.DataFrame:
        """The latest trials table: one row per trial (status, hyperparameters, metrics).

        ``df.attrs`` holds ``hyperparameters``, ``metrics``, ``best_trial`` and ``best_rule``
        (which rule chose the best trial, at what budget). A failed trial's row has its
        ``failure`` code and the ``error`` with its remedy; a multi-objective search marks the
        Pareto-optimal trials in ``pareto``.
        """
        import pandas as pd

        table = self.api.task.trials(self.id)
        if table is None:
            frame = pd.DataFrame(columns=["trial_id", "status"])
            frame.attrs.update(hyperparameters=[], metrics=[], best_trial="", best_rule="")
            return frame
        rows = [{"trial_id": trial_id, **values} for trial_id, values in table.trials.items()]
        columns = ["trial_id", *table.base, *table.hyperparameters, *table.metrics]
        extra = sorted({k for row in rows for k in row} - set(columns))
        frame = pd.DataFrame(rows, columns=columns + extra)
        frame.attrs.update(hyperparameters=list(table.hyperparameters), metrics=list(table.metrics),
                           best_trial=table.best_trial, best_rule=table.best_rule)
        return frame

    def dashboard(self) -> Any:
        """A live dashboard of this task (progress, metric charts, trials, benchmark)."""
        from synapse_nb.widgets import TaskDashboard

        return TaskDashboard(self)

    # -- display --------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"Task(id={self.id}, status={self._record.status!r})"

    def _repr_html_(self) -> str:
        from synapse_nb.api._task_html import task_html

        return task_html(self.refresh())
