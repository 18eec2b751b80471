"""Steps: the stages of an action's pipeline, each with a progress weight.

A step does one job (export the dataset, convert it, train, benchmark, export the model,
upload), reports its own progress as a fraction, and may undo what it did when a later
step fails (``rollback``).

Example:
    >>> class Hello(BaseStep[dict]):
    ...     name = "hello"
    ...     progress_weight = 0.1
    ...     def execute(self, context: dict) -> StepResult:
    ...         context["greeting"] = "hi"
    ...         return StepResult(data={"said": "hi"})
    >>> ctx = {}
    >>> Hello().execute(ctx).success, ctx["greeting"]
    (True, 'hi')
"""

from __future__ import annotations

__all__ = ["BaseStep", "StepResult"]

from abc import ABC, abstractmethod
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

C = TypeVar("C")


class StepResult(BaseModel):
    """What a step returns. ``success=False`` stops the pipeline with ``error`` as the reason."""

    success: bool = True
    skipped: bool = False
    error: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class BaseStep(ABC, Generic[C]):
    """One stage of a pipeline over a context of type ``C``.

    Subclasses set ``name`` and ``progress_weight`` (class attributes or properties, as in
    the Synapse SDK) and implement :meth:`execute`. ``progress_category`` says which
    progress bar the step drives (``dataset``, ``train``, ...; default: its name).
    """

    name: str = ""
    progress_weight: float = 0.0
    progress_category: str | None = None

    @abstractmethod
    def execute(self, context: C) -> StepResult:
        """Do the step's work, reading and updating ``context``."""

    def can_skip(self, context: C) -> bool:
        """Whether this step has nothing to do for ``context`` (then it is reported as skipped)."""
        return False

    def rollback(self, context: C, result: StepResult | None) -> None:
        """Undo what :meth:`execute` did, after a later step failed. Default: nothing."""
        return None

    @property
    def category(self) -> str:
        """The progress category this step reports under."""
        return self.progress_category or self.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, weight={self.progress_weight})"
