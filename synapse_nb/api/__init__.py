"""The client of a synapse_nb backend.

``Api(url, token)`` talks to a backend; ``Api.from_env()`` picks it from SYNAPSE_NB_URL /
SYNAPSE_NB_TOKEN, or starts this machine's embedded backend (and local agent) in the
background. Resources: ``api.project``, ``api.dataset``, ``api.item``, ``api.collection``,
``api.agent``, ``api.task``, ``api.model``.

Example:
    >>> from synapse_nb.api import Api
    >>> api = Api.from_env()                                  # doctest: +SKIP
    >>> project = api.project.import_samples(num_images=64)   # doctest: +SKIP
    >>> api.project.export(project.id, "coco", Path("/tmp/shapes-coco"))  # doctest: +SKIP
    PosixPath('/tmp/shapes-coco/annotations.json')
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from synapse_nb.api.client import Api
from synapse_nb.api.progress import progress_bar

# Training entry points live in their own modules and load on first use.
_LAZY = {"TrainApi": "synapse_nb.api.train_api", "Task": "synapse_nb.api.task"}

__all__ = ["Api", "Task", "TrainApi", "progress_bar"]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'synapse_nb.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover
    from synapse_nb.api.task import Task
    from synapse_nb.api.train_api import TrainApi
