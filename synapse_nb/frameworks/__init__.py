"""Training framework plugins and their registry.

A model is picked as ``"Framework/name"`` (e.g. ``"YOLO/yolo11n-det"``). Frameworks come
from this package (ultralytics YOLO) and from any installed distribution that declares an
entry point in the group ``synapse_nb.frameworks`` pointing at a :class:`Framework`
(or a callable returning one)::

    [project.entry-points."synapse_nb.frameworks"]
    MyNet = "my_package.plugin:framework"

Example:
    >>> from synapse_nb import frameworks
    >>> frameworks.resolve_model("YOLO/yolo11n-det").weights
    'yolo11n.pt'
    >>> frameworks.resolve_model("YOLO/yolo11-det")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    synapse_nb.errors.InputError: model: expected one of the YOLO models, got 'YOLO/yolo11-det'. Did you mean ...
"""

from __future__ import annotations

from synapse_nb.frameworks._framework import Framework, close_matches
from synapse_nb.frameworks._model_info import ModelInfo, TaskType
from synapse_nb.frameworks._registry import (
    ENTRY_POINT_GROUP,
    FrameworkLoadError,
    FrameworkRegistry,
    default_registry,
)
from synapse_nb.frameworks.sink import MetricSink

__all__ = [
    "ENTRY_POINT_GROUP",
    "Framework",
    "FrameworkLoadError",
    "FrameworkRegistry",
    "MetricSink",
    "ModelInfo",
    "TaskType",
    "close_matches",
    "default_framework_name",
    "default_registry",
    "get_framework",
    "list_frameworks",
    "list_models",
    "register_framework",
    "resolve_model",
]


def default_framework_name() -> str:
    """The framework used when a task names none: the first registered (the built-in YOLO).

    Example:
        >>> default_framework_name()
        'YOLO'
    """
    return default_registry().names()[0]


def register_framework(framework: Framework, *, replace: bool = False) -> Framework:
    """Register a framework in the process-wide registry (e.g. from a notebook).

    Example:
        >>> register_framework(get_framework("YOLO")).name  # registering the same object again is a no-op
        'YOLO'
    """
    return default_registry().register(framework, replace=replace)


def get_framework(name: str) -> Framework:
    """The registered framework called ``name`` (case-insensitive).

    Example:
        >>> get_framework("yolo").train_action
        'synapse_nb.frameworks.ultralytics_yolo.action:YoloTrainAction'
    """
    return default_registry().get(name)


def list_frameworks() -> list[Framework]:
    """Every registered framework.

    Example:
        >>> [f.name for f in list_frameworks()][:1]
        ['YOLO']
    """
    return default_registry().list()


def list_models(task_type: str | None = None) -> list[ModelInfo]:
    """Every model of every framework, or only those of ``task_type``.

    Example:
        >>> [m.name for m in list_models("instance segmentation")][:2]
        ['yolov8n-seg', 'yolov8s-seg']
    """
    return default_registry().list_models(task_type)


def resolve_model(ref: str) -> ModelInfo:
    """The model for ``"Framework/name"``; an unknown one is an InputError on ``model``.

    Example:
        >>> resolve_model("yolo/YOLO11N-SEG").task_type
        'instance segmentation'
    """
    return default_registry().resolve_model(ref)
