"""TrainState: the one validated object that the wizard and ``TrainApi.run`` both build.

It holds everything a training run needs: the project (or a local ``data_path``), the model,
classes, train/val split, YAML hyperparameters, benchmark/export switches and, for tuning,
the search space and tune config. It round-trips through JSON, renders itself as the
equivalent ``TrainApi.run(...)`` cell (:meth:`TrainState.to_code`), and parses Synapse
action payloads (:meth:`TrainState.from_action_payload`).

Example:
    >>> import synapse_nb as snb
    >>> state = snb.TrainState(project_id=1, model="YOLO/yolo11n-det", hyperparameters="epochs: 5")
    >>> state.hyperparameters_dict
    {'epochs': 5}
    >>> snb.TrainState.model_validate_json(state.to_json()) == state
    True
"""

from __future__ import annotations

__all__ = ["DEFAULT_MODEL", "ModelRef", "TrainState", "encode_job_name", "parse_model_ref"]

from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from synapse_nb._yaml import parse_hyperparameters
from synapse_nb.search_space import SearchSpace, TuneConfig
from synapse_nb.splits import RandomSplit, TrainValSplit

DEFAULT_MODEL = "YOLO/yolo11n-det"


def encode_job_name(name: str) -> str:
    """Encode the characters job names can't carry: ``:`` -> ``%3A``, ``,`` -> ``%2C``.

    Example:
        >>> encode_job_name("exp:v1,batch:32")
        'exp%3Av1%2Cbatch%3A32'
    """
    return quote(name, safe="".join(chr(c) for c in range(32, 127) if chr(c) not in ":,%"))


class ModelRef(BaseModel):
    """What ``TrainState.model`` points at, parsed.

    ``kind`` is ``pretrained`` ("Framework/name"), ``model_id`` (a model in the registry,
    e.g. a checkpoint of an earlier experiment) or ``path`` (a checkpoint file on the agent).
    """

    model_config = ConfigDict(frozen=True)

    kind: str
    framework: str | None = None
    name: str | None = None
    model_id: int | None = None
    path: str | None = None


def parse_model_ref(model: str | int) -> ModelRef:
    """Parse a model reference.

    Example:
        >>> parse_model_ref("YOLO/yolo11n-det").name
        'yolo11n-det'
        >>> parse_model_ref(12).kind
        'model_id'
        >>> parse_model_ref("/runs/exp/weights/best.pt").kind
        'path'
    """
    if isinstance(model, int):
        return ModelRef(kind="model_id", model_id=model)
    text = model.strip()
    if text.isdigit():
        return ModelRef(kind="model_id", model_id=int(text))
    if text.startswith("model:") and text[6:].isdigit():
        return ModelRef(kind="model_id", model_id=int(text[6:]))
    looks_like_path = text.startswith(("/", "./", "../", "~")) or text.endswith((".pt", ".pth", ".onnx"))
    if looks_like_path:
        return ModelRef(kind="path", path=text)
    framework, sep, name = text.partition("/")
    if not sep or not framework or not name or "/" in name:
        raise ValueError(
            f"model must be 'Framework/name' (e.g. {DEFAULT_MODEL!r}), a model id, or a checkpoint path; got {model!r}"
        )
    return ModelRef(kind="pretrained", framework=framework, name=name)


class TrainState(BaseModel):
    """Everything a training run needs; what ``TrainApi.run`` submits as a task.

    Field names and defaults follow the Supervisely TrainApi (``run(agent_id, project_id,
    model, classes, train_val_split, hyperparameters, ...)``); tuning fields follow the
    Synapse train action (``is_tune``, ``search_space`` = the Synapse ``hyperparameters``
    list, ``tune_config``, ``num_cpus``, ``num_gpus``). One set of defaults, here.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    agent_id: int | None = Field(default=None, ge=1, description="agent to run on; None = the local agent")
    project_id: int | None = Field(default=None, ge=1, description="project with the training data")
    data_path: str | None = Field(default=None, description="a ready dataset on the agent (skips export/convert)")
    model: str | int = Field(default=DEFAULT_MODEL, description="'Framework/name', a model id, or a checkpoint path")
    classes: list[str] | None = Field(default=None, description="class names to train on; None = all")
    train_val_split: TrainValSplit = Field(default_factory=RandomSplit)
    hyperparameters: str | None = Field(default=None, description="YAML text; None = the framework's defaults")
    experiment_name: str | None = Field(default=None, max_length=200)
    convert_class_shapes: bool = True
    enable_benchmark: bool = True
    enable_speedtest: bool = False
    cache_project: bool = True
    export_onnx: bool = False
    export_tensorrt: bool = False
    autostart: bool = True
    is_tune: bool = False
    search_space: SearchSpace | None = Field(default=None, description="the searched hyperparameters (tuning)")
    tune_config: TuneConfig | None = None
    num_cpus: float | None = Field(default=None, gt=0, description="CPUs per run (per trial in tuning)")
    num_gpus: float | None = Field(default=None, ge=0, description="GPUs per run (per trial in tuning)")
    plugin: str | None = Field(default=None, description="a registered framework name or 'module:Class'")
    plugin_params: dict[str, Any] = Field(
        default_factory=dict, description="a plugin's own params (a Synapse payload's keys beyond the standard ones)")

    @field_validator("model")
    @classmethod
    def _model_ref(cls, value: str | int) -> str | int:
        if isinstance(value, int) and value < 1:
            raise ValueError(f"a model id is a positive integer, got {value}")
        parse_model_ref(value)
        return value

    @field_validator("classes")
    @classmethod
    def _classes(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("give at least one class name, or None for all classes")
        blank = [c for c in value if not isinstance(c, str) or not c.strip()]
        if blank:
            raise ValueError(f"class names must be non-empty strings, got {blank}")
        # Duplicates would double-count a class in the export: drop them, keep order.
        return list(dict.fromkeys(value))

    @field_validator("hyperparameters")
    @classmethod
    def _yaml(cls, value: str | None) -> str | None:
        parse_hyperparameters(value)
        return value

    @field_validator("plugin")
    @classmethod
    def _plugin(cls, value: str | None) -> str | None:
        if value is None:
            return None
        module, sep, attr = value.partition(":")
        if not value.strip() or (sep and (not module or not attr)):
            raise ValueError(f"plugin must be a framework name or 'module:Class', got {value!r}")
        return value

    @field_validator("plugin_params")
    @classmethod
    def _plugin_params(cls, value: dict[str, Any]) -> dict[str, Any]:
        from synapse_nb.payload import STANDARD_PARAMS

        clash = sorted(set(value) & STANDARD_PARAMS)
        if clash:
            raise ValueError(f"plugin_params are a plugin's own keys; {clash} are standard params, set them as such")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> TrainState:
        if (self.project_id is None) == (self.data_path is None):
            raise ValueError("give exactly one of project_id (a project to export) and data_path (a ready dataset)")
        if self.enable_speedtest and not self.enable_benchmark:
            raise ValueError("enable_speedtest needs enable_benchmark=True (the speed test is part of the benchmark)")
        if self.is_tune:
            if self.search_space is None or not self.search_space.root:
                raise ValueError("search_space is required when is_tune=True (the hyperparameters to search)")
            if self.tune_config is None:
                raise ValueError("tune_config is required when is_tune=True (metric, mode, num_samples, ...)")
            # Every search algorithm / scheduler / space mismatch is refused here, before
            # anything is submitted (e.g. bayesoptsearch with a choice parameter).
            self.tune_config.check_space(self.search_space)
        elif self.search_space is not None or self.tune_config is not None:
            raise ValueError("search_space and tune_config are for tuning: set is_tune=True, or leave them out")
        return self

    # -- derived views -------------------------------------------------------------------

    @property
    def hyperparameters_dict(self) -> dict[str, Any]:
        """The YAML hyperparameters parsed (safe loader); ``{}`` when none were given."""
        return parse_hyperparameters(self.hyperparameters)

    @property
    def model_ref(self) -> ModelRef:
        """``model`` parsed into pretrained / model_id / path."""
        return parse_model_ref(self.model)

    @property
    def job_name(self) -> str | None:
        """``experiment_name`` with ``:`` and ``,`` encoded, for Ray job and folder names."""
        return encode_job_name(self.experiment_name) if self.experiment_name else None

    def total_trials(self) -> int:
        """Trials the search will run: num_samples times the grid size (1 when not tuning)."""
        if not self.is_tune or self.tune_config is None or self.search_space is None:
            return 1
        return self.tune_config.total_trials(self.search_space)

    # -- serialisation -------------------------------------------------------------------

    def to_json(self, indent: int | None = None) -> str:
        """JSON text; ``TrainState.model_validate_json`` reads it back to an equal state."""
        return self.model_dump_json(indent=indent)

    def to_code(self) -> str:
        """The equivalent ``TrainApi.run(...)`` notebook cell (the wizard's "copy as code")."""
        from synapse_nb._state_code import render_state_code

        return render_state_code(self)

    def to_action_payload(self) -> dict[str, Any]:
        """This state as a Synapse action payload ``{"action": "train", "params": {...}}``."""
        from synapse_nb.payload import state_to_payload

        return state_to_payload(self)

    @classmethod
    def from_run_args(cls, agent_id: int | None = None, project_id: int | None = None, model: str | int = DEFAULT_MODEL,
                      **kwargs: Any) -> TrainState:
        """Build the state for ``TrainApi.run(agent_id, project_id, model, ...)`` arguments.

        Tuning is on when a ``search_space`` is given (``is_tune`` may still be passed).

        Example:
            >>> TrainState.from_run_args(1, 2, "YOLO/yolov8n-det", export_onnx=True).export_onnx
            True
        """
        if kwargs.get("search_space") is not None:
            kwargs.setdefault("is_tune", True)
        return cls(agent_id=agent_id, project_id=project_id, model=model, **kwargs)

    @classmethod
    def from_action_payload(cls, payload: dict[str, Any]) -> TrainState:
        """Parse a Synapse action payload (also the deprecated ``"action": "tune"`` form).

        Example:
            >>> s = TrainState.from_action_payload(
            ...     {"action": "train", "params": {"name": "a:b", "dataset": 3, "hyperparameter": {"epochs": 2}}})
            >>> (s.project_id, s.hyperparameters_dict, s.job_name)
            (3, {'epochs': 2}, 'a%3Ab')
        """
        from synapse_nb.payload import payload_to_state

        return payload_to_state(payload)
