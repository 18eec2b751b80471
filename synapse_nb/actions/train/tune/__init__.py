"""Tuning mode of train actions (Ray Tune): see :func:`run_tune`.

Example:
    >>> from synapse_nb.actions.train.tune import run_tune
    >>> run_tune.__name__
    'run_tune'
"""

from synapse_nb.actions.train.tune.driver import run_tune

__all__ = ["run_tune"]
