"""What can be checked of a plugin without the train-action code: where it is, what shape
it has, and whether it can do what the run asks.

The client checks a ``module:attr`` plugin it can import before a task exists; the agent
checks the same again before any work. Both use these functions, so the client package
needs none of :mod:`synapse_nb.actions` (a plugin class brings that in itself, as the base
class it derives from).

Example:
    >>> def train(run, dataset, hyperparameter, checkpoint, **kwargs): ...
    >>> is_tune_function(train)
    False
    >>> load_object("synapse_nb.errors:InputError").__name__
    'InputError'
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from typing import Any

from synapse_nb.errors import InputError

__all__ = ["TRAIN_ARGS", "TUNE_ARGS", "check_capabilities", "check_plugin", "is_tune_function", "load_object",
           "requested_exports"]

TRAIN_ARGS = ["run", "dataset", "hyperparameter", "checkpoint"]
TUNE_ARGS = ["hyperparameter", "run", "dataset", "checkpoint"]


def load_object(spec: str) -> Any:
    """Import ``module:attr`` (attr may be dotted)."""
    module_name, _, attr = spec.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError("plugin", "an importable module", got=module_name, hint=str(exc)) from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise InputError("plugin", f"an attribute of {module_name}", got=attr)
        obj = getattr(obj, part)
    return obj


def _positional_names(fn: Callable[..., Any]) -> list[str]:
    return [p.name for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def is_tune_function(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` is a tune function (its parameters in tune order), whatever its name.

    A function in neither order is refused, with both accepted signatures in the message.

    Example:
        >>> def search(hyperparameter, run, dataset, checkpoint, **kwargs): ...
        >>> is_tune_function(search)
        True
        >>> def fit(run, data, params): ...
        >>> is_tune_function(fit)
        Traceback (most recent call last):
        ...
        synapse_nb.errors.InputError: plugin: expected a train function train(run, dataset, hyperparameter, checkpoint, **kwargs) or a tune function tune(hyperparameter, run, dataset, checkpoint, **kwargs), got 'fit(run, data, params)'
    """
    names = _positional_names(fn)
    if names[: len(TUNE_ARGS)] == TUNE_ARGS:
        return True
    if names[: len(TRAIN_ARGS)] == TRAIN_ARGS:
        return False
    name = getattr(fn, "__name__", "plugin")
    raise InputError("plugin", f"a train function train({', '.join(TRAIN_ARGS)}, **kwargs) or a tune function "
                               f"tune({', '.join(TUNE_ARGS)}, **kwargs)", got=f"{name}({', '.join(names)})")


def requested_exports(state: Any) -> list[str]:
    """Export formats a state asks for."""
    if state is None:
        return []
    return [fmt for fmt, on in (("onnx", state.export_onnx), ("tensorrt", state.export_tensorrt)) if on]


def check_capabilities(action_cls: Any, state: Any) -> None:
    """Refuse, before any work, what the action can't do but the state asks for.

    ``action_cls`` answers ``supports("export_model" | "benchmark")`` as a train action does.
    """
    if state is None:
        return
    if requested_exports(state) and not action_cls.supports("export_model"):
        raise InputError("export_onnx", f"a plugin that can export models ({action_cls.__name__} cannot)",
                         got=requested_exports(state))
    if state.enable_speedtest and not action_cls.supports("benchmark"):
        raise InputError("enable_speedtest", f"a plugin with a benchmark ({action_cls.__name__} has none)", got=True)


class _FunctionPlugin:
    """A function plugin as the capability check sees it: it trains, and does nothing more
    (a wrapped function has neither ``export_model`` nor ``benchmark``)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.__name__ = f"FunctionTrainAction[{getattr(fn, '__name__', 'plugin')}]"

    @staticmethod
    def supports(capability: str) -> bool:
        return False


def check_plugin(spec: str, state: Any) -> None:
    """Check the plugin ``module:attr``: a train action class or a train/tune function that
    can do what ``state`` asks (exports, a speed test).

    Example:
        >>> check_plugin("synapse_nb.errors:InputError", None)
        Traceback (most recent call last):
        ...
        synapse_nb.errors.InputError: plugin: expected a BaseTrainAction subclass or a train() function, got "<class 'synapse_nb.errors.InputError'>"
    """
    obj = load_object(spec)
    if callable(obj) and not isinstance(obj, type):
        is_tune_function(obj)
        check_capabilities(_FunctionPlugin(obj), state)
        return
    # A train action class imported synapse_nb.actions itself (its base class lives there).
    action_module = sys.modules.get("synapse_nb.actions.train.action")
    base = getattr(action_module, "BaseTrainAction", None)
    if base is None or not (isinstance(obj, type) and issubclass(obj, base)):
        raise InputError("plugin", "a BaseTrainAction subclass or a train() function", got=repr(obj))
    if not obj.setup_steps_overridden():
        check_capabilities(obj, state)
