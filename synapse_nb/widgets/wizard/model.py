"""Step 2, Model: a pretrained model of a registered framework, or a trained checkpoint from
the model registry.

Example:
    >>> ModelStep.title
    'Model'
"""

from __future__ import annotations

__all__ = ["ModelStep", "PRETRAINED", "REGISTRY"]

from typing import Any

import ipywidgets as w

from synapse_nb.errors import InputError
from synapse_nb.state import TrainState
from synapse_nb.widgets._common import esc, message_html
from synapse_nb.widgets.wizard._card import StepCard
from synapse_nb.widgets.wizard._context import ModelChoice
from synapse_nb.widgets.wizard._data import MODEL_TABLE_HEADER, model_row

PRETRAINED = "Pretrained"
REGISTRY = "Trained (model registry)"


def _registry_label(record: Any) -> str:
    metrics = record.metrics or {}
    score = next((f"{k} {v:.3f}" for k, v in metrics.items() if isinstance(v, (int, float)) and "map" in k.lower()), "")
    parts = [f"#{record.id} {record.name}", f"{record.framework}/{record.model_name or '?'}", record.task_type]
    if score:
        parts.append(score)
    return " · ".join(parts)


class ModelStep(StepCard):
    """A table of pretrained models (framework, name, task type, params, size) or the registry."""

    key = "model"
    title = "Model"

    def build(self) -> list[w.Widget]:
        from synapse_nb.frameworks import list_models

        self._models = {m.ref: m for m in list_models()}
        self._records: dict[int, Any] = {}
        self.source = w.ToggleButtons(options=[PRETRAINED, REGISTRY], value=PRETRAINED)
        self.pretrained = w.Select(options=[(model_row(m.framework, m.name, m.task_type, m.params_m, m.size_mb), ref)
                                            for ref, m in self._models.items()],
                                   value=None, rows=min(10, max(len(self._models), 2)), layout=w.Layout(width="100%"))
        header = w.HTML(f"<pre class='snb-muted' style='margin:0'>{esc(MODEL_TABLE_HEADER)}</pre>")
        self.pretrained_box = w.VBox([header, self.pretrained])
        self.pretrained_box.add_class("snb-mono")
        self.registry = w.Select(options=[], value=None, rows=6, layout=w.Layout(width="100%"))
        self.registry_note = w.HTML()
        self.registry_box = w.VBox([self.registry_note, self.registry])
        self.details = w.HTML()
        self.source.observe(lambda _c: self._show_source(), names="value")
        self.pretrained.observe(lambda _c: self._show_details(), names="value")
        self.registry.observe(lambda _c: self._show_details(), names="value")
        self._show_source()
        return [self.source, self.pretrained_box, self.registry_box, self.details]

    def load_registry(self) -> None:
        """List the trained models of the registry (the picked project's first)."""
        records = [r for r in self.ctx.api.model.all() if r.category == "trained"]
        project_id = self.ctx.project.project.id if self.ctx.project else None
        records.sort(key=lambda r: (r.project_id != project_id, -r.id))
        self._records = {r.id: r for r in records}
        current = self.registry.value
        self.registry.options = [(_registry_label(r), r.id) for r in records]
        self.registry.value = current if current in self._records else None
        self.registry_note.value = "" if records else message_html(
            "muted", "No trained models in the registry yet: they appear here after a training run finishes.")

    def _show_source(self) -> None:
        registry = self.source.value == REGISTRY
        if registry:
            self.load_registry()
        self.pretrained_box.layout.display = "none" if registry else None
        self.registry_box.layout.display = None if registry else "none"
        self._show_details()

    def _show_details(self) -> None:
        self.show_error(None)
        choice = self.choice()
        self.ctx.model = choice
        if choice is None:
            self.details.value = ""
            return
        if isinstance(choice.ref, str):
            info = self._models[choice.ref]
            text = info.description
        else:
            record = self._records[choice.ref]
            text = f"trained in task {record.task_id}, project {record.project_id}" if record.task_id else "trained model"
        self.details.value = f'<div class="snb-muted">{esc(choice.label)} — {esc(choice.task_type)}. {esc(text)}</div>'

    def choice(self) -> ModelChoice | None:
        """The model currently picked (None when nothing is)."""
        if self.source.value == PRETRAINED:
            ref = self.pretrained.value
            if ref is None:
                return None
            info = self._models[ref]
            return ModelChoice(ref=ref, framework=info.framework, name=info.name, task_type=info.task_type)
        model_id = self.registry.value
        if model_id is None:
            return None
        record = self._records[model_id]
        return ModelChoice(ref=model_id, framework=record.framework, name=record.model_name or record.name,
                           task_type=record.task_type)

    def check(self) -> None:
        choice = self.choice()
        if choice is None:
            raise InputError("model", "a model picked from the list")
        from synapse_nb.frameworks import get_framework

        get_framework(choice.framework)  # a registry model of a framework not installed here fails now

    def summary(self) -> str:
        choice = self.choice()
        assert choice is not None
        return f"{choice.label} ({choice.task_type})"

    def fields(self) -> dict[str, Any]:
        choice = self.choice()
        assert choice is not None
        return {"model": choice.ref}

    def restore(self, state: TrainState) -> None:
        ref = state.model_ref
        if ref.kind == "pretrained":
            from synapse_nb.frameworks import resolve_model

            self.source.value = PRETRAINED
            self.pretrained.value = resolve_model(str(state.model)).ref
        elif ref.kind == "model_id":
            self.source.value = REGISTRY
            self.load_registry()
            if ref.model_id not in self._records:
                raise InputError("model", "a trained model of the registry", got=ref.model_id)
            self.registry.value = ref.model_id
        else:
            raise InputError("model", "a pretrained model or a registry model id (the wizard cannot pick a file path)",
                             got=state.model)
