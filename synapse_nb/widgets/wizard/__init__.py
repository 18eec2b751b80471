"""The training wizard: eight step cards (one module each) and the wizard shell.

Example:
    >>> from synapse_nb.widgets.wizard import TrainWizard   # doctest: +SKIP
    >>> TrainWizard(api)                                    # doctest: +SKIP
"""

from __future__ import annotations

from synapse_nb.widgets.wizard._card import StepCard
from synapse_nb.widgets.wizard.wizard import STEP_TYPES, TrainWizard

__all__ = ["STEP_TYPES", "StepCard", "TrainWizard"]
