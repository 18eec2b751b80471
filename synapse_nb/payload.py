"""Synapse train action payloads: ``{"action": "train", "params": {...}}``.

The payload is validated by :class:`ActionPayload` (errors name the field), then turned into
the same :class:`~synapse_nb.state.TrainState` the wizard and ``TrainApi.run`` build. The
deprecated ``{"action": "tune"}`` form is converted with a ``DeprecationWarning``. Keys of
ours may ride along: ``model`` ("Framework/name"), ``plugin`` (a framework name or
``module:Class``), and what a TrainState holds beyond the Synapse params (``agent_id``, the
TrainApp switches ``convert_class_shapes``, ``enable_benchmark``, ``enable_speedtest``,
``cache_project``, ``export_onnx``, ``export_tensorrt``, ``autostart``, and
``hyperparameters_yaml``, the YAML text as written), so ``TrainState.from_action_payload(
state.to_action_payload()) == state`` for every state.

Example:
    >>> p = ActionPayload.model_validate({"action": "train", "params": {"dataset": 1, "hyperparameter": {"epochs": 1}}})
    >>> p.params.is_tune
    False
"""

from __future__ import annotations

__all__ = [
    "ActionPayload", "STANDARD_PARAMS", "SWITCHES", "TrainActionParams", "payload_to_state", "state_to_payload",
]

import warnings
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from synapse_nb._yaml import dump_hyperparameters, parse_hyperparameters
from synapse_nb.search_space import SearchSpace, TuneConfig
from synapse_nb.splits import TrainValSplit

if TYPE_CHECKING:
    from synapse_nb.state import TrainState

# Params that map onto TrainState fields; anything else a plugin defines rides along in
# TrainState.plugin_params, into its own params model.
_KNOWN = {
    "name", "dataset", "project_id", "checkpoint", "is_tune", "hyperparameter", "hyperparameters",
    "tune_config", "num_cpus", "num_gpus", "model", "plugin", "data_path", "classes", "train_val_split",
    "splits", "agent_id", "dataset_id", "hyperparameters_yaml",
}
# TrainApp switches a payload may carry; absent ones take TrainState's defaults.
SWITCHES = ("convert_class_shapes", "enable_benchmark", "enable_speedtest", "cache_project", "export_onnx",
            "export_tensorrt", "autostart")


class TrainActionParams(BaseModel):
    """The ``params`` of a Synapse train action payload."""

    # Plugins define their own params; unknown keys are kept, not rejected.
    model_config = ConfigDict(extra="allow")

    name: str | None = Field(default=None, max_length=200)
    dataset: int | None = Field(default=None, ge=1, description="the project id to train on")
    data_path: str | None = None
    checkpoint: int | str | None = Field(default=None, description="model id or checkpoint path to start from")
    is_tune: bool = False
    hyperparameter: dict[str, Any] | None = None
    hyperparameters: SearchSpace | None = None
    tune_config: TuneConfig | None = None
    num_cpus: float | None = Field(default=None, gt=0)
    num_gpus: float | None = Field(default=None, ge=0)
    model: str | None = None
    plugin: str | None = None
    classes: list[str] | None = None
    train_val_split: TrainValSplit | None = None
    agent_id: int | None = Field(default=None, ge=1)
    hyperparameters_yaml: str | None = Field(default=None, description="the hyperparameters' YAML text as written")
    convert_class_shapes: bool | None = None
    enable_benchmark: bool | None = None
    enable_speedtest: bool | None = None
    cache_project: bool | None = None
    export_onnx: bool | None = None
    export_tensorrt: bool | None = None
    autostart: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _dataset_id(cls, data: Any) -> Any:
        # The Synapse SDK's get_dataset() reads `dataset_id`: the same project id as `dataset`.
        if isinstance(data, dict) and data.get("dataset") is None and data.get("dataset_id") is not None:
            return {**data, "dataset": data["dataset_id"]}
        return data

    @model_validator(mode="after")
    def _mode_fields(self) -> TrainActionParams:
        if self.is_tune:
            if self.hyperparameters is None:
                raise ValueError("hyperparameters is required when is_tune=True")
            if self.tune_config is None:
                raise ValueError("tune_config is required when is_tune=True")
        elif self.hyperparameter is None:
            raise ValueError("hyperparameter is required when is_tune=False")
        if self.dataset is None and self.data_path is None:
            raise ValueError("dataset (a project id) or data_path is required")
        return self

    def plugin_params(self) -> dict[str, Any]:
        """The keys a plugin added beyond the standard ones."""
        return dict(self.model_extra or {})


# Every key a payload's params give a meaning of ours; a plugin's own keys are all others.
STANDARD_PARAMS: frozenset[str] = frozenset(_KNOWN | set(TrainActionParams.model_fields))


class ActionPayload(BaseModel):
    """A Synapse action payload. ``action`` is ``train`` (``tune`` is the deprecated form)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["train", "tune"]
    params: TrainActionParams

    @model_validator(mode="before")
    @classmethod
    def _upgrade_tune(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("action") != "tune":
            return data
        warnings.warn(
            "the 'tune' action is deprecated: send {'action': 'train', 'params': {'is_tune': true, "
            "'hyperparameters': [...], 'tune_config': {...}}} instead",
            DeprecationWarning,
            stacklevel=2,
        )
        params = dict(data.get("params") or {})
        if "hyperparameter" in params and "hyperparameters" not in params:
            params["hyperparameters"] = params.pop("hyperparameter")
        params["is_tune"] = True
        return {**data, "action": "train", "params": params}


def payload_to_state(payload: dict[str, Any]) -> TrainState:
    """Validate a payload and build the TrainState it describes."""
    from synapse_nb.state import DEFAULT_MODEL, TrainState

    parsed = ActionPayload.model_validate(payload)
    p = parsed.params
    base = dict(p.hyperparameter or {})
    model: str | int = p.model or DEFAULT_MODEL
    if p.checkpoint is not None:
        model = p.checkpoint
    hyper_text = dump_hyperparameters(base) or None
    if p.hyperparameters_yaml is not None and parse_hyperparameters(p.hyperparameters_yaml) == base:
        hyper_text = p.hyperparameters_yaml  # the text as written (comments, order), when it still says the same
    fields: dict[str, Any] = {
        "agent_id": p.agent_id,
        "project_id": p.dataset,
        "data_path": p.data_path,
        "model": model,
        "classes": p.classes,
        "hyperparameters": hyper_text,
        "experiment_name": p.name,
        "is_tune": p.is_tune,
        "search_space": p.hyperparameters if p.is_tune else None,
        "tune_config": p.tune_config if p.is_tune else None,
        "num_cpus": p.num_cpus,
        "num_gpus": p.num_gpus,
        "plugin": p.plugin,
        # The plugin's own keys, kept apart from the hyperparameters, reach its params as sent.
        "plugin_params": {k: v for k, v in p.plugin_params().items() if k not in STANDARD_PARAMS},
    }
    fields.update({key: getattr(p, key) for key in SWITCHES if getattr(p, key) is not None})
    if p.train_val_split is not None:
        fields["train_val_split"] = p.train_val_split
    return TrainState(**fields)


def state_to_payload(state: TrainState) -> dict[str, Any]:
    """The Synapse payload for a state (``TrainState.from_action_payload`` reads it back)."""
    params: dict[str, Any] = {
        **state.plugin_params,
        "name": state.experiment_name,
        "dataset": state.project_id,
        "checkpoint": None,
        "is_tune": state.is_tune,
        "model": state.model if isinstance(state.model, str) else None,
        "train_val_split": state.train_val_split.model_dump(),
    }
    if isinstance(state.model, int) or state.model_ref.kind != "pretrained":
        params["checkpoint"] = state.model
        params["model"] = None
    if state.data_path is not None:
        params["data_path"] = state.data_path
    if state.classes is not None:
        params["classes"] = state.classes
    if state.plugin is not None:
        params["plugin"] = state.plugin
    for key in ("num_cpus", "num_gpus", "agent_id", "hyperparameters"):
        if getattr(state, key) is not None:
            params["hyperparameters_yaml" if key == "hyperparameters" else key] = getattr(state, key)
    params.update({key: getattr(state, key) for key in SWITCHES})
    if state.is_tune:
        assert state.search_space is not None and state.tune_config is not None
        params["hyperparameters"] = state.search_space.to_payload()
        params["tune_config"] = state.tune_config.model_dump(exclude_none=True)
        if state.hyperparameters_dict:
            params["hyperparameter"] = state.hyperparameters_dict
    else:
        params["hyperparameter"] = state.hyperparameters_dict
    return {"action": "train", "params": params}
