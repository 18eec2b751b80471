"""Find the train action class a task runs.

``plugin`` wins when given ('module:Class', 'module:train' function, or a registered
framework name); otherwise the framework of the model ("YOLO/yolo11n-det", or the framework
of a registry model id). Resolution happens before any work starts; a wrong name is an
error naming the field.

Example:
    >>> load_object("synapse_nb.actions.train:BaseTrainAction").__name__
    'BaseTrainAction'
"""

from __future__ import annotations

__all__ = ["as_action_class", "framework_action", "load_object", "resolve_action_class"]

from typing import Any

from synapse_nb.actions.train.action import BaseTrainAction
from synapse_nb._plugin_check import load_object
from synapse_nb.errors import InputError
from synapse_nb.state import TrainState


def as_action_class(obj: Any, field: str = "plugin") -> type[BaseTrainAction[Any]]:
    """A BaseTrainAction subclass, or a train()/tune() function wrapped into one."""
    if isinstance(obj, type) and issubclass(obj, BaseTrainAction):
        return obj
    if callable(obj) and not isinstance(obj, type):
        from synapse_nb.actions.train.function_plugin import wrap_function

        return wrap_function(obj)
    raise InputError(field, "a BaseTrainAction subclass or a train() function", got=repr(obj))


def framework_action(name: str) -> type[BaseTrainAction[Any]]:
    """The train action of a registered framework."""
    from synapse_nb.frameworks import get_framework

    framework = get_framework(name)
    return as_action_class(load_object(framework.train_action))


def resolve_action_class(state: TrainState, api: Any = None) -> type[BaseTrainAction[Any]]:
    """The action class for a task's state."""
    if state.plugin:
        if ":" in state.plugin:
            return as_action_class(load_object(state.plugin))
        return framework_action(state.plugin)
    ref = state.model_ref
    if ref.kind == "pretrained":
        return framework_action(ref.framework or "")
    if ref.kind == "model_id" and api is not None:
        return framework_action(api.model.get(ref.model_id).framework)
    from synapse_nb.frameworks import default_framework_name

    return framework_action(default_framework_name())
