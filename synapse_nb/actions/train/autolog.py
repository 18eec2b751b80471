"""autolog(framework): per-epoch metrics and progress logged without plugin code.

For ultralytics the callbacks of :func:`synapse_nb.frameworks.ultralytics_yolo.attach_autolog`
are attached to the model given, or — when none is given, as Synapse plugins call it before
creating their model — given to every model created during the action (ultralytics has no
public hook for that: see :mod:`synapse_nb._ultralytics_defaults`). Nothing is patched.

Example:
    >>> sorted(SUPPORTED)
    ['ultralytics']
"""

from __future__ import annotations

__all__ = ["SUPPORTED", "enable_autolog", "track_best_weights"]

from collections.abc import Callable
from typing import Any

from synapse_nb._ultralytics_defaults import added_to_new_models
from synapse_nb.errors import InputError

SUPPORTED = {"ultralytics"}


class _ActionSink:
    """Routes autolog's metrics and progress into the action's TrainRun and progress."""

    def __init__(self, action: Any) -> None:
        self._action = action

    def log_metric(self, category: str, key: str, value: float, *, epoch: int | None = None,
                   step: int | None = None) -> None:
        self._action.runtime.run.log_metric(category, key, value, epoch=epoch, step=step)

    def set_progress(self, current: float, total: float, category: str) -> None:
        self._action.set_progress(current, total, category)


def enable_autolog(framework: str, action: Any, model: Any = None) -> Callable[[], None]:
    """Start autologging ``framework`` for ``action``; returns a function that stops it."""
    if framework.lower() not in SUPPORTED:
        raise InputError("framework", f"one of {sorted(SUPPORTED)}", got=framework)
    from synapse_nb.frameworks.ultralytics_yolo import autolog_callbacks

    callbacks = autolog_callbacks(_ActionSink(action))  # total epochs read from the trainer
    if model is not None:
        for event, fn in callbacks.items():
            model.add_callback(event, fn)
        return lambda: None
    return added_to_new_models(callbacks)


def _models_of(trainer: Any) -> list[Any]:
    """The ultralytics ``Model`` objects whose ``.trainer`` is ``trainer``.

    A trainer keeps no link to the model that made it; the model holds the trainer, so the
    garbage collector's referrer lists (public ``gc`` API) find it: either the model itself
    or its attribute dict, whose owner is the model.
    """
    import gc

    from ultralytics.engine.model import Model

    found: list[Any] = []
    for holder in gc.get_referrers(trainer):
        if isinstance(holder, Model) and holder.__dict__.get("trainer") is trainer:
            found.append(holder)
        elif isinstance(holder, dict) and holder.get("trainer") is trainer:
            found.extend(m for m in gc.get_referrers(holder) if isinstance(m, Model) and m.__dict__ is holder)
    return found


def _set_best(trainer: Any) -> None:
    best = getattr(trainer, "best", None)
    if best is None:
        return
    for model in _models_of(trainer):
        model.best = best


def track_best_weights() -> Callable[[], None]:
    """Give every ultralytics model trained during the action a ``.best`` attribute (the
    path of its best weights) when training ends; returns a function that stops it.

    Synapse SDK plugins read ``model.best`` after ``model.train(...)`` (its documented
    examples do); ultralytics itself keeps that path on ``model.trainer.best`` only. Given to
    the models created during the action (see :mod:`synapse_nb._ultralytics_defaults`).
    Without ultralytics installed this does nothing.
    """
    import importlib.util

    if importlib.util.find_spec("ultralytics") is None:
        return lambda: None
    return added_to_new_models({"on_train_end": _set_best})
