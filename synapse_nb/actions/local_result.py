"""What :func:`~synapse_nb.actions.run_local` returns: the plugin's result, which also tells
the run's task and registered model.

* a dict (or nothing) from ``execute`` -> a :class:`LocalResult`, a ``dict`` equal to it;
* a ``result_model`` instance -> an instance of that model (``isinstance`` holds, the fields
  and ``model_dump()`` are the plugin's), with the same three facts.

Either way ``result.model_id`` is the registered model's id (None when none was), and
``result.task_id`` / ``result.task`` the task the run was reported as.

Example:
    >>> result = LocalResult({"weights_path": "w"}, model_id=3, task_id=7)
    >>> result == {"weights_path": "w"}, result.model_id, result.task_id
    (True, 3, 7)
"""

from __future__ import annotations

__all__ = ["LocalResult", "local_result"]

from typing import Any

from pydantic import BaseModel, PrivateAttr


class LocalResult(dict):  # type: ignore[type-arg]
    """execute()'s dict (empty when it returned nothing) with ``model_id``, ``task_id``, ``task``."""

    def __init__(self, value: dict[str, Any] | None, *, model_id: int | None, task_id: int | None,
                 task: Any = None) -> None:
        super().__init__(value or {})
        self.model_id = model_id
        self.task_id = task_id
        self.task = task

    def __repr__(self) -> str:
        return f"LocalResult({dict.__repr__(self)}, model_id={self.model_id}, task_id={self.task_id})"


class _RunFacts(BaseModel):
    """Mixed into a copy of a plugin's result model (private attributes: never dumped)."""

    _run_model_id: int | None = PrivateAttr(default=None)
    _run_task_id: int | None = PrivateAttr(default=None)
    _run_task: Any = PrivateAttr(default=None)


def _typed(value: BaseModel, model_id: int | None, task_id: int | None, task: Any) -> BaseModel:
    cls = type(value)
    namespace: dict[str, Any] = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
    # A result model may have its own field of that name: then that field answers.
    for name, attr in (("model_id", "_run_model_id"), ("task_id", "_run_task_id"), ("task", "_run_task")):
        if name not in cls.model_fields:
            namespace[name] = property(lambda self, attr=attr: getattr(self, attr))
    typed_cls = type(cls.__name__, (cls, _RunFacts), namespace)
    typed = typed_cls.model_validate(value.model_dump())
    typed._run_model_id, typed._run_task_id, typed._run_task = model_id, task_id, task
    return typed


def local_result(value: Any, model_id: int | None, task_id: int | None, task: Any = None) -> Any:
    """The run_local result for execute()'s (validated) ``value``; other kinds of value
    (a string, a number) are returned as they are."""
    if isinstance(value, BaseModel):
        return _typed(value, model_id, task_id, task)
    if value is None or isinstance(value, dict):
        return LocalResult(value, model_id=model_id, task_id=task_id, task=task)
    return value
