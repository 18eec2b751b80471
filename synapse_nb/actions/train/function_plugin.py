"""Function plugins: ``train(run, dataset, hyperparameter, checkpoint, **kwargs)``.

The Synapse SDK lets a plugin be a plain function; this wraps one into a train action so
it gets the same export, progress, logging and upload. Set ``train.target_format = 'yolo'``
(or a module-level ``TARGET_FORMAT``) to receive a converted dataset; the default is the
raw dataset folder. A tuning function, ``tune(hyperparameter, run, dataset, checkpoint,
**kwargs)``, is told apart by its argument order, not its name.

Example:
    >>> def train(run, dataset, hyperparameter, checkpoint, **kwargs):
    ...     return {"weights_path": "w.pt"}
    >>> action_cls = wrap_function(train)
    >>> action_cls.target_format is None
    True
"""

from __future__ import annotations

__all__ = ["wrap_function"]

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synapse_nb.actions.train.action import BaseTrainAction
from synapse_nb.actions.train.params import BaseTrainParams
from synapse_nb._plugin_check import is_tune_function

def wrap_function(fn: Callable[..., Any]) -> type[BaseTrainAction[BaseTrainParams]]:
    """A train action class that calls ``fn`` as its ``execute`` (tune order or train order,
    told by its parameters)."""
    is_tune = is_tune_function(fn)
    module = sys.modules.get(fn.__module__)
    target = getattr(fn, "target_format", getattr(module, "TARGET_FORMAT", None))

    class FunctionTrainAction(BaseTrainAction[BaseTrainParams]):
        target_format = target
        plugin_function = staticmethod(fn)
        is_tune_function = is_tune

        def execute(self, data_path: Path, checkpoint: dict[str, Any] | None) -> Any:
            dataset = {**self.context.dataset, "path": data_path}
            hyper = dict(self.params.hyperparameter)
            extra = {k: v for k, v in self.params.model_dump().items() if k not in BaseTrainParams.model_fields}
            if is_tune:
                return fn(hyper, self.run_logger, dataset, checkpoint, **extra)
            return fn(self.run_logger, dataset, hyper, checkpoint, **extra)

    FunctionTrainAction.__name__ = f"FunctionTrainAction[{fn.__name__}]"
    FunctionTrainAction.__qualname__ = FunctionTrainAction.__name__
    return FunctionTrainAction
