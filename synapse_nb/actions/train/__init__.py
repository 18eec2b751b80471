"""Train actions: the base class plugins extend, their params, context and progress names.

Example:
    >>> from synapse_nb.actions.train import BaseTrainAction, BaseTrainParams
    >>> class Params(BaseTrainParams):
    ...     epochs: int = 3
    >>> class MyAction(BaseTrainAction[Params]):
    ...     target_format = "yolo"
    ...     def execute(self, data_path, checkpoint):
    ...         return {"weights_path": "best.pt"}
    >>> MyAction.params_model.__name__
    'Params'
"""

from synapse_nb.actions.train.action import BaseTrainAction
from synapse_nb.actions.train.context import RuntimeContext, TrainContext
from synapse_nb.actions.train.params import BaseTrainParams
from synapse_nb.actions.train.progress import TrainProgressCategories
from synapse_nb.actions.train.run import TrainRun

__all__ = [
    "BaseTrainAction",
    "BaseTrainParams",
    "RuntimeContext",
    "TrainContext",
    "TrainProgressCategories",
    "TrainRun",
]
