"""Step 8, Start: experiment name, agent, an estimate of the run's length, "Start training"
and "Copy as code".

The experiment name left empty is the one the run gives itself: "{task id} {project}
{model}" (the task id is known once the run is submitted). The estimate counts the image
passes of the run (train images x epochs x trials) and, when this agent has finished runs
before, times them at its measured seconds per image.

Example:
    >>> StartStep.title
    'Start'
"""

from __future__ import annotations

__all__ = ["StartStep", "TASK_ID_PLACEHOLDER", "TIMED_RUNS", "agent_label"]

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from synapse_nb.errors import InputError
from synapse_nb.state import TrainState
from synapse_nb.widgets._common import esc, message_html
from synapse_nb.widgets.wizard._card import StepCard
from synapse_nb.widgets.wizard._estimate import estimate_text, seconds_per_image

TASK_ID_PLACEHOLDER = "‹task id›"
# Finished runs of the agent read to time an image (the newest first).
TIMED_RUNS = 20


def agent_label(agent: Any) -> str:
    """How an agent is listed: name, id and resources.

    Example:
        >>> from types import SimpleNamespace
        >>> agent_label(SimpleNamespace(id=1, name="local", is_local=True, resources={"CPU": 2, "GPU": 0}))
        'local (id 1, local) — CPU 2, GPU 0'
    """
    resources = agent.resources or {}
    cpu, gpu = resources.get("CPU"), resources.get("GPU")
    parts = [f"CPU {cpu:g}" if isinstance(cpu, (int, float)) else None, f"GPU {gpu:g}" if isinstance(gpu, (int, float)) else None]
    where = ", local" if agent.is_local else ""
    described = ", ".join(p for p in parts if p)
    return f"{agent.name} (id {agent.id}{where})" + (f" — {described}" if described else "")


class StartStep(StepCard):
    """The last card: no "Select"; it starts the run or shows it as code."""

    key = "start"
    title = "Start"
    has_select = False

    def build(self) -> list[w.Widget]:
        self.on_start: Callable[[], None] | None = None
        self.on_code: Callable[[], None] | None = None
        # The wizard's TrainState of steps 1-7 (None while one of them is open).
        self.plan: Callable[[], TrainState | None] = lambda: None
        self.experiment_name = w.Text(value="", description="Experiment", layout=w.Layout(width="480px"))
        self.agent = w.Dropdown(options=[], value=None, description="Agent", layout=w.Layout(width="480px"))
        self.refresh_button = w.Button(description="Refresh", icon="refresh", layout=w.Layout(width="auto"),
                                       tooltip="list the online agents again")
        self.start_button = w.Button(description="Start training", button_style="success", icon="play",
                                     layout=w.Layout(width="auto"))
        self.code_button = w.Button(description="Copy as code", icon="code", layout=w.Layout(width="auto"))
        self.code = w.Textarea(value="", rows=14, layout=w.Layout(width="100%", display="none"))
        self.code_note = w.HTML()
        self.agent_note = w.HTML()
        self.estimate = w.HTML()
        self.refresh_button.on_click(lambda _b: self.load_agents())
        self.agent.observe(lambda _c: self.update_estimate(), names="value")
        self.start_button.on_click(lambda _b: self.on_start and self.on_start())
        self.code_button.on_click(lambda _b: self.on_code and self.on_code())
        code_box = w.VBox([self.code_note, self.code])
        code_box.add_class("snb-mono")
        return [self.experiment_name, w.HBox([self.agent, self.refresh_button]), self.agent_note, self.estimate,
                w.HBox([self.start_button, self.code_button]), code_box]

    def default_name(self) -> str:
        """The experiment name a run without one gets, the task id still to come."""
        from synapse_nb.steps.upload import experiment_name

        project = self.ctx.project.project.name if self.ctx.project else None
        model = self.ctx.model.name if self.ctx.model else None
        return experiment_name(TASK_ID_PLACEHOLDER, project, model)

    def on_activate(self) -> None:
        self.experiment_name.placeholder = f"{self.default_name()} (default)"
        self.load_agents()
        self.update_estimate()

    def estimate_now(self) -> str | None:
        """The estimate line of the planned run on the picked agent (None before steps 1-7 are done)."""
        state = self.plan()
        data = self.ctx.project
        if state is None or data is None:
            return None
        n_train, _n_val = self.ctx.split_counts(state.train_val_split)  # counted by the backend
        framework = self.ctx.framework()
        defaults = framework.hyperparameter_defaults() if framework is not None else {}
        fixed = {**defaults, **state.hyperparameters_dict}
        epochs = fixed.get("epochs")
        trials = state.tune_config.total_trials(state.search_space) if state.is_tune and state.tune_config else 1
        timed = None
        if self.agent.value is not None:
            records = self.ctx.api.task.list(status="finished", agent_id=self.agent.value, limit=TIMED_RUNS)
            timed = seconds_per_image(records, default_epochs=defaults.get("epochs"))
        return estimate_text(n_train, epochs if isinstance(epochs, int) else None, trials, timed)

    def update_estimate(self) -> None:
        """Show the estimate under the agent."""
        text = self.estimate_now()
        self.estimate.value = f'<div class="snb-muted snb-estimate">Estimate: {esc(text)}</div>' if text else ""

    def load_agents(self) -> None:
        """List the online agents, the local one first (keeps the choice when it is still online)."""
        agents = sorted(self.ctx.api.agent.list(status="online"), key=lambda a: (not a.is_local, a.id))
        current = self.agent.value
        self.agent.options = [(agent_label(a), a.id) for a in agents]
        ids = [a.id for a in agents]
        self.agent.value = current if current in ids else (ids[0] if ids else None)
        self.agent_note.value = "" if agents else message_html(
            "warning", "No agent is online. Api.from_env() starts a local one with the embedded backend, "
                       "or run `synapse-nb agent`; then Refresh.")

    def show_code(self, code: str) -> None:
        """Show the run as a notebook cell, ready to copy."""
        self.code.value = code
        self.code.layout.display = None
        self.code_note.value = message_html("muted", "The same run as code: copy this cell into the notebook.")

    def check(self) -> None:
        if self.agent.value is None:
            raise InputError("agent_id", "an online agent picked from the list")

    def summary(self) -> str:
        return f"agent {self.agent.value}"

    def fields(self) -> dict[str, Any]:
        name = self.experiment_name.value.strip()
        return {"experiment_name": name or None, "agent_id": self.agent.value}

    def restore(self, state: TrainState) -> None:
        self.on_activate()
        self.experiment_name.value = state.experiment_name or ""
        if state.agent_id is not None:
            ids = [value for _label, value in self.agent.options]
            if state.agent_id not in ids:
                raise InputError("agent_id", f"an online agent: {ids}", got=state.agent_id)
            self.agent.value = state.agent_id
