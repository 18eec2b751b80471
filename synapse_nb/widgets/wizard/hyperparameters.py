"""Step 5, Hyperparameters: a YAML editor prefilled with the framework's defaults, checked as
the user types (syntax and keys, with line numbers), and the tuning switch with its editor.

Beside the editor, a table of the settings typed: each value, the framework's default
(greyed) and the setting's one-line meaning from the framework's own docs; settings that
differ from the default are highlighted. "Show every setting" lists the ones left out too.

Example:
    >>> HyperparametersStep.title
    'Hyperparameters'
"""

from __future__ import annotations

__all__ = ["HyperparametersStep"]

from typing import Any

import ipywidgets as w
import pandas as pd

from synapse_nb.errors import InputError
from synapse_nb.state import TrainState
from synapse_nb.widgets._common import error_text, esc, logged_warnings, message_html, plural
from synapse_nb.widgets.wizard._card import StepCard, auto_width
from synapse_nb.widgets.wizard._data import hyperparameter_message
from synapse_nb.widgets.wizard._hp_data import hyperparameter_table
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
        self.every_setting = w.Checkbox(value=False, indent=False, layout=auto_width(),
                                        description="Show every setting (the defaults of those left out too)")
        self.settings_table = w.HTML()
        self.settings: pd.DataFrame = hyperparameter_table({}, {}, {})
        self._framework_facts: tuple[dict[str, Any], dict[str, str]] = ({}, {})
        self.every_setting.observe(lambda _c: self.update_status(), names="value")
        self.text.observe(lambda _c: self.update_status(), names="value")
        self.tune.observe(lambda _c: self._tune_changed(), names="value")
        self.reset_button.on_click(lambda _b: self._reset())
        editor = w.VBox([self.text, self.text_status], layout=w.Layout(width="42%"))
        editor.add_class("snb-mono")
        self.tuning.widget.layout.display = "none"
        # The settings table beside the editor: what was typed, next to the default and its meaning.
        table_box = w.Box([self.settings_table], layout=w.Layout(max_height="380px", overflow="auto", width="58%"))
        return [w.HBox([editor, table_box], layout=w.Layout(width="100%", grid_gap="12px", align_items="flex-start")),
                w.HBox([self.reset_button, self.every_setting], layout=w.Layout(grid_gap="12px")),
                self.tune, self.tuning.widget]

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
            self._framework_facts = (framework.hyperparameter_defaults(), framework.hyperparameter_docs())
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
        self._show_settings(values)

    def _show_settings(self, values: dict[str, Any] | None) -> None:
        """The table beside the editor: typed values, defaults greyed, changed ones highlighted."""
        defaults, docs = self._framework_facts
        self.settings = hyperparameter_table(values or {}, defaults, docs, every_setting=self.every_setting.value)
        if values is None:
            self.settings_table.value = message_html("muted", "The table of settings returns once the YAML is valid.")
            return
        changed = int(self.settings["changed"].sum())
        head = (f'<div class="snb-muted">{esc(plural(changed, "setting"))} differ from the defaults (highlighted); '
                "the rest train as the framework would by default.</div>")
        rows = "".join(
            f'<tr class="{"snb-changed" if row.changed else ("" if row.typed else "snb-untyped")}">'
            f'<td class="snb-key">{esc(row.key)}</td><td>{esc(row.value) if row.typed else ""}</td>'
            f'<td class="snb-default">{esc(row.default)}</td><td class="snb-muted">{esc(row.meaning)}</td></tr>'
            for row in self.settings.itertuples())
        self.settings_table.value = (f'{head}<table class="snb-table snb-settings"><tr><th>setting</th><th>yours</th>'
                                     f"<th>default</th><th>meaning</th></tr>{rows}</table>")

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
            text += (f"; tuning {', '.join(space.names)} for {', '.join(f'{m} ({o})' for m, o in zip(config.metrics, config.modes))}, "
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
