"""StepCard: one step of the wizard as a card that is locked, active or done.

A card shows its controls while active, a one-line summary once done, and a "Reselect"
button that reopens it (the wizard then re-locks every later step). The wizard, not the
card, decides which card is active; a card only knows how to validate, summarise, give its
part of the TrainState and restore it from one.

Example:
    >>> StepStatus.__args__
    ('locked', 'active', 'done')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import ipywidgets as w

from synapse_nb.errors import SynapseNBError
from synapse_nb.widgets._common import error_text, esc, message_html

if TYPE_CHECKING:
    from synapse_nb.state import TrainState
    from synapse_nb.widgets.wizard._context import WizardContext

StepStatus = Literal["locked", "active", "done"]


def auto_width() -> w.Layout:
    """A layout as wide as its content: checkbox labels are cut off at the default 300 px.

    A new Layout each time: widgets sharing one would also share ``display`` and hide together.
    """
    return w.Layout(width="auto")


_STATUS_CLASSES = {"locked": "snb-step--locked", "active": "snb-step--active", "done": "snb-step--done"}


class StepCard:
    """Base of the eight step cards. Subclasses set ``key`` and ``title`` and implement
    :meth:`build`, :meth:`check`, :meth:`summary`, :meth:`fields` and :meth:`restore`.

    ``check()`` raises (an InputError naming the field, or pydantic's ValidationError)
    when the step's values are not valid; the card shows the message under its controls.
    """

    key = ""
    title = ""
    has_select = True

    def __init__(self, ctx: WizardContext, number: int) -> None:
        self.ctx = ctx
        self.number = number
        self.status: StepStatus = "locked"
        self._on_select: Callable[[StepCard], None] | None = None
        self._on_reselect: Callable[[StepCard], None] | None = None
        self.heading = w.HTML()
        self.message = w.HTML()
        self.summary_html = w.HTML()
        self.select_button = w.Button(description="Select", button_style="primary", icon="check",
                                      layout=w.Layout(width="auto"))
        self.reselect_button = w.Button(description="Reselect", icon="pencil", layout=w.Layout(width="auto"))
        self.select_button.on_click(lambda _b: self.confirm())
        self.reselect_button.on_click(lambda _b: self.reopen())
        self.body = w.VBox(self.build())
        buttons = [self.select_button] if self.has_select else []
        self.actions = w.HBox(buttons)
        self.done_row = w.HBox([self.summary_html, self.reselect_button], layout=w.Layout(align_items="center"))
        self.widget = w.VBox([self.heading, self.body, self.message, self.actions, self.done_row])
        self.widget.add_class("snb-card")
        self.widget.add_class("snb-step")
        self.widget.add_class(f"snb-step-{self.key}")  # lets a page (and the browser test) find each step
        self._render()

    # -- to implement ------------------------------------------------------------------

    def build(self) -> list[w.Widget]:
        """Create the controls; returns the children of the card's body."""
        raise NotImplementedError

    def check(self) -> None:
        """Raise when the current values are not a valid step (InputError names the field)."""
        raise NotImplementedError

    def summary(self) -> str:
        """One line shown once the step is done (plain text)."""
        raise NotImplementedError

    def fields(self) -> dict[str, Any]:
        """This step's part of the TrainState, as field -> value."""
        raise NotImplementedError

    def restore(self, state: TrainState) -> None:
        """Set the controls from a saved TrainState."""
        raise NotImplementedError

    def controls(self) -> list[w.Widget]:
        """Widgets to disable while the step is locked (default: every focusable one in the body)."""
        return _focusable(self.body)

    def on_activate(self) -> None:
        """Called when the step becomes active: refresh what depends on earlier steps."""

    # -- wiring ------------------------------------------------------------------------

    def bind(self, on_select: Callable[[StepCard], None], on_reselect: Callable[[StepCard], None]) -> None:
        """The wizard's handlers for "Select" and "Reselect"."""
        self._on_select = on_select
        self._on_reselect = on_reselect

    def error(self) -> str | None:
        """The message of :meth:`check`, or None when the step is valid.

        Only the errors of bad input are caught; anything else (a bug, the backend down)
        propagates.
        """
        try:
            self.check()
        except (SynapseNBError, ValueError) as exc:
            return error_text(exc)
        return None

    def validate(self) -> bool:
        """Show the result of :meth:`check` under the controls; True when valid."""
        problem = self.error()
        self.show_error(problem)
        return problem is None

    def show_error(self, text: str | None) -> None:
        """Show (or clear) the step's error message."""
        self.message.value = message_html("error", text or "")

    def confirm(self) -> bool:
        """"Select": validate and, when valid, hand over to the wizard (which marks it done)."""
        if self.status != "active" or not self.validate():
            return False
        if self._on_select is not None:
            self._on_select(self)
        else:
            self.set_status("done")
        return True

    def reopen(self) -> None:
        """"Reselect": the wizard reopens this step and locks every later one."""
        if self.status != "done":
            return
        if self._on_reselect is not None:
            self._on_reselect(self)
        else:
            self.set_status("active")

    def set_status(self, status: StepStatus) -> None:
        """Lock, activate or complete the card."""
        previous = self.status
        self.status = status
        if status == "done":
            self.summary_html.value = f'<span class="snb-muted">{esc(self.summary())}</span>'
        if status == "active" and previous != "active":
            self.on_activate()
        self._render()

    @property
    def locked(self) -> bool:
        """Whether the step waits for an earlier one."""
        return self.status == "locked"

    def _render(self) -> None:
        for status, css_class in _STATUS_CLASSES.items():
            if status == self.status:
                self.widget.add_class(css_class)
            else:
                self.widget.remove_class(css_class)
        # Plain symbols every font has (an emoji may render as a box).
        marker = {"locked": "○", "active": "▸", "done": "✓"}[self.status]
        self.heading.value = f'<div class="snb-title">{marker} {self.number}. {esc(self.title)}</div>'
        editing = self.status != "done"
        self.body.layout.display = None if editing else "none"
        self.message.layout.display = None if editing else "none"
        self.actions.layout.display = None if editing else "none"
        self.done_row.layout.display = "none" if editing else None
        disabled = self.status == "locked"
        self.select_button.disabled = disabled
        for control in self.controls():
            control.disabled = disabled
        self.after_render()

    def after_render(self) -> None:
        """Hook for controls whose enabled state also depends on other controls."""


def _focusable(box: w.Widget) -> list[w.Widget]:
    found: list[w.Widget] = []
    stack = [box]
    while stack:
        widget = stack.pop()
        children = getattr(widget, "children", None)
        if children:
            stack.extend(children)
        elif hasattr(widget, "disabled") and not isinstance(widget, (w.HTML, w.Label, w.Image)):
            found.append(widget)
    return found
