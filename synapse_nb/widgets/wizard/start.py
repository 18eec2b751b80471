"""Step 8, Start: experiment name, agent, "Start training" and "Copy as code".

Example:
    >>> StartStep.title
    'Start'
"""

from __future__ import annotations

__all__ = ["StartStep", "agent_label"]

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from synapse_nb.errors import InputError
from synapse_nb.state import TrainState
from synapse_nb.widgets._common import message_html
from synapse_nb.widgets.wizard._card import StepCard
from synapse_nb.widgets.wizard._data import default_experiment_name


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
        self.refresh_button.on_click(lambda _b: self.load_agents())
        self.start_button.on_click(lambda _b: self.on_start and self.on_start())
        self.code_button.on_click(lambda _b: self.on_code and self.on_code())
        code_box = w.VBox([self.code_note, self.code])
        code_box.add_class("snb-mono")
        return [self.experiment_name, w.HBox([self.agent, self.refresh_button]), self.agent_note,
                w.HBox([self.start_button, self.code_button]), code_box]

    def on_activate(self) -> None:
        project = self.ctx.project.project.name if self.ctx.project else ""
        model = self.ctx.model.label if self.ctx.model else ""
        self.experiment_name.placeholder = f"{default_experiment_name(project, model)} (default)"
        self.load_agents()

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
