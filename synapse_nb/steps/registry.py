"""StepRegistry: the ordered list of steps an action runs.

Example:
    >>> from synapse_nb.steps import StepRegistry, ExportDatasetStep, ConvertDatasetStep
    >>> registry = StepRegistry()
    >>> registry.register(ExportDatasetStep())
    >>> registry.register(ConvertDatasetStep(target_format="yolo"))
    >>> registry.names
    ['export_dataset', 'convert_dataset']
"""

from __future__ import annotations

__all__ = ["StepRegistry"]

from collections.abc import Iterator
from typing import Generic

from synapse_nb.errors import InputError
from synapse_nb.steps.base import BaseStep, C


class StepRegistry(Generic[C]):
    """Ordered, uniquely named steps."""

    def __init__(self) -> None:
        self._steps: list[BaseStep[C]] = []

    def register(self, step: BaseStep[C]) -> None:
        """Append a step. Its name must be unique in the registry."""
        self._check_new(step)
        self._steps.append(step)

    def insert_before(self, name: str, step: BaseStep[C]) -> None:
        """Insert ``step`` before the step called ``name``."""
        self._check_new(step)
        self._steps.insert(self._index(name), step)

    def insert_after(self, name: str, step: BaseStep[C]) -> None:
        """Insert ``step`` after the step called ``name``."""
        self._check_new(step)
        self._steps.insert(self._index(name) + 1, step)

    def remove(self, name: str) -> BaseStep[C]:
        """Remove and return the step called ``name``."""
        return self._steps.pop(self._index(name))

    def get(self, name: str) -> BaseStep[C] | None:
        """The step called ``name``, or None."""
        return next((s for s in self._steps if s.name == name), None)

    @property
    def names(self) -> list[str]:
        """Step names in order."""
        return [s.name for s in self._steps]

    @property
    def steps(self) -> list[BaseStep[C]]:
        """The steps in order (a copy)."""
        return list(self._steps)

    def total_weight(self) -> float:
        """Sum of the progress weights of the registered steps."""
        return sum(max(0.0, float(s.progress_weight)) for s in self._steps)

    def __len__(self) -> int:
        return len(self._steps)

    def __iter__(self) -> Iterator[BaseStep[C]]:
        return iter(list(self._steps))

    def _index(self, name: str) -> int:
        for i, step in enumerate(self._steps):
            if step.name == name:
                return i
        raise InputError("step", f"one of {self.names}", got=name)

    def _check_new(self, step: BaseStep[C]) -> None:
        if not isinstance(step, BaseStep):
            raise InputError("step", "a BaseStep instance", got=type(step).__name__)
        if not step.name:
            raise InputError("step.name", "a non-empty step name", got=step.name, hint=type(step).__name__)
        if float(step.progress_weight) < 0:
            raise InputError(f"{step.name}.progress_weight", "a weight >= 0", got=step.progress_weight)
        if step.name in self.names:
            raise InputError("step.name", "a name not registered yet", got=step.name)
