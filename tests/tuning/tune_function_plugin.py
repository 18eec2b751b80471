"""A Synapse-style tuning function: ``tune(hyperparameter, run, dataset, checkpoint, **kwargs)``
(note the argument order, unlike ``train(run, dataset, hyperparameter, checkpoint)``).

It returns a bare number, which the trial stores under the tune metric.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tune_plugins import score_of, secret_in_environment


def tune(hyperparameter: dict[str, Any], run: Any, dataset: dict[str, Any], checkpoint: Any, **kwargs: Any) -> float:
    """Score the trial's hyperparameters; write a weights file where the trial says."""
    leaks = secret_in_environment(run.api.token)
    if leaks:
        raise AssertionError(f"the backend token is in this trial's environment: {leaks}")
    epochs = int(hyperparameter.get("epochs", 1))
    x = float(hyperparameter["x"])
    score = 0.0
    for epoch in range(epochs):
        score = score_of(x, hyperparameter.get("y", 0.0), epoch, epochs)
        run.log_metric("val", "score", score, epoch=epoch)
    # Ray Tune runs each trial in its own folder.
    output = Path.cwd() / "tune-output"
    output.mkdir(parents=True, exist_ok=True)
    (output / "weights.json").write_text(json.dumps({"x": x, "pid": os.getpid()}))
    run.checkpoint_output = str(output)
    return score
