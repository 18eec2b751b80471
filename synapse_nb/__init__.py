"""synapse_nb: train computer-vision models from a notebook.

A wizard (``synapse_nb.widgets.TrainWizard``) or one ``TrainApi.run(...)`` call builds a
validated :class:`TrainState`; it is submitted as a task to an agent that runs the train
action on Ray (dataset export and conversion, ultralytics training, COCO benchmark, ONNX
export, model upload, Ray Tune search), and the notebook follows it live.

Example:
    >>> import synapse_nb as snb
    >>> snb.RandomSplit(percent=80, split="train", seed=0).percent
    80

Heavy parts (the HTTP client, Ray, ultralytics, ipywidgets) load on first use, so
``import synapse_nb`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Before anything can import ultralytics, matplotlib or Ray: keep them offline.
from synapse_nb._offline import configure_environment as _configure_environment

_configure_environment()

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "TrainState": "synapse_nb.state",
    "RandomSplit": "synapse_nb.splits",
    "DatasetsSplit": "synapse_nb.splits",
    "TagsSplit": "synapse_nb.splits",
    "CollectionsSplit": "synapse_nb.splits",
    "SearchSpace": "synapse_nb.search_space",
    "TuneConfig": "synapse_nb.search_space",
    "Api": "synapse_nb.api",
    "TrainApi": "synapse_nb.api",
    "Task": "synapse_nb.api",
    "ExperimentInfo": "synapse_nb.schemas",
}

__all__ = [
    "Api",
    "CollectionsSplit",
    "DatasetsSplit",
    "ExperimentInfo",
    "RandomSplit",
    "SearchSpace",
    "TagsSplit",
    "Task",
    "TrainApi",
    "TrainState",
    "TuneConfig",
]


# Sub-packages reachable as attributes after ``import synapse_nb as snb`` (``snb.frameworks.list_models()``,
# ``snb.widgets.compare(...)``), imported on first use like the names above.
_SUBPACKAGES = frozenset({"actions", "api", "benchmark", "formats", "frameworks", "samples", "steps", "widgets"})


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"synapse_nb.{name}")  # the import system caches it as an attribute
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'synapse_nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # cache: the next access skips __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBPACKAGES)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from synapse_nb.api import Api, Task, TrainApi
    from synapse_nb.schemas import ExperimentInfo
    from synapse_nb.search_space import SearchSpace, TuneConfig
    from synapse_nb.splits import CollectionsSplit, DatasetsSplit, RandomSplit, TagsSplit
    from synapse_nb.state import TrainState
