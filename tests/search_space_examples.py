"""The documented example of every search-space type, shared by the search-space and
tune-config tests."""

from __future__ import annotations

from typing import Any

from synapse_nb.search_space import SearchSpace

# The example of every type from the Synapse tuning docs.
EXAMPLES: dict[str, dict[str, Any]] = {
    "uniform": {"name": "lr", "type": "uniform", "min": 0.0001, "max": 0.01},
    "quniform": {"name": "lr", "type": "quniform", "min": 0.0001, "max": 0.01},
    "loguniform": {"name": "lr", "type": "loguniform", "min": 0.0001, "max": 0.01, "base": 10},
    "qloguniform": {"name": "lr", "type": "qloguniform", "min": 0.0001, "max": 0.01, "base": 10},
    "randn": {"name": "noise", "type": "randn", "mean": 0.0, "sd": 1.0},
    "qrandn": {"name": "noise", "type": "qrandn", "mean": 0.0, "sd": 1.0},
    "randint": {"name": "epochs", "type": "randint", "min": 5, "max": 15},
    "qrandint": {"name": "epochs", "type": "qrandint", "min": 5, "max": 15},
    "lograndint": {"name": "units", "type": "lograndint", "min": 16, "max": 256, "base": 2},
    "qlograndint": {"name": "units", "type": "qlograndint", "min": 16, "max": 256, "base": 2},
    "choice": {"name": "optimizer", "type": "choice", "options": ["adam", "sgd"]},
    "grid_search": {"name": "batch_size", "type": "grid_search", "options": [16, 32, 64]},
}
INT_TYPES = ("randint", "qrandint", "lograndint", "qlograndint")


def space_of(*entries: dict[str, Any]) -> SearchSpace:
    return SearchSpace.model_validate(list(entries))
