"""The one place that touches ultralytics' default callback registry, and why.

ultralytics attaches callbacks to a model through its public ``model.add_callback(event,
fn)``, and we use that whenever we hold the model (``autolog('ultralytics', model)``, our
own YOLO training). A Synapse plugin, though, calls ``autolog('ultralytics')`` *before* it
creates its model, and reads ``model.best`` from models we never see. ultralytics has no
public hook for "models created later": every ``Model(...)`` copies
``ultralytics.utils.callbacks.base.default_callbacks`` when it is built. So, for the span of
one action, the callbacks are added to that registry and removed afterwards.
``tests/test_library_workarounds.py`` fails as soon as ultralytics stops copying the
registry into new models; this module then has to change, and nothing else does.

Example:
    >>> remove = added_to_new_models({"on_train_end": lambda trainer: None})
    >>> remove()
"""

from __future__ import annotations

__all__ = ["added_to_new_models"]

from collections.abc import Callable, Mapping
from typing import Any


class _Shared:
    """A callback that ultralytics' ``deepcopy`` of its default registry keeps as it is.

    Every ``YOLO(...)`` deep-copies the default callbacks; a bound method would drag a copy
    of the action (and its locks) along, which fails, and a copy would log nowhere.
    """

    def __init__(self, fn: Callable[[Any], None]) -> None:
        self.fn = fn

    def __call__(self, trainer: Any) -> None:
        self.fn(trainer)

    def __copy__(self) -> _Shared:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Shared:
        return self


def added_to_new_models(callbacks: Mapping[str, Callable[[Any], None]]) -> Callable[[], None]:
    """Give every ultralytics model created from now on these callbacks (event -> function);
    returns the function that takes them out of the registry again. Models already built
    keep what they have."""
    from ultralytics.utils.callbacks import base

    shared = {event: _Shared(fn) for event, fn in callbacks.items()}
    for event, fn in shared.items():
        base.default_callbacks.setdefault(event, []).append(fn)

    def remove() -> None:
        for event, fn in shared.items():
            registered = base.default_callbacks.get(event, [])
            if fn in registered:
                registered.remove(fn)

    return remove
