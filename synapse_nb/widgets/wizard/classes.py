"""Step 3, Classes: which classes to train on, with their object counts and shapes, and a
warning when a shape must be converted for the model's task.

Example:
    >>> ClassesStep.title
    'Classes'
"""

from __future__ import annotations

__all__ = ["ClassesStep"]

from typing import Any

import ipywidgets as w

from synapse_nb.errors import InputError
from synapse_nb.state import TrainState
from synapse_nb.widgets._common import esc, plural
from synapse_nb.widgets.wizard._card import StepCard, auto_width
from synapse_nb.widgets.wizard._data import ClassStat, shape_conversions


def _label(stat: ClassStat) -> str:
    return f"{stat.name} — {stat.shape}, {plural(stat.objects, 'object')} on {plural(stat.items, 'item')}"


class ClassesStep(StepCard):
    """One checkbox per class of the project; shape conversion switch and its warning."""

    key = "classes"
    title = "Classes"

    def build(self) -> list[w.Widget]:
        self.checkboxes: dict[str, w.Checkbox] = {}
        self._stats: list[ClassStat] = []
        self._project_id: int | None = None
        self.list_box = w.VBox([])
        self.all_button = w.Button(description="Select all", layout=w.Layout(width="auto"))
        self.none_button = w.Button(description="Clear", layout=w.Layout(width="auto"))
        self.all_button.on_click(lambda _b: self._set_all(True))
        self.none_button.on_click(lambda _b: self._set_all(False))
        self.convert = w.Checkbox(value=True, indent=False, layout=auto_width(),
                                  description="Convert class shapes to what the model trains on (e.g. polygons to boxes)")
        self.warning = w.HTML()
        self.convert.observe(lambda _c: self._update_warning(), names="value")
        return [w.HBox([self.all_button, self.none_button]), self.list_box, self.convert, self.warning]

    def on_activate(self) -> None:
        data = self.ctx.project
        if data is None:
            return
        if data.project.id != self._project_id:
            # A new project: every class starts selected.
            self._project_id = data.project.id
            self._stats = self.ctx.class_stats()
            self.checkboxes = {s.name: w.Checkbox(value=True, description=_label(s), indent=False,
                                                  layout=w.Layout(width="auto")) for s in self._stats}
            for box in self.checkboxes.values():
                box.observe(lambda _c: self._update_warning(), names="value")
            self.list_box.children = list(self.checkboxes.values())
        self._update_warning()

    def _set_all(self, value: bool) -> None:
        for box in self.checkboxes.values():
            box.value = value

    def selected(self) -> list[str]:
        """The ticked classes, in the project's order."""
        return [name for name, box in self.checkboxes.items() if box.value]

    def conversions(self) -> list[tuple[str, str, str]]:
        """``(class, shape, target)`` of the ticked classes the model's task needs converted."""
        model = self.ctx.model
        return shape_conversions(self._stats, self.selected(), model.task_type) if model else []

    def _update_warning(self) -> None:
        self.show_error(None)
        self.ctx.classes = self.selected()
        changes = self.conversions()
        if not changes:
            self.warning.value = ""
            return
        task = self.ctx.model.task_type if self.ctx.model else ""
        listed = ", ".join(f"{name} ({shape} → {target})" for name, shape, target in changes)
        if self.convert.value:
            text = f"For {task}, these classes will be converted: {listed}."
            self.warning.value = f'<div class="snb-warning">⚠ {esc(text)}</div>'
        else:
            text = f"{task} cannot train on {listed} without converting them: tick the conversion or untick these classes."
            self.warning.value = f'<div class="snb-error">{esc(text)}</div>'

    def check(self) -> None:
        chosen = self.selected()
        if not chosen:
            raise InputError("classes", f"at least one class of the project: {list(self.checkboxes)}", got=[])
        changes = self.conversions()
        if changes and not self.convert.value:
            raise InputError("convert_class_shapes", "True, or only classes the model's task trains on", got=False,
                             hint=f"classes that would need conversion: {[c[0] for c in changes]}")

    def summary(self) -> str:
        chosen = self.selected()
        head = "all classes" if len(chosen) == len(self.checkboxes) else plural(len(chosen), "class")
        converted = f"; converting {len(self.conversions())}" if self.conversions() else ""
        return f"{head}: {', '.join(chosen)}{converted}"

    def fields(self) -> dict[str, Any]:
        chosen = self.selected()
        # Every class ticked is "all classes" (None), as in TrainApi.run's default.
        classes = None if len(chosen) == len(self.checkboxes) else chosen
        return {"classes": classes, "convert_class_shapes": self.convert.value}

    def restore(self, state: TrainState) -> None:
        self.on_activate()
        self.convert.value = state.convert_class_shapes
        if state.classes is None:
            self._set_all(True)
            return
        unknown = [c for c in state.classes if c not in self.checkboxes]
        if unknown:
            raise InputError("classes", f"classes of the project: {list(self.checkboxes)}", got=unknown)
        for name, box in self.checkboxes.items():
            box.value = name in state.classes
