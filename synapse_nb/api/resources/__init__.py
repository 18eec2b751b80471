"""Resource accessors of :class:`~synapse_nb.api.Api`, one module per resource."""

from synapse_nb.api.resources.agents import AgentResource
from synapse_nb.api.resources.collections import CollectionResource
from synapse_nb.api.resources.datasets import DatasetResource
from synapse_nb.api.resources.items import ItemEntry, ItemResource
from synapse_nb.api.resources.models import ModelResource
from synapse_nb.api.resources.projects import ProjectResource
from synapse_nb.api.resources.tasks import TaskResource

__all__ = [
    "AgentResource",
    "CollectionResource",
    "DatasetResource",
    "ItemEntry",
    "ItemResource",
    "ModelResource",
    "ProjectResource",
    "TaskResource",
]
