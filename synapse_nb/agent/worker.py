"""What runs inside a Ray worker for one task: connect to the backend, run the train action.

Example:
    >>> run_task_in_worker.__name__
    'run_task_in_worker'
"""

from __future__ import annotations

__all__ = ["run_task_in_worker"]

from typing import Any


def run_task_in_worker(url: str, token: str, task_id: int, verify: bool | str = True) -> dict[str, Any]:
    """Run task ``task_id`` against the backend at ``url``; returns its result.

    The token arrives as an argument, never through the environment, so it is not copied
    into the environments of the processes (trials) this task starts. It is a task token:
    it acts for this task only and stops working once the task has ended. ``verify`` is
    how the backend's TLS certificate is checked (the agent's CA bundle).
    """
    import synapse_nb  # noqa: F401  (offline settings before anything heavy)
    from synapse_nb.actions.runner import execute_task
    from synapse_nb.api import Api

    api = Api(url, token, verify=verify)
    return execute_task(api, task_id, in_ray_worker=True)
