"""Which trial is best: compared at an equal budget, so an early-stopped trial cannot win on
an early value that the trials that trained longer have long since moved past (or fallen
below).

Three rules (``tune_config.best_scope``):

* ``"last"``: every trial's last reported value (Ray's own default; fair only when every
  trial runs the same number of epochs);
* ``"all"``: every trial at the same iteration, the last one every trial reached;
* ``"max_budget"``: among the trials that reached the highest budget (iterations) any trial
  reached, the best last value. The default under schedulers that stop trials early.

A trial is a plain record (``trial_id``, ``metrics``, ``iterations`` and, when known,
``history``: iteration -> the metric's value), so the rule is tested without Ray; the
driver builds the records from Ray's results. Among equal values the later record wins (a
search that extends another prefers its own trials only when they do at least as well).

Example:
    >>> trials = [{"trial_id": "full", "iterations": 4, "history": {1: 0.9, 2: 0.7, 3: 0.5, 4: 0.3}},
    ...           {"trial_id": "early", "iterations": 1, "history": {1: 0.6}}]
    >>> choose_best(trials, "score", "max", "last").trial_id
    'early'
    >>> choice = choose_best(trials, "score", "max", "max_budget")
    >>> choice.trial_id, choice.budget, choice.value
    ('full', 4, 0.3)
    >>> choose_best(trials, "score", "max", "all").describe("score")
    'best score at iteration 1 of every trial (rule all)'
"""

from __future__ import annotations

__all__ = ["BEST_SCOPES", "BestChoice", "choose_best", "default_scope", "histories_of", "pareto_front", "select_best"]

import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from synapse_nb.search_space._tune_config import EARLY_STOPPING

BestScope = Literal["last", "all", "max_budget"]
BEST_SCOPES: tuple[str, ...] = ("last", "all", "max_budget")


def default_scope(scheduler: str | None) -> BestScope:
    """``"max_budget"`` under a scheduler that stops trials early, else ``"last"``.

    Example:
        >>> default_scope("asha"), default_scope(None), default_scope("pbt")
        ('max_budget', 'last', 'last')
    """
    return "max_budget" if scheduler in EARLY_STOPPING else "last"


class BestChoice(BaseModel):
    """The best trial, the rule that chose it and the budget it was compared at."""

    model_config = ConfigDict(frozen=True)

    trial_id: str
    scope: BestScope
    # The iteration (epoch count) the trials were compared at; None with "last".
    budget: int | None
    value: float
    candidates: int
    # A multi-objective search: the trials on the Pareto front (the best is one of them).
    pareto: list[str] = []

    def describe(self, metric: str) -> str:
        """One line for the trials table and the task log."""
        if self.pareto:
            return f"best {metric} among the {len(self.pareto)} Pareto-optimal trials (rule last)"
        if self.scope == "max_budget":
            return f"best {metric} among the {self.candidates} trials that ran {self.budget} iterations (rule max_budget)"
        if self.scope == "all":
            return f"best {metric} at iteration {self.budget} of every trial (rule all)"
        return f"best last {metric} of every trial (rule last)"

    def as_result(self, metric: str) -> dict[str, Any]:
        """The part of the task result that says how the best trial was chosen."""
        found = {"scope": self.scope, "budget": self.budget, "metric": metric, "value": self.value,
                 "candidates": self.candidates, "rule": self.describe(metric)}
        if self.pareto:
            found["pareto_front"] = list(self.pareto)
        return found


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value)):
        return float(value)
    return None


def _history(trial: Mapping[str, Any], metric: str) -> dict[int, float]:
    """iteration -> value; a trial without a history counts its last value at its last iteration."""
    history = {int(k): v for k, v in (trial.get("history") or {}).items() if _number(v) is not None}
    if history:
        return {k: float(v) for k, v in history.items()}
    last = _number((trial.get("metrics") or {}).get(metric))
    iterations = trial.get("iterations")
    if last is None:
        return {}
    return {int(iterations) if isinstance(iterations, (int, float)) else 0: last}


def choose_best(trials: Iterable[Mapping[str, Any]], metric: str, mode: str,
                scope: BestScope) -> BestChoice | None:
    """The best of ``trials`` by ``metric`` (``mode`` "max" or "min") under ``scope``; None
    when no trial has a value of the metric."""
    if scope not in BEST_SCOPES:
        raise ValueError(f"best_scope must be one of {BEST_SCOPES}, got {scope!r}")
    sign = 1.0 if mode == "max" else -1.0
    histories = [(str(t["trial_id"]), _history(t, metric)) for t in trials if t.get("status", "TERMINATED") != "ERROR"]
    histories = [(tid, h) for tid, h in histories if h]
    if not histories:
        return None
    budget: int | None
    if scope == "last":
        budget = None
        values = [(tid, h[max(h)]) for tid, h in histories]
    elif scope == "max_budget":
        budget = max(max(h) for _, h in histories)
        values = [(tid, h[budget]) for tid, h in histories if budget in h]
    else:
        # The last iteration every trial reached; a trial that skipped it (reported less
        # often) is compared on its latest value up to it.
        budget = min(max(h) for _, h in histories)
        values = [(tid, h[max(k for k in h if k <= budget)]) for tid, h in histories if min(h) <= budget]
    # reversed + max: among equal values the later trial wins.
    trial_id, value = max(reversed(values), key=lambda item: sign * item[1])
    return BestChoice(trial_id=trial_id, scope=scope, budget=budget, value=value, candidates=len(values))


def histories_of(results: Any, metric: str) -> dict[str, dict[int, float]]:
    """trial id -> {iteration: value of ``metric``} from a Ray ResultGrid (its progress files)."""
    from synapse_nb.actions.train.tune.results import trial_id_of

    found: dict[str, dict[int, float]] = {}
    for result in results:
        frame = getattr(result, "metrics_dataframe", None)
        trial_id = trial_id_of(dict(result.metrics or {}), result.path)
        if frame is None or metric not in frame.columns or "training_iteration" not in frame.columns:
            continue
        points = {int(i): float(v) for i, v in zip(frame["training_iteration"], frame[metric])
                  if _number(v) is not None and _number(i) is not None}
        found[trial_id] = points
    return found


def pareto_front(trials: Iterable[Mapping[str, Any]], metrics: list[str], modes: list[str]) -> list[str]:
    """The ids of the trials no other trial dominates (at least as good on every metric and
    better on one), by their last values; trials missing a metric are left out.

    Example:
        >>> trials = [{"trial_id": "a", "metrics": {"map": 0.5, "ms": 10}},
        ...           {"trial_id": "b", "metrics": {"map": 0.4, "ms": 5}},
        ...           {"trial_id": "c", "metrics": {"map": 0.3, "ms": 8}}]
        >>> pareto_front(trials, ["map", "ms"], ["max", "min"])
        ['a', 'b']
    """
    signs = [1.0 if mode == "max" else -1.0 for mode in modes]
    points: list[tuple[str, list[float]]] = []
    for trial in trials:
        if trial.get("status", "TERMINATED") == "ERROR":
            continue
        values = [_number((trial.get("metrics") or {}).get(m)) for m in metrics]
        if all(v is not None for v in values):
            points.append((str(trial["trial_id"]), [s * float(v) for s, v in zip(signs, values)]))  # type: ignore[arg-type]

    def dominates(a: list[float], b: list[float]) -> bool:
        return all(x >= y for x, y in zip(a, b)) and any(x > y for x, y in zip(a, b))

    return [tid for tid, p in points if not any(dominates(q, p) for other, q in points if other != tid)]


def select_best(results: Any, trials: list[dict[str, Any]], config: Any) -> BestChoice | None:
    """The best of a finished search's ``trials`` (records with ``trial_id``, ``metrics``,
    ``iterations``) under ``config`` (a TuneConfig); ``results`` (Ray's ResultGrid, or None)
    gives each trial's per-iteration values for the equal-budget rules."""
    metric, mode = config.primary_metric, config.primary_mode
    if config.multi_objective:
        front = pareto_front(trials, config.metrics, config.modes)
        choice = choose_best([t for t in trials if t["trial_id"] in front], metric, mode, "last")
        return choice.model_copy(update={"pareto": front}) if choice is not None else None
    histories = histories_of(results, metric) if results is not None else {}
    records = [{**t, "history": histories.get(t["trial_id"]) or t.get("history")} for t in trials]
    return choose_best(records, metric, mode, config.resolved_best_scope)
