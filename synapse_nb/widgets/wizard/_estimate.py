"""How long a run will take: images x epochs (x trials) x a per-image time measured on the
agent by its earlier runs, when it has any.

Example:
    >>> estimate_text(train_items=100, epochs=10, trials=1, seconds_per_image=0.05)
    '100 train images × 10 epochs = 1,000 image passes; about 50 s at 0.05 s per image (measured on this agent)'
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

from synapse_nb._yaml import parse_hyperparameters


def _epochs(hyperparameters: str | None, default_epochs: int | None) -> int | None:
    try:
        value = parse_hyperparameters(hyperparameters).get("epochs", default_epochs)
    except ValueError:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def seconds_per_image(records: Iterable[Any], default_epochs: int | None = None) -> float | None:
    """The median training time per image and epoch of the finished training tasks in
    ``records`` (from their experiment's training duration, train size and epochs); None
    when none of them says.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> done = NS(status="finished", result={"experiment": {"training_duration": 40.0, "train_size": 10,
        ...                                                     "hyperparameters": "epochs: 2"}})
        >>> seconds_per_image([done])
        2.0
        >>> seconds_per_image([NS(status="failed", result=None)]) is None
        True
    """
    found = []
    for record in records:
        experiment = (record.result or {}).get("experiment") if record.status == "finished" else None
        if not isinstance(experiment, dict):
            continue
        duration, size = experiment.get("training_duration"), experiment.get("train_size")
        epochs = _epochs(experiment.get("hyperparameters"), default_epochs)
        if isinstance(duration, (int, float)) and duration > 0 and isinstance(size, int) and size > 0 and epochs:
            found.append(duration / (size * epochs))
    return statistics.median(found) if found else None


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def estimate_text(train_items: int, epochs: int | None, trials: int, seconds_per_image: float | None) -> str:
    """One line estimating the run: the image passes it makes and, with a measured
    per-image time, how long that takes.

    Example:
        >>> estimate_text(train_items=16, epochs=2, trials=4, seconds_per_image=None)
        '16 train images × 2 epochs × 4 trials = 128 image passes; no run on this agent has finished yet to time them'
    """
    if epochs is None:
        return f"{train_items:,} train images; the epochs are not known until the hyperparameters are valid"
    passes = train_items * epochs * trials
    head = f"{train_items:,} train images × {epochs:,} epochs" + (f" × {trials:,} trials" if trials > 1 else "")
    head += f" = {passes:,} image passes"
    if seconds_per_image is None:
        return head + "; no run on this agent has finished yet to time them"
    return (f"{head}; about {_duration(passes * seconds_per_image)} at {seconds_per_image:.2g} s per image "
            f"(measured on this agent)")
