"""Step 2, Model: a pretrained model of a registered framework, or a trained model from the
model registry, each picked from a sortable table.

The pretrained table shows what a person weighs: size, the published COCO mAP50-95 and
speeds (ultralytics' own tables, source named under the table) and whether pretrained
weights are here, can be pulled, or the model trains from scratch. The trained table shows
each registry model's own benchmark scores and the experiment (task, project) it came from.

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
from synapse_nb.widgets.wizard._model_data import WEIGHTS_WORDS, model_frame, registry_frame
from synapse_nb.widgets.wizard._table import PickTable

PRETRAINED = "Pretrained"
REGISTRY = "Trained (model registry)"

_MODEL_FORMATS = {"params (M)": "{:.2f}".format, "size (MB)": "{:.1f}".format, "COCO mAP50-95": "{:.1f}".format,
                  "CPU ms": "{:.4g}".format, "GPU ms": "{:.3g}".format}
_MODEL_WIDTHS = {"framework": "85px", "name": "115px", "task type": "150px", "params (M)": "85px",
                 "size (MB)": "80px", "COCO mAP50-95": "135px", "CPU ms": "70px", "GPU ms": "70px",
                 "weights": "minmax(170px, 1fr)"}
_MODEL_TIPS = {"COCO mAP50-95": "published COCO val2017 mAP50-95 (mask mAP for segmentation models)",
               "CPU ms": "published time per image on a CPU (ONNX)", "GPU ms": "published time per image on a GPU (TensorRT)",
               "weights": "pretrained weights here / can be pulled (synapse-nb weights pull NAME) / trains from scratch"}
def _whole(value: Any) -> str:
    return str(int(value))  # ids arrive as floats when a column has a missing one


_REGISTRY_FORMATS = {"mAP": "{:.3f}".format, "AP50": "{:.3f}".format, "task": _whole, "project": _whole, "id": _whole}
_REGISTRY_WIDTHS = {"id": "50px", "experiment": "220px", "model": "160px", "task type": "160px", "mAP": "70px",
                    "AP50": "70px", "task": "60px", "project": "1fr"}
_REGISTRY_TIPS = {"mAP": "the model's own benchmark on its val split", "AP50": "the model's own benchmark on its val split",
                  "task": "the training task it came from"}


def _sources(models: list[Any]) -> str:
    sources = sorted({m.published_source for m in models if m.published_source})
    links = ", ".join(f'<a href="{esc(s)}" target="_blank" rel="noopener">{esc(s)}</a>' for s in sources)
    return (f'<div class="snb-muted">COCO mAP50-95 and speeds as the models\' authors publish them ({links}); '
            "a dash where none are published. Click a column to sort.</div>") if sources else ""


class ModelStep(StepCard):
    """A table of pretrained models, or one of the registry's trained models."""

    key = "model"
    title = "Model"

    def build(self) -> list[w.Widget]:
        from synapse_nb.frameworks import list_models

        models = list_models()
        self._models = {m.ref: m for m in models}
        self._records: dict[int, Any] = {}
        self.source = w.ToggleButtons(options=[PRETRAINED, REGISTRY], value=PRETRAINED, style={"button_width": "auto"})
        self.pretrained = PickTable(model_frame(models), pick="name", formats=_MODEL_FORMATS, widths=_MODEL_WIDTHS,
                                    tooltips=_MODEL_TIPS)
        self.pretrained_box = w.VBox([self.pretrained.widget, w.HTML(_sources(models))])
        self.registry = PickTable(registry_frame([]), pick="experiment", formats=_REGISTRY_FORMATS,
                                  widths=_REGISTRY_WIDTHS, tooltips=_REGISTRY_TIPS, max_height="240px")
        self.registry_note = w.HTML()
        self.registry_box = w.VBox([self.registry_note, self.registry.widget])
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
        self.registry.set_frame(registry_frame(records))
        self.registry.value = current if current in self._records else None
        if self.status == "locked":
            self._render()  # new row buttons start enabled
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
            text = f"{info.description} Weights: {WEIGHTS_WORDS[info.weights_status]}."
            if info.weights_status == "pullable":
                text += f" Pull them with: synapse-nb weights pull {info.name}"
            elif info.weights_status == "scratch":
                text += " It trains from random initial weights (slow to converge on small projects)."
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
            raise InputError("model", "a model picked from the table")
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
