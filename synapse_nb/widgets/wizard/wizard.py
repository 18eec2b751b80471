"""TrainWizard: the eight-step training wizard, and how its steps unlock in order.

Steps: Project → Model → Classes → Train/val split → Hyperparameters → Model benchmark →
Export → Start. A step is enabled only once every earlier one is confirmed ("Select");
"Reselect" reopens a step and locks every step after it again. After "Start training" the
wizard shows the live :class:`~synapse_nb.widgets.dashboard.TaskDashboard` of the new task.

``wizard.state`` is the :class:`~synapse_nb.state.TrainState` the wizard describes: ``None``
until steps 1-7 are confirmed, then always a valid state (it reads the start step's
experiment name and agent as they are at that moment). ``wizard.build_state()`` is the
same but raises an :class:`~synapse_nb.errors.InputError` naming the first unconfirmed step.

Example:
    >>> import synapse_nb as snb                          # doctest: +SKIP
    >>> from synapse_nb.widgets import TrainWizard        # doctest: +SKIP
    >>> wizard = TrainWizard(snb.Api.from_env())          # doctest: +SKIP
    >>> wizard                                            # doctest: +SKIP
    >>> TrainWizard.from_state(api, task.state)           # reopen a saved run  # doctest: +SKIP
"""

from __future__ import annotations

__all__ = ["STEP_TYPES", "TrainWizard"]

from typing import Any

import ipywidgets as w

from synapse_nb.errors import InputError, SynapseNBError
from synapse_nb.state import TrainState
from synapse_nb.widgets._common import error_text, esc, message_html, style_html
from synapse_nb.widgets.wizard._card import StepCard
from synapse_nb.widgets.wizard._context import WizardContext
from synapse_nb.widgets.wizard.classes import ClassesStep
from synapse_nb.widgets.wizard.hyperparameters import HyperparametersStep
from synapse_nb.widgets.wizard.model import ModelStep
from synapse_nb.widgets.wizard.options import ExportStep, ModelBenchmarkStep
from synapse_nb.widgets.wizard.project import ProjectStep
from synapse_nb.widgets.wizard.split import SplitStep
from synapse_nb.widgets.wizard.start import StartStep

STEP_TYPES: tuple[type[StepCard], ...] = (
    ProjectStep, ModelStep, ClassesStep, SplitStep, HyperparametersStep, ModelBenchmarkStep, ExportStep, StartStep,
)
# TrainState fields the wizard has no control for; a restored state keeps its own.
_CARRIED = ("num_cpus", "num_gpus", "plugin", "plugin_params", "autostart")


class TrainWizard:
    """The training wizard of ``api``'s backend; display it as the last expression of a cell.

    Attributes: ``steps`` (the eight :class:`StepCard` objects, in order, also by key with
    :meth:`step`), ``widget`` (the ipywidgets box), ``task`` and ``dashboard`` (after start).
    """

    def __init__(self, api: Any) -> None:
        self.api = api
        self.ctx = WizardContext(api)
        self.steps: list[StepCard] = [cls(self.ctx, number) for number, cls in enumerate(STEP_TYPES, start=1)]
        for card in self.steps:
            card.bind(self._selected, self._reselected)
        self.start_step.on_start = self._start_clicked
        self.start_step.on_code = self._code_clicked
        self.start_step.plan = lambda: self.state
        self._carried: dict[str, Any] = {}
        self.task: Any = None
        self.dashboard: Any = None
        self.dashboard_box = w.VBox([])
        title = w.HTML('<div class="snb-title" style="font-size:16px">Train a model</div>')
        self.widget = w.VBox([w.HTML(style_html()), title, *[c.widget for c in self.steps], self.dashboard_box])
        self.widget.add_class("snb-root")
        self.steps[0].set_status("active")

    # -- steps -----------------------------------------------------------------------------

    def step(self, key: str) -> StepCard:
        """The step card called ``key`` (project, model, classes, split, hyperparameters,
        benchmark, export, start)."""
        for card in self.steps:
            if card.key == key:
                return card
        raise InputError("key", f"one of {[c.key for c in self.steps]}", got=key)

    @property
    def start_step(self) -> StartStep:
        """The last card."""
        card = self.steps[-1]
        assert isinstance(card, StartStep)
        return card

    def _selected(self, card: StepCard) -> None:
        card.set_status("done")
        index = self.steps.index(card)
        if index + 1 < len(self.steps):
            self.steps[index + 1].set_status("active")

    def _reselected(self, card: StepCard) -> None:
        index = self.steps.index(card)
        for later in self.steps[index + 1:]:
            later.set_status("locked")
        card.set_status("active")

    @property
    def active_step(self) -> StepCard | None:
        """The step being edited (None when none is)."""
        return next((c for c in self.steps if c.status == "active"), None)

    # -- the state ---------------------------------------------------------------------------

    def build_state(self) -> TrainState:
        """The TrainState of the confirmed steps; InputError naming the first unconfirmed step."""
        for card in self.steps[:-1]:
            if card.status != "done":
                raise InputError(f"wizard.{card.key}", f"step {card.number} ({card.title}) confirmed with Select",
                                 got=card.status)
        fields: dict[str, Any] = dict(self._carried)
        for card in self.steps:
            fields.update(card.fields())
        return TrainState(**fields)

    @property
    def state(self) -> TrainState | None:
        """The current TrainState; None until steps 1-7 are confirmed (see the module docs)."""
        if any(card.status != "done" for card in self.steps[:-1]):
            return None
        return self.build_state()

    @classmethod
    def from_state(cls, api: Any, state: TrainState | dict[str, Any]) -> TrainWizard:
        """A wizard with every step set from a saved state (e.g. ``task.state``) and confirmed.

        Every split kind is restored. A step whose saved value no longer fits (a deleted
        project, a dataset or agent that is gone) stays open with its error shown.
        """
        parsed = state if isinstance(state, TrainState) else TrainState.model_validate(state)
        wizard = cls(api)
        wizard._carried = {name: getattr(parsed, name) for name in _CARRIED}
        for card in wizard.steps:
            try:
                card.restore(parsed)
            except (SynapseNBError, ValueError) as exc:
                card.show_error(f"Could not restore this step: {error_text(exc)}")
                break
            if card.has_select and not card.confirm():
                break
        return wizard

    # -- start -------------------------------------------------------------------------------

    def code(self) -> str:
        """The run as a ``TrainApi.run(...)`` notebook cell (what "Copy as code" shows)."""
        return self.build_state().to_code()

    def start(self) -> Any:
        """Validate the run against the backend, submit it and show its live dashboard; returns the Task."""
        from synapse_nb.api.train_api import TrainApi

        state = self.build_state()
        task = TrainApi(self.api).run(state)
        self.task = task
        from synapse_nb.widgets.dashboard import TaskDashboard

        if self.dashboard is not None:
            self.dashboard.close()
        self.dashboard = TaskDashboard(task)
        self.dashboard_box.children = [self.dashboard.widget]
        return task

    def _start_clicked(self) -> None:
        card = self.start_step
        card.start_button.disabled = True
        card.show_error(None)
        try:
            task = self.start()
        except (SynapseNBError, ValueError) as exc:
            card.show_error(error_text(exc))
            card.start_button.disabled = False
            return
        card.message.value = message_html("ok", f"✓ started task {task.id}") + (
            f'<div class="snb-muted">{esc("Follow it below, or later with snb.Task(api, " + str(task.id) + ").dashboard()")}</div>')
        card.start_button.description = "Start another run"
        card.start_button.disabled = False

    def _code_clicked(self) -> None:
        card = self.start_step
        try:
            code = self.code()
        except (SynapseNBError, ValueError) as exc:
            card.show_error(error_text(exc))
            return
        card.show_error(None)
        card.show_code(code)

    # -- display -----------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        active = self.active_step
        return f"TrainWizard(step={active.key if active else 'done'!r})"
