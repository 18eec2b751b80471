"""Step 5, Hyperparameters: a YAML editor prefilled with the framework's defaults, checked as
the user types (syntax and keys, with line numbers), and the tuning switch with its editor.

Example:
    >>> HyperparametersStep.title
    'Hyperparameters'
"""

from __future__ import annotations

__all__ = ["HyperparametersStep"]

from typing import Any

import ipywidgets as w

from synapse_nb.errors import InputError
from synapse_nb.state import TrainState
from synapse_nb.widgets._common import error_text, logged_warnings, message_html, plural
from synapse_nb.widgets.wizard._card import StepCard, auto_width
from synapse_nb.widgets.wizard._data import hyperparameter_message
from synapse_nb.widgets.wizard.tuning import TuningEditor


class HyperparametersStep(StepCard):
    """YAML text with live validation; "Tune hyperparameters" opens the search-space editor."""

    key = "hyperparameters"
    title = "Hyperparameters"

    def build(self) -> list[w.Widget]:
        self._defaults: str | None = None
        self._framework_name: str | None = None
        self.text = w.Textarea(value="", rows=18, continuous_update=True, layout=w.Layout(width="100%"))
        self.text_status = w.HTML()
        self.reset_button = w.Button(description="Reset to defaults", icon="undo", layout=w.Layout(width="auto"))
        self.tune = w.Checkbox(value=False, indent=False, layout=auto_width(), description="Tune hyperparameters (Ray Tune search)")
        self.tuning = TuningEditor(on_change=self.update_status)
        self.text.observe(lambda _c: self.update_status(), names="value")
        self.tune.observe(lambda _c: self._tune_changed(), names="value")
        self.reset_button.on_click(lambda _b: self._reset())
        editor = w.VBox([self.text, self.text_status])
        editor.add_class("snb-mono")
        self.tuning.widget.layout.display = "none"
        return [editor, w.HBox([self.reset_button]), self.tune, self.tuning.widget]

    def on_activate(self) -> None:
        framework = self.ctx.framework()
        if framework is None:
            return
        if framework.name != self._framework_name:
            defaults = framework.default_hyperparameters()
            # Keep what the user wrote; replace only an untouched editor.
            if not self.text.value.strip() or self.text.value == self._defaults:
                self.text.value = defaults
            self._defaults = defaults
            self._framework_name = framework.name
        self.update_status()

    def _reset(self) -> None:
        if self._defaults is not None:
            self.text.value = self._defaults

    def _tune_changed(self) -> None:
        if self.tune.value:
            self.tuning.load_registry()
        self.tuning.widget.layout.display = None if self.tune.value else "none"
        self.update_status()

    def hyperparameters(self) -> dict[str, Any]:
        """The YAML text checked by the framework (InputError with a line number when it is not valid)."""
        framework = self.ctx.framework()
        if framework is None:
            raise InputError("model", "a model picked in step 2")
        try:
            return framework.validate_hyperparameters(self.text.value)
        except InputError as exc:
            raise _with_line(self.text.value, exc) from None

    def update_status(self) -> None:
        """Validate as the user types and show the result under the editor, with the
        framework's warnings (e.g. a learning rate that the chosen optimizer ignores)."""
        self.show_error(None)
        with logged_warnings() as warned:
            try:
                values = self.hyperparameters()
            except ValueError as exc:
                status = message_html("error", error_text(exc))
                values = None
            else:
                status = message_html("ok", f"✓ valid YAML: {plural(len(values), 'setting')}")
            if self.tune.value:
                self.tuning.show(self.ctx.framework(), values)
        self.text_status.value = status + "".join(message_html("warning", f"⚠ {text}") for text in warned)

    def check(self) -> None:
        values = self.hyperparameters()
        if self.tune.value:
            self.tuning.build(self.ctx.framework(), values)

    def summary(self) -> str:
        values = self.hyperparameters()
        shown = ", ".join(f"{k}={v}" for k, v in list(values.items())[:6])
        head = "framework defaults" if self._text_value() is None else plural(len(values), "setting")
        text = f"{head}: {shown}" + (" …" if len(values) > 6 else "")
        if self.tune.value:
            space, config = self.tuning.build(self.ctx.framework(), values)
            text += (f"; tuning {', '.join(space.names)} for {config.metric} ({config.mode}), "
                     f"{plural(config.total_trials(space), 'trial')}")
        return text

    def _text_value(self) -> str | None:
        # The untouched defaults are "the framework's defaults" (None), as in TrainApi.run.
        text = self.text.value
        return None if not text.strip() or text == self._defaults else text

    def fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"hyperparameters": self._text_value(), "is_tune": self.tune.value,
                                  "search_space": None, "tune_config": None}
        if self.tune.value:
            space, config = self.tuning.build(self.ctx.framework(), self.hyperparameters())
            fields.update(search_space=space, tune_config=config)
        return fields

    def restore(self, state: TrainState) -> None:
        self.on_activate()
        self.text.value = state.hyperparameters if state.hyperparameters is not None else (self._defaults or "")
        self.tune.value = state.is_tune
        if state.is_tune:
            self.tuning.restore(state.search_space, state.tune_config)
        self.update_status()


def _with_line(text: str, exc: InputError) -> InputError:
    """The same error, its message led by the line of the key it is about."""
    message = hyperparameter_message(text, exc)
    if message == str(exc):
        return exc
    line = message.split(":", 1)[0]
    return InputError(f"{line}: {exc.field}", exc.expected, got=exc.got, hint=exc.hint)
