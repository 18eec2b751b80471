"""BaseTrainAction: write ``target_format`` and ``execute(data_path, checkpoint)``; the
engine exports and converts the dataset, resolves the checkpoint, trains, benchmarks,
exports and uploads, reporting everything to the backend.

Two modes, as in the Synapse SDK: override ``execute`` (the engine wires the steps around
it), or override ``setup_steps(registry)`` to run your own pipeline.

Example:
    >>> from pathlib import Path
    >>> class Params(BaseTrainParams):
    ...     epochs: int = 1
    >>> class Action(BaseTrainAction[Params]):
    ...     target_format = "yolo"
    ...     def execute(self, data_path: Path, checkpoint: dict | None) -> dict:
    ...         return {"weights_path": "runs/weights"}
    >>> Action.params_model is Params
    True
"""

from __future__ import annotations

__all__ = ["BaseTrainAction", "TARGET_FORMATS"]

import inspect
import typing
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from synapse_nb.actions.train.context import RuntimeContext, TrainContext
from synapse_nb.actions.train.params import BaseTrainParams
from synapse_nb.actions.train.progress import TrainProgressCategories
from synapse_nb.errors import InputError, SynapseNBError
from synapse_nb.steps.orchestrator import pipeline_progress, run_steps
from synapse_nb.steps.registry import StepRegistry

P = TypeVar("P", bound=BaseModel)

TARGET_FORMATS = (None, "yolo", "coco")


class BaseTrainAction(Generic[P]):
    """Base class of train actions (plugins). See the module docstring for the two modes."""

    action_name: ClassVar[str] = "train"
    category: ClassVar[str] = "neural_net"
    # 'yolo' -> data_path is dataset.yaml; 'coco' -> annotations.json; None -> the raw folder.
    target_format: ClassVar[str | None] = None
    params_model: ClassVar[type[BaseModel]] = BaseTrainParams
    # When set, execute()'s return value is validated into it and kept as the task result.
    result_model: ClassVar[type[BaseModel] | None] = None
    # What the model learns; polygon/bitmap classes are converted to fit it.
    task_type: ClassVar[str] = "object detection"
    framework_name: ClassVar[str | None] = None
    progress = TrainProgressCategories()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.target_format not in TARGET_FORMATS:
            raise InputError(f"{cls.__name__}.target_format", f"one of {TARGET_FORMATS}", got=cls.target_format)
        # BaseTrainAction[MyParams] -> params_model = MyParams, unless set explicitly.
        if "params_model" not in cls.__dict__:
            for base in getattr(cls, "__orig_bases__", ()):
                args = typing.get_args(base)
                if args and isinstance(args[0], type) and issubclass(args[0], BaseModel):
                    cls.params_model = args[0]
                    break

    def __init__(self, params: P | dict[str, Any], runtime: RuntimeContext) -> None:
        if isinstance(params, BaseModel):
            params = params.model_dump()
        self.params: P = self.params_model.model_validate(params)  # type: ignore[assignment]
        self.runtime = runtime
        self.context: TrainContext = self.create_context()
        self.context.action = self
        self._autolog_cleanups: list[Any] = []
        self._automatic_pipeline = False

    # -- what a plugin overrides -------------------------------------------------------------

    def execute(self, data_path: Path, checkpoint: dict[str, Any] | None) -> Any:
        """Train. ``data_path`` is dataset.yaml / annotations.json / the raw folder (per
        ``target_format``), ``checkpoint`` a dict with path, category, id, name (or None).
        Return a dict or a ``result_model`` instance; ``weights_path`` (a file or folder) is
        uploaded as the model unless you called :meth:`create_model` yourself."""
        raise NotImplementedError(f"{type(self).__name__} must implement execute(data_path, checkpoint)")

    def setup_steps(self, registry: StepRegistry[TrainContext]) -> None:
        """Register custom steps. Registering any replaces the automatic pipeline."""
        return None

    def create_context(self) -> TrainContext:
        """Build the TrainContext the steps share (override to add state)."""
        return TrainContext(params=self.params.model_dump(), runtime_ctx=self.runtime)

    # Optional capabilities the built-in pipeline uses; a framework action overrides them.
    def benchmark(self, context: TrainContext, speedtest: bool) -> dict[str, Any]:
        """Evaluate the trained model on the val split; return the report as a dict."""
        raise NotImplementedError

    def export_model(self, context: TrainContext, formats: list[str]) -> dict[str, Path]:
        """Export the trained model; return {format: file}."""
        raise NotImplementedError

    @classmethod
    def supports(cls, capability: str) -> bool:
        """Whether this action implements ``benchmark`` or ``export_model``."""
        method = getattr(cls, capability, None)
        return method is not None and getattr(method, "__qualname__", "").split(".")[0] != "BaseTrainAction"

    # -- helpers for execute() ------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The backend client."""
        return self.context.client

    @property
    def run_logger(self) -> Any:
        """The task's TrainRun (log_metric, log, log_visualization, ...)."""
        return self.runtime.run

    def set_progress(self, current: float, total: float, category: str | None = None) -> None:
        """Report progress of a category (default: the running step's category).

        Progress of the running step's category also moves the overall progress.
        """
        progress = self.context.progress
        if category is None or (progress is not None and progress.current_category == category):
            self.context.set_progress(current, total)
        else:
            self.runtime.run.set_progress(current, total, category)

    def get_dataset(self) -> dict[str, Any]:
        """The run's dataset, ready to train on: ``id``, ``name``, ``path`` (dataset.yaml for
        ``target_format`` 'yolo' or None, annotations.json for 'coco'), ``classes``, sizes.

        Reads ``params.dataset_id`` (or ``params.dataset``) and fetches it through
        ``client.get_data_collection``, as the Synapse SDK does; override it for another
        source. With ``data_path`` in params, that dataset is returned as it is.
        """
        from synapse_nb.steps.export import dataset_id_of

        params = self.params.model_dump()
        dataset_id = dataset_id_of(params)
        if dataset_id is None:
            if params.get("data_path"):
                return {**self.context.dataset, "id": None, "name": Path(params["data_path"]).name,
                        "path": params["data_path"]}
            raise InputError("dataset_id", "a project id in params (dataset_id or dataset) to fetch the dataset of",
                             got=None)
        return self.client.get_data_collection(dataset_id)

    def get_checkpoint(self) -> dict[str, Any] | None:
        """The resolved checkpoint: {path, category ('base'|'trained'), id, name} or None."""
        if self.context.checkpoint is None:
            from synapse_nb.actions.train.checkpoint import resolve_checkpoint

            self.context.checkpoint = resolve_checkpoint(self.context)
        return self.context.checkpoint

    def create_model(self, path: str | Path, **kwargs: Any) -> dict[str, Any]:
        """Upload trained weights (a file or folder) to the model registry; returns the
        record as a dict with ``id``. ``name=``, ``metrics=``, ``config=`` are optional.

        Example (in ``execute``): ``model = self.create_model('./model', name='my-model')``.
        """
        return self.client.create_model({"file": str(path), **kwargs})

    def get_model(self, model_id: int) -> dict[str, Any]:
        """A model record of the registry, as a dict."""
        return self.client.get_model(model_id)

    def autolog(self, framework: str, model: Any = None) -> None:
        """Log a framework's per-epoch metrics and progress automatically.

        ``autolog('ultralytics', model)`` attaches callbacks to that model instance; without a
        model, to every ultralytics model created afterwards during this run (through
        ultralytics' callback registry; nothing is patched), removed when the run ends.
        """
        from synapse_nb.actions.train.autolog import enable_autolog

        self._autolog_cleanups.append(enable_autolog(framework, self, model))

    # -- running -------------------------------------------------------------------------------

    def build_registry(self) -> StepRegistry[TrainContext]:
        """The steps to run: the plugin's own, or the automatic pipeline."""
        registry: StepRegistry[TrainContext] = StepRegistry()
        self.setup_steps(registry)
        self._automatic_pipeline = len(registry) == 0
        if self._automatic_pipeline:
            from synapse_nb.actions.train.pipeline import default_registry

            registry = default_registry(self)
        return registry

    def run(self) -> Any:
        """Run the pipeline; return the typed result (``result_model``) or execute()'s value.

        The automatic pipeline records its finished steps in the working folder; a retry
        there reuses them (see :mod:`~synapse_nb.actions.train.step_manifest`).
        """
        from synapse_nb.actions.train.step_manifest import reuse_finished_steps, steps_recorder

        registry = self.build_registry()
        run = self.runtime.run
        tracked = self._tracks_steps()
        if tracked and self.runtime.retry_of is not None:
            registry = reuse_finished_steps(registry, self.context, self.params.model_dump(), run.log)

        def report(category: str, current: float, total: float, overall: float) -> None:
            run.set_progress(current, total, category, overall=overall)

        self.context.progress = pipeline_progress(registry, report)
        record = steps_recorder(self.context, self.params.model_dump()) if tracked else None

        def on_step(step: Any, event: str) -> None:
            if record is not None:
                record(step, event)
            event = "reused from the earlier attempt" if getattr(step, "reused", False) else event
            run.log(f"step {step.name}: {event}", level="ERROR" if event == "failed" else "INFO")

        from synapse_nb.actions.train.autolog import track_best_weights

        self._autolog_cleanups.insert(0, track_best_weights())
        try:
            run_steps(registry, self.context, self.context.progress, on_step)
        finally:
            for cleanup in reversed(self._autolog_cleanups):
                cleanup()
            self._autolog_cleanups.clear()
        if tracked:
            from synapse_nb.actions.train.step_manifest import StepManifest

            StepManifest.remove(self.context.work_dir)
        return self.context.result

    def _tracks_steps(self) -> bool:
        """Whether finished steps are recorded for a retry: the automatic pipeline of a
        training run (a plugin's own steps may keep state the manifest can't see; tuning
        resumes through Ray Tune)."""
        return self._automatic_pipeline and self.runtime.trial_id is None and self.runtime.tune_reporter is None

    def coerce_result(self, value: Any) -> Any:
        """Validate execute()'s return value into ``result_model`` when one is declared."""
        if self.result_model is None or value is None or isinstance(value, self.result_model):
            return value
        if isinstance(value, BaseModel):
            value = value.model_dump()
        return self.result_model.model_validate(value)

    @classmethod
    def canonical_metric(cls, name: str) -> str:
        """Our name of a metric the plugin's framework names its own way (``framework_name``'s
        :meth:`~synapse_nb.frameworks.Framework.canonical_metric`); other names as given."""
        if not cls.framework_name:
            return name
        from synapse_nb.frameworks import get_framework

        try:
            framework = get_framework(cls.framework_name)
        except SynapseNBError:  # not registered here, or failed to load: names stay as given
            return name
        return framework.canonical_metric(name)

    @classmethod
    def setup_steps_overridden(cls) -> bool:
        """Whether the plugin builds its own pipeline (then the automatic one's checks don't apply)."""
        return cls.setup_steps is not BaseTrainAction.setup_steps

    @classmethod
    def execute_takes_data(cls) -> bool:
        """Whether execute() has the (data_path, checkpoint) signature or the bare one."""
        params = list(inspect.signature(cls.execute).parameters)
        return len(params) >= 3
