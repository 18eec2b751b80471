"""The framework registry: discovery through entry points, lookup, model resolution.

A registry is an ordinary object. :func:`default_registry` builds the process-wide one
once (the built-in frameworks, then every ``synapse_nb.frameworks`` entry point) and the
module-level helpers in :mod:`synapse_nb.frameworks` delegate to it.

A plugin whose entry point fails to load does not break the others: the failure is
logged, kept in :attr:`FrameworkRegistry.load_errors`, and raised as
:class:`FrameworkLoadError` when someone asks for that framework by name.

Example:
    >>> registry = FrameworkRegistry.discover()
    >>> registry.resolve_model("yolo/YOLO11N-DET").ref
    'YOLO/yolo11n-det'
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
from collections.abc import Callable, Iterable

from synapse_nb.errors import InputError, SynapseNBError
from synapse_nb.frameworks._framework import Framework, close_matches
from synapse_nb.frameworks._model_info import ModelInfo

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "synapse_nb.frameworks"


class FrameworkLoadError(SynapseNBError):
    """A framework plugin is installed but could not be loaded; the message says why."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"framework plugin {name!r} could not be loaded: {reason}")


def _builtin_frameworks() -> list[Framework]:
    # Imported here: the built-in plugin module imports this one for the Framework type.
    from synapse_nb.frameworks.ultralytics_yolo import framework as yolo

    return [yolo]


def _load_entry_point(entry_point: importlib.metadata.EntryPoint) -> Framework:
    """Load one entry point: a Framework, or a callable that returns one."""
    target = entry_point.load()
    if not isinstance(target, Framework) and callable(target):
        target = target()
    if not isinstance(target, Framework):
        raise TypeError(f"{entry_point.value} is a {type(target).__name__}, not a Framework")
    return target


class FrameworkRegistry:
    """Frameworks by name (case-insensitive), in registration order."""

    def __init__(self, frameworks: Iterable[Framework] = ()) -> None:
        self._frameworks: dict[str, Framework] = {}
        self.load_errors: dict[str, str] = {}
        for framework in frameworks:
            self.register(framework)

    @classmethod
    def discover(
        cls,
        group: str = ENTRY_POINT_GROUP,
        builtins: Callable[[], list[Framework]] = _builtin_frameworks,
    ) -> FrameworkRegistry:
        """The built-in frameworks plus every plugin installed under the entry-point ``group``.

        Example:
            >>> "YOLO" in FrameworkRegistry.discover().names()
            True
        """
        registry = cls(builtins())
        for entry_point in importlib.metadata.entry_points(group=group):
            registry.add_entry_point(entry_point)
        return registry

    def add_entry_point(self, entry_point: importlib.metadata.EntryPoint) -> Framework | None:
        """Load and register one entry point; a failure is logged and kept in ``load_errors``."""
        try:
            framework = _load_entry_point(entry_point)
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the others; kept and re-raised on use
            reason = f"{type(exc).__name__}: {exc}"
            self.load_errors[entry_point.name.lower()] = reason
            logger.warning("framework plugin %r (%s) could not be loaded: %s", entry_point.name, entry_point.value, reason)
            return None
        existing = self._frameworks.get(framework.name.lower())
        if existing is framework:
            return framework  # the built-in is also declared as an entry point of this package
        if existing is not None:
            reason = f"{entry_point.value} declares framework {framework.name!r}, which is already registered"
            self.load_errors[entry_point.name.lower()] = reason
            logger.warning("framework plugin %r ignored: %s", entry_point.name, reason)
            return None
        return self.register(framework)

    def register(self, framework: Framework, *, replace: bool = False) -> Framework:
        """Add a framework; a second one with the same name is an error unless ``replace``.

        Example:
            >>> from synapse_nb.frameworks.ultralytics_yolo import framework as yolo
            >>> FrameworkRegistry().register(yolo).name
            'YOLO'
        """
        if not isinstance(framework, Framework):
            raise InputError("framework", "a synapse_nb.frameworks.Framework", got=type(framework).__name__)
        key = framework.name.lower()
        if key in self._frameworks and not replace and self._frameworks[key] is not framework:
            raise InputError(
                "framework",
                "a name not registered yet",
                got=framework.name,
                hint="pass replace=True to replace the registered framework",
            )
        self._frameworks[key] = framework
        self.load_errors.pop(key, None)
        return framework

    def names(self) -> list[str]:
        """Registered framework names, in registration order."""
        return [framework.name for framework in self._frameworks.values()]

    def list(self) -> list[Framework]:
        """Registered frameworks, in registration order."""
        return list(self._frameworks.values())

    def get(self, name: str) -> Framework:
        """The framework called ``name`` (case-insensitive).

        Example:
            >>> FrameworkRegistry.discover().get("yolo").name
            'YOLO'
        """
        key = name.strip().lower()
        if key in self._frameworks:
            return self._frameworks[key]
        if key in self.load_errors:
            raise FrameworkLoadError(name, self.load_errors[key])
        guesses = close_matches(name.strip(), self.names())
        hint = f"Did you mean {' or '.join(guesses)}? " if guesses else ""
        raise InputError("framework", "a registered framework", got=name, hint=f"{hint}Registered: {', '.join(self.names())}")

    def list_models(self, task_type: str | None = None) -> list[ModelInfo]:
        """Every model of every framework, optionally only those of one task type, each with
        its ``weights_status`` as of now (pretrained weights here, pullable, or from scratch).

        Example:
            >>> models = FrameworkRegistry.discover().list_models("instance segmentation")
            >>> all(m.task_type == "instance segmentation" for m in models)
            True
        """
        known = {t for framework in self._frameworks.values() for t in framework.task_types}
        if task_type is not None and task_type not in known:
            raise InputError("task_type", f"one of {sorted(known)}", got=task_type)
        from synapse_nb.weights import status_of, weights_dir

        folder = weights_dir()
        return [
            model.model_copy(update={"weights_status": status_of(model.weights, folder)})
            for framework in self._frameworks.values()
            for model in framework.models
            if task_type is None or model.task_type == task_type
        ]

    def resolve_model(self, ref: str) -> ModelInfo:
        """The model for ``"Framework/name"`` (both case-insensitive).

        A bare ``"name"`` is accepted when exactly one framework has a model of that name.
        Anything unknown is an :class:`InputError` on ``model`` listing the available
        models and the closest matches; it never falls back to a default model.

        Example:
            >>> FrameworkRegistry.discover().resolve_model("YOLO/yolo11n-det").config
            'yolo11n.yaml'
        """
        if not isinstance(ref, str) or not ref.strip():
            raise InputError("model", "'Framework/name', e.g. 'YOLO/yolo11n-det'", got=ref)
        text = ref.strip()
        framework_name, sep, model_name = text.partition("/")
        if sep:
            key = framework_name.strip().lower()
            if key in self.load_errors and key not in self._frameworks:
                raise FrameworkLoadError(framework_name, self.load_errors[key])
            if key not in self._frameworks:
                raise self._unknown_model(text)
            return self._frameworks[key].get_model(model_name)
        matches = [m for m in self.list_models() if m.name.lower() == text.lower()]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InputError(
                "model",
                "'Framework/name' (the name is in several frameworks)",
                got=text,
                hint=f"One of: {', '.join(m.ref for m in matches)}",
            )
        raise self._unknown_model(text)

    def _unknown_model(self, text: str) -> InputError:
        refs = [model.ref for model in self.list_models()]
        names = [model.name for model in self.list_models()]
        by_name = {model.name.lower(): model.ref for model in self.list_models()}
        guesses = close_matches(text, refs)
        if not guesses:
            guesses = [by_name[n.lower()] for n in close_matches(text.rpartition("/")[2], names)]
        hint = f"Did you mean {' or '.join(guesses)}? " if guesses else ""
        return InputError(
            "model",
            "'Framework/name' of a registered model",
            got=text,
            hint=f"{hint}Available: {', '.join(refs)}",
        )


@functools.lru_cache(maxsize=1)
def default_registry() -> FrameworkRegistry:
    """The process-wide registry, discovered once (built-ins, then entry points)."""
    return FrameworkRegistry.discover()
