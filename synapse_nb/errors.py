"""The exception families of synapse_nb.

Each failure family has one type, raised with the field or step that failed and what to
do about it. All derive from :class:`SynapseNBError`.

Example:
    >>> from synapse_nb.errors import InputError
    >>> err = InputError("classes", "at least one class of the project", got=["dog"])
    >>> str(err)
    "classes: expected at least one class of the project, got ['dog']"
"""

from __future__ import annotations

__all__ = [
    "BackendError", "InputError", "MissingDependency", "NotFoundError", "SearchStopped", "StepFailed",
    "SynapseNBError", "TaskFailed", "TaskStopped",
]

from typing import Any


def _rebuild(cls: type[SynapseNBError], args: tuple[Any, ...], state: dict[str, Any]) -> SynapseNBError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class SynapseNBError(Exception):
    """Base of every error this package raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its message and fields, not by calling __init__ again with the message
        # alone: Ray pickles a trial's or a task's error to hand it to another process.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class InputError(SynapseNBError, ValueError):
    """Bad input, found before any work starts. ``field`` names what was wrong.

    Also a ``ValueError`` so callers that catch the standard type still work.
    """

    def __init__(self, field: str, expected: str, got: Any = None, hint: str | None = None) -> None:
        self.field = field
        self.expected = expected
        self.got = got
        self.hint = hint
        message = f"{field}: expected {expected}"
        if got is not None:
            message += f", got {got!r}"
        if hint:
            message += f". {hint}"
        super().__init__(message)


class BackendError(SynapseNBError):
    """The backend refused a request or could not be reached.

    ``status`` is the HTTP status (0 when the backend could not be reached) and
    ``detail`` the backend's own message, which names the field for a 4xx.
    """

    def __init__(self, status: int, detail: Any, method: str = "", path: str = "") -> None:
        self.status = status
        self.detail = detail
        self.method = method
        self.path = path
        where = f"{method} {path}: " if method else ""
        super().__init__(f"{where}{status} {detail}")

    @property
    def transient(self) -> bool:
        """Worth another try: the backend was unreachable (0), in trouble (5xx) or asked to
        slow down (429).

        Example:
            >>> BackendError(503, "busy").transient, BackendError(422, "bad field").transient
            (True, False)
        """
        return self.status == 0 or self.status >= 500 or self.status == 429


class NotFoundError(BackendError):
    """The backend has no record with that id."""


class StepFailed(SynapseNBError):
    """A step of a train action failed; ``step`` names it."""

    def __init__(self, step: str, message: str) -> None:
        self.step = step
        self.message = message
        super().__init__(f"step '{step}' failed: {message}")


class TaskFailed(SynapseNBError):
    """A task ended as failed; raised by ``task.wait()`` with the step and reason."""

    def __init__(self, task_id: int, step: str | None, message: str) -> None:
        self.task_id = task_id
        self.step = step
        self.message = message
        where = f" in step '{step}'" if step else ""
        super().__init__(f"task {task_id} failed{where}: {message}")


class TaskStopped(SynapseNBError):
    """A task was stopped before it finished; raised by ``task.wait()``."""


class MissingDependency(SynapseNBError, ImportError):
    """An optional library is needed for what was asked; the message names the package."""

    def __init__(self, feature: str, package: str) -> None:
        self.feature = feature
        self.package = package
        super().__init__(f"{feature} needs the package '{package}': pip install {package}")


class SearchStopped(StepFailed):
    """A search ended early because it could not succeed (its trials kept failing, or none
    could be scheduled); ``code`` classifies why and ``remedy`` says what to do."""

    def __init__(self, code: str, why: str, remedy: str, last_error: str | None = None) -> None:
        self.code = code
        self.why = why
        self.remedy = remedy
        self.last_error = last_error
        detail = f"; last error: {last_error}" if last_error else ""
        super().__init__("train", f"search stopped [{code}]: {why}{detail} ({remedy})")
