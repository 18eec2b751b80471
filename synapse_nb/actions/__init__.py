"""Actions: what a task runs. ``synapse_nb.actions.train`` holds the train action base
classes; :func:`run_local` runs one in this process, reported as a task.

Example:
    >>> from synapse_nb.actions import run_local
    >>> run_local.__name__
    'run_local'
"""

from synapse_nb.actions.local import run_local

__all__ = ["run_local"]
