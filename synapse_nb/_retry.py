"""The one retry policy for talking to the backend: tenacity, exponential pauses.

The client (a request sent again), :class:`~synapse_nb.actions.train.run.TrainRun` (a batch
of metrics and logs sent again) and the dashboard's poller (the next refresh) all wait the
same way: ``first`` seconds after the first failure, twice as long after each next one, never
longer than ``longest``. Each caller says what is worth another try and how many tries it
has; this module says how long to wait between them.

Example:
    >>> calls = []
    >>> def flaky():
    ...     calls.append(1)
    ...     if len(calls) < 3:
    ...         raise ConnectionError("not yet")
    ...     return "sent"
    >>> backend_retrying(retry=lambda exc: isinstance(exc, ConnectionError), attempts=5, first=0)(flaky)
    'sent'
    >>> len(calls)
    3
    >>> pauses(0.25, 5.0)
    [0.25, 0.5, 1.0, 2.0, 4.0, 5.0]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    stop_never,
    wait_exponential,
)

__all__ = ["FIRST_PAUSE", "LONGEST_PAUSE", "backend_retrying", "pauses"]

FIRST_PAUSE = 0.25
LONGEST_PAUSE = 5.0


def _last_result(state: RetryCallState) -> Any:
    # Out of tries on a retried result (a 5xx reply): hand that result back, the caller
    # turns it into its error; tenacity's RetryError would hide what the backend said.
    assert state.outcome is not None
    return state.outcome.result()


def backend_retrying(
    *,
    retry: Callable[[BaseException], bool],
    retry_result: Callable[[Any], bool] | None = None,
    attempts: int | None = None,
    stop: Callable[[RetryCallState], bool] | None = None,
    first: float = FIRST_PAUSE,
    longest: float = LONGEST_PAUSE,
    sleep: Callable[[float], Any] = time.sleep,
    before_sleep: Callable[[RetryCallState], None] | None = None,
) -> Retrying:
    """A tenacity ``Retrying`` with the project's pauses; call it with the function to try.

    ``retry`` says which exceptions are worth another try (others raise at once);
    ``retry_result`` which results are (out of tries, the last one is returned). The tries
    end after ``attempts`` (None: never), or when ``stop`` says so; the last exception is
    raised as it was. ``sleep`` waits (an ``Event.wait`` wakes early on a stop).
    """
    condition = retry_if_exception(retry)
    if retry_result is not None:
        condition = condition | retry_if_result(retry_result)
    ends = stop_after_attempt(attempts) if attempts is not None else stop_never
    if stop is not None:
        ends = ends | stop
    return Retrying(
        retry=condition,
        stop=ends,
        wait=_wait(first, longest),
        sleep=sleep,
        before_sleep=before_sleep,
        retry_error_callback=_last_result if retry_result is not None else None,
        reraise=True,
    )


def pauses(first: float = FIRST_PAUSE, longest: float = LONGEST_PAUSE, count: int = 6) -> list[float]:
    """The first ``count`` pauses of the policy, in seconds (for messages and tests)."""
    wait = _wait(first, longest)
    state = RetryCallState(None, None, (), {})
    schedule = []
    for number in range(1, count + 1):
        state.attempt_number = number
        schedule.append(float(wait(state)))
    return schedule


def _wait(first: float, longest: float) -> wait_exponential:
    return wait_exponential(multiplier=first, min=first, max=longest)
