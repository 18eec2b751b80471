"""Pydantic models shared by the backend, the client, the agent and the train action.

One definition per boundary: the server validates requests with these models and the
client returns them, so the two sides can never drift apart.
"""

from synapse_nb.schemas.agent import Agent, AgentCreate, AgentHeartbeat, AgentStatus
from synapse_nb.schemas.common import Page
from synapse_nb.schemas.experiment import ExperimentInfo
from synapse_nb.schemas.model import ModelCategory, ModelCreate, ModelFile, ModelRecord
from synapse_nb.schemas.project import (
    Bitmap,
    ClassMeta,
    ClassShape,
    Collection,
    CollectionCreate,
    CollectionSummary,
    Dataset,
    DatasetCreate,
    Geometry,
    Item,
    ItemCreate,
    LabelObject,
    Polygon,
    Project,
    ProjectCreate,
    Rectangle,
    TagMeta,
)
from synapse_nb.schemas.task import (
    LogLine,
    MetricPoint,
    ProgressState,
    TaskCreate,
    TaskError,
    TaskRecord,
    TaskStatus,
    TrialTable,
    Visualization,
)

__all__ = [
    "Agent",
    "AgentCreate",
    "AgentHeartbeat",
    "AgentStatus",
    "Bitmap",
    "ClassMeta",
    "ClassShape",
    "Collection",
    "CollectionCreate",
    "CollectionSummary",
    "Dataset",
    "DatasetCreate",
    "ExperimentInfo",
    "Geometry",
    "Item",
    "ItemCreate",
    "LabelObject",
    "LogLine",
    "MetricPoint",
    "ModelCategory",
    "ModelCreate",
    "ModelFile",
    "ModelRecord",
    "Page",
    "Polygon",
    "ProgressState",
    "Project",
    "ProjectCreate",
    "Rectangle",
    "TagMeta",
    "TaskCreate",
    "TaskError",
    "TaskRecord",
    "TaskStatus",
    "TrialTable",
    "Visualization",
]
