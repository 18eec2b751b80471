"""The plugin contract: :class:`Framework` describes one training framework.

A framework names its models, ships default hyperparameters as YAML text, validates the
hyperparameters a user gives before any work starts, and points at the train action
class (``"module:Class"``) that runs it. Built-in and third-party frameworks are the same
kind of object; the registry does not special-case either.

Example:
    >>> from synapse_nb.frameworks import Framework, ModelInfo
    >>> tiny = ModelInfo(framework="Toy", name="toy-det", task_type="object detection",
    ...                  config="toy.yaml", weights="toy.pt", params_m=1.0, size_mb=2.0)
    >>> fw = Framework(name="Toy", task_types=("object detection",), models=(tiny,),
    ...                train_action="toy_plugin.action:ToyTrainAction")
    >>> fw.get_model("TOY-DET").name
    'toy-det'
    >>> fw.validate_hyperparameters("epochs: 3")
    {'epochs': 3}
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from synapse_nb._yaml import parse_hyperparameters
from synapse_nb.errors import InputError
from synapse_nb.frameworks._model_info import ModelInfo, TaskType

_IMPORT_PATH = r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$"


def close_matches(value: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to ``value`` (case-insensitive), best first, spelled as given.

    Example:
        >>> close_matches("yolo11-det", ["yolo11n-det", "yolov8n-det", "resnet50"])
        ['yolo11n-det', 'yolov8n-det']
    """
    by_lower: dict[str, str] = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    found = difflib.get_close_matches(value.lower(), list(by_lower), n=n, cutoff=0.5)
    return [by_lower[match] for match in found]


class Framework(BaseModel):
    """A training framework plugin: its models, default hyperparameters and train action.

    Subclasses override :meth:`default_hyperparameters` and :meth:`check_hyperparameters`;
    the base class only parses YAML and accepts any mapping.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100, pattern=r"^[^/\s]+$")
    task_types: tuple[TaskType, ...] = Field(min_length=1)
    models: tuple[ModelInfo, ...] = Field(min_length=1)
    train_action: str = Field(pattern=_IMPORT_PATH, description="'module:Class' of its BaseTrainAction subclass")
    default_model: str | None = Field(default=None, description="model name used when none is given")
    description: str = ""

    @model_validator(mode="after")
    def _models_belong_here(self) -> Framework:
        seen: set[str] = set()
        for model in self.models:
            if model.framework != self.name:
                raise ValueError(f"model {model.name!r} names framework {model.framework!r}, not {self.name!r}")
            if model.task_type not in self.task_types:
                raise ValueError(f"model {model.name!r} has task type {model.task_type!r} not in {self.task_types}")
            if model.name.lower() in seen:
                raise ValueError(f"model name {model.name!r} appears twice (names are case-insensitive)")
            seen.add(model.name.lower())
        if self.default_model is not None and self.default_model.lower() not in seen:
            raise ValueError(f"default_model {self.default_model!r} is not one of the models")
        return self

    def model_names(self) -> list[str]:
        """Names of the models, in declaration order."""
        return [model.name for model in self.models]

    def get_model(self, name: str) -> ModelInfo:
        """The model called ``name`` (case-insensitive).

        An unknown name is an :class:`InputError` on ``model`` listing every model and the
        closest matches; a misspelling never falls back to a default model.
        """
        wanted = name.strip().lower()
        for model in self.models:
            if model.name.lower() == wanted:
                return model
        refs = [model.ref for model in self.models]
        guesses = [f"{self.name}/{n}" for n in close_matches(name.strip(), self.model_names())]
        hint = f"Did you mean {' or '.join(guesses)}? " if guesses else ""
        raise InputError(
            "model",
            f"one of the {self.name} models",
            got=f"{self.name}/{name}",
            hint=f"{hint}Available: {', '.join(refs)}",
        )

    def task_type_of(self, model: object) -> TaskType | None:
        """The task type of ``model`` ("Framework/name" or a bare name of this framework).

        None for anything else (a checkpoint path, a model id): its task is not known here.

        Example:
            >>> from synapse_nb.frameworks import get_framework
            >>> get_framework("YOLO").task_type_of("YOLO/yolo11n-seg")
            'instance segmentation'
        """
        if not isinstance(model, str):
            return None
        framework, sep, name = model.strip().rpartition("/")
        if sep and framework.lower() != self.name.lower():
            return None
        wanted = name.lower()
        return next((m.task_type for m in self.models if m.name.lower() == wanted), None)

    def default_hyperparameters(self) -> str:
        """The default hyperparameters as commented YAML text (what the wizard shows)."""
        return ""

    def hyperparameter_defaults(self) -> dict[str, Any]:
        """Every setting the framework trains with when it is not given, and its value (what
        the wizard shows greyed beside the user's). The base: the parsed default YAML."""
        return parse_hyperparameters(self.default_hyperparameters())

    def hyperparameter_docs(self) -> dict[str, str]:
        """One line per setting saying what it means, from the framework's own argument docs.
        The base knows none."""
        return {}

    def validate_hyperparameters(self, values: str | Mapping[str, Any] | None) -> dict[str, Any]:
        """Parse (YAML text, safe loader) and check hyperparameters; returns the checked values.

        Raises :class:`InputError` naming ``hyperparameters.<key>`` for a bad key or value.
        """
        if values is None or isinstance(values, str):
            parsed = parse_hyperparameters(values)
        elif isinstance(values, Mapping):
            bad_keys = [key for key in values if not isinstance(key, str)]
            if bad_keys:
                raise InputError("hyperparameters", "string keys", got=bad_keys)
            parsed = dict(values)
        else:
            raise InputError("hyperparameters", "YAML text or a mapping", got=type(values).__name__)
        return self.check_hyperparameters(parsed)

    def check_hyperparameters(self, values: dict[str, Any]) -> dict[str, Any]:
        """Framework-specific checks of parsed hyperparameters; the base accepts everything."""
        return dict(values)

    def canonical_metric(self, name: str) -> str:
        """Our name of a metric given in the framework's own words (the base: as given)."""
        return name

    def metric_aliases(self) -> dict[str, str]:
        """The framework's own metric names that are accepted, and ours they map to."""
        return {}

    def check_search(self, fixed: dict[str, Any], searched: list[str]) -> None:
        """Framework-specific checks of a search: the fixed hyperparameters and the searched
        names together (e.g. a value the framework would ignore). The base accepts everything."""
        return None

    def load_train_action(self) -> type:
        """Import and return the train action class named by :attr:`train_action`."""
        module_name, _, class_name = self.train_action.partition(":")
        module = importlib.import_module(module_name)
        try:
            return getattr(module, class_name)
        except AttributeError:
            raise ImportError(f"{self.name}: module {module_name!r} has no class {class_name!r}") from None
