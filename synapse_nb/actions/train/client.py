"""BackendClient: the ``client`` a running train action and its steps see.

It is the task's :class:`~synapse_nb.api.Api` (every resource: ``client.project``,
``client.model``, ...) plus the calls Synapse SDK plugins make on their backend client:

* ``get_data_collection(id)`` -> the project exported and converted for training, as a dict
  with ``id``, ``name``, ``path`` (dataset.yaml for YOLO, annotations.json for COCO) and the
  split facts;
* ``create_model({'file': path, 'name': ...})`` -> the trained weights registered as a model
  (with the experiment layout), returned as a dict with ``id``;
* ``get_model(id)`` -> a registry model as a dict.

It wraps the context it serves, so a dataset it exports becomes the run's dataset and a
model it registers becomes the run's model, as the automatic pipeline's would.

Example:
    >>> from pathlib import Path
    >>> from synapse_nb.actions.train.context import RuntimeContext, TrainContext
    >>> from synapse_nb.actions.train.run import TrainRun
    >>> ctx = TrainContext(params={}, runtime_ctx=RuntimeContext(None, None, TrainRun(None, None), Path(".")))
    >>> BackendClient(ctx).create_model({"name": "x"})
    Traceback (most recent call last):
    ...
    synapse_nb.errors.InputError: file: expected the path of the trained weights (a file or folder) to register
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synapse_nb.errors import InputError, SynapseNBError
from synapse_nb.steps.export import dataset_id_of

__all__ = ["BackendClient", "dataset_id_of"]


class BackendClient:
    """The task's Api with the Synapse SDK's client calls (see the module docstring)."""

    def __init__(self, context: Any) -> None:
        self._context = context

    @property
    def api(self) -> Any:
        """The underlying :class:`~synapse_nb.api.Api`."""
        api = self._context.runtime_ctx.api
        if api is None:
            raise SynapseNBError("this action runs without a backend: there is no client")
        return api

    def __getattr__(self, name: str) -> Any:
        # Everything else is the Api's (resources, url, token...).
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.api, name)

    def get_data_collection(self, data_collection_id: int) -> dict[str, Any]:
        """Export project ``data_collection_id`` (its split, its classes) and convert it to the
        action's ``target_format`` (YOLO when the action sets none, the form ultralytics
        trains on). Returns the dataset dict: ``id``, ``name``, ``path``, ``format``,
        ``classes``, ``train_size``, ``val_size``, ``raw_path``...
        """
        from synapse_nb.steps.convert import ConvertDatasetStep
        from synapse_nb.steps.export import ExportDatasetStep

        if isinstance(data_collection_id, bool) or not isinstance(data_collection_id, int) or data_collection_id < 1:
            raise InputError("dataset_id", "a project id (a positive integer)", got=data_collection_id)
        ctx = self._context
        action = getattr(ctx, "action", None)
        target = getattr(action, "target_format", None) or "yolo"
        exported = ctx.dataset.get("project_id") == data_collection_id and ctx.dataset.get("raw_path")
        if not exported:
            ExportDatasetStep(project_id=data_collection_id).execute(ctx)
        if ctx.dataset.get("format") != target:
            ConvertDatasetStep(target_format=target).execute(ctx)
        dataset = dict(ctx.dataset)
        dataset.update(id=data_collection_id, name=dataset.get("project_name"), data_collection=data_collection_id,
                       path=str(dataset["path"]), raw_path=str(dataset["raw_path"]))
        return dataset

    def create_model(self, data: dict[str, Any]) -> dict[str, Any]:
        """Register trained weights: ``data['file']`` (a file or folder) plus optional
        ``name``, ``metrics``, ``config``... Returns the model record with ``id``."""
        from synapse_nb.steps.upload import upload_model

        if not isinstance(data, dict):
            raise InputError("data", "a dict with 'file' (the weights path) and optional 'name'", got=type(data).__name__)
        fields = dict(data)
        path = fields.pop("file", None) or fields.pop("path", None)
        if not path:
            raise InputError("file", "the path of the trained weights (a file or folder) to register", got=None)
        record = upload_model(self._context, Path(path), **fields)
        self._context.model = record
        return record

    def get_model(self, model_id: int) -> dict[str, Any]:
        """A registry model as a dict (``id``, ``name``, ``files``, ``metrics``...)."""
        return self.api.model.get(model_id).model_dump(mode="json")

    def __repr__(self) -> str:
        api = self._context.runtime_ctx.api
        return f"BackendClient({getattr(api, 'url', None)!r})"
