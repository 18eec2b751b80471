"""TuneConfig: the Synapse ``tune_config`` (metric, mode, samples, search algorithm, scheduler).

Names are case-insensitive and checked against the tuning registry when the model is
validated; option keys are checked against the Ray class's own signature (only when options
are given, so a plain config never imports Ray). :meth:`TuneConfig.check_space` adds the
checks that need the search space too, all before anything runs.

Example:
    >>> config = TuneConfig(mode="max", metric="mAP50", num_samples=4, scheduler={"name": "ASHA"})
    >>> config.scheduler.name
    'asha'
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from synapse_nb.errors import InputError
from synapse_nb.search_space._space import FIELD as SPACE_FIELD
from synapse_nb.search_space._space import SearchSpace
from synapse_nb.tuning_registry import canonical_name, check_options

BASIC_VARIANT = "basicvariantgenerator"
# Search algorithms that optimise several metrics at once (Ray passes them lists).
MULTI_OBJECTIVE_SEARCHERS = ("optunasearch",)
# Schedulers that stop trials before their last epoch (best.py keeps the same list).
EARLY_STOPPING = ("asha", "hyperband", "medianstopping")
# Parameter types each model-based search algorithm can search (Ray's converters agree).
# Where Ray would drop a quantization (and so break "values are multiples of q"), the type is
# refused rather than searched differently from what was asked.
_SEARCHER_TYPES: dict[str, tuple[str, ...]] = {
    "bayesoptsearch": ("uniform", "loguniform"),
    "optunasearch": ("uniform", "quniform", "loguniform", "randint", "qrandint", "lograndint", "qlograndint",
                     "choice"),
    "hyperoptsearch": ("uniform", "quniform", "loguniform", "qloguniform", "randn", "qrandn", "randint", "qrandint",
                       "lograndint", "qlograndint", "choice"),
}
_WHY_NOT = {
    "bayesoptsearch": "bayesoptsearch accepts only continuous, bounded, unquantized parameters (uniform, "
                      "loguniform); use optunasearch or hyperoptsearch for this space",
    "optunasearch": "optunasearch cannot sample normal distributions or quantize a log scale; use hyperoptsearch, "
                    "or loguniform instead of qloguniform",
    "hyperoptsearch": "",
}


def _reject_misplaced_keys(data: Any, kind: str, allowed: set[str]) -> Any:
    if isinstance(data, str):
        return {"name": data}
    if isinstance(data, dict):
        extra = sorted(str(key) for key in data if key not in allowed)
        if extra:
            raise InputError(f"tune_config.{kind}", f"keys among {sorted(allowed)}", got=extra,
                             hint=f"settings of the {kind.replace('_', ' ')} go under 'options'")
    return data


class SearchAlgConfig(BaseModel):
    """``tune_config.search_alg``: which search algorithm, its first points and its options.

    Example:
        >>> SearchAlgConfig(name="HyperOptSearch", points_to_evaluate=[{"lr0": 0.01}]).name
        'hyperoptsearch'
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    points_to_evaluate: list[dict[str, Any]] | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        return _reject_misplaced_keys(data, "search_alg", {"name", "points_to_evaluate", "options"})

    @field_validator("name", mode="before")
    @classmethod
    def _known_name(cls, value: Any) -> str:
        return canonical_name("search_alg", value)

    @model_validator(mode="after")
    def _known_options(self) -> SearchAlgConfig:
        check_options(self.name, self.options)
        return self


class SchedulerConfig(BaseModel):
    """``tune_config.scheduler``: which trial scheduler and its options.

    Example:
        >>> SchedulerConfig(name="hyperband", options={"max_t": 10}).options
        {'max_t': 10}
    """

    model_config = ConfigDict(extra="forbid")

    name: str
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        return _reject_misplaced_keys(data, "scheduler", {"name", "options"})

    @field_validator("name", mode="before")
    @classmethod
    def _known_name(cls, value: Any) -> str:
        return canonical_name("scheduler", value)

    @model_validator(mode="after")
    def _known_options(self) -> SchedulerConfig:
        check_options(self.name, self.options)
        return self


class TuneConfig(BaseModel):
    """How a tuning run searches: the metric to optimise, its direction, and how many trials.

    ``metric`` and ``mode`` are set once, on Ray's ``TuneConfig`` (never also on the search
    algorithm or scheduler, which Ray refuses). ``max_concurrent_trials`` limits the trials
    running at once for the whole run.

    A multi-objective search gives ``metric`` and ``mode`` as lists of the same length (e.g.
    ``["val/mAP50-95", "model_size_mb"]`` with ``["max", "min"]``); it needs a search algorithm
    that optimises several objectives (``optunasearch``) and no scheduler that stops trials
    early (they rank one metric). The search finds the Pareto front; the task's model is the
    front's best trial by the first metric.

    ``best_scope`` says how trials are compared (see
    :mod:`synapse_nb.actions.train.tune.best`): ``"max_budget"`` by default under ASHA,
    HyperBand and median stopping, whose trials end at different epochs; ``"last"`` otherwise.
    ``max_failed_trials`` and ``max_consecutive_failures`` end a search whose trials keep
    failing; ``idle_timeout`` (seconds) ends one where no trial can be scheduled.

    Example:
        >>> TuneConfig(mode="min", metric="val/box_loss", num_samples=8,
        ...            search_alg={"name": "optunasearch"}).search_alg.options
        {}
    """

    model_config = ConfigDict(extra="forbid")

    mode: Literal["max", "min"] | list[Literal["max", "min"]]
    metric: str | list[str]
    num_samples: int = Field(default=1, ge=1)
    max_concurrent_trials: int | None = Field(default=None, ge=1)
    search_alg: SearchAlgConfig | None = None
    scheduler: SchedulerConfig | None = None
    best_scope: Literal["last", "all", "max_budget"] | None = None
    max_failed_trials: int | None = Field(default=None, ge=1)
    max_consecutive_failures: int | None = Field(default=3, ge=1)
    idle_timeout: float = Field(default=600.0, gt=0)

    @field_validator("mode", mode="before")
    @classmethod
    def _lower_mode(cls, value: Any) -> Any:
        modes = [value] if not isinstance(value, (list, tuple)) else list(value)
        lowered = [v.strip().lower() if isinstance(v, str) else v for v in modes]
        # Checked here so the message names the field once, for a single mode and a list alike.
        if not lowered or any(v not in ("max", "min") for v in lowered):
            raise InputError("tune_config.mode", "'max' or 'min' (a list of them, one per metric, for several "
                             "metrics)", got=value)
        return lowered if isinstance(value, (list, tuple)) else lowered[0]

    @field_validator("metric", mode="after")
    @classmethod
    def _metric_names(cls, value: str | list[str]) -> str | list[str]:
        names = [value] if isinstance(value, str) else list(value)
        if not names or any(not name.strip() for name in names):
            raise InputError("tune_config.metric", "a metric name (or a list of names for several objectives)",
                             got=value)
        if len(set(names)) != len(names):
            raise InputError("tune_config.metric", "distinct metric names", got=value)
        return value

    @model_validator(mode="after")
    def _objectives_fit(self) -> TuneConfig:
        metric_list, mode_list = isinstance(self.metric, list), isinstance(self.mode, list)
        if metric_list != mode_list or (metric_list and len(self.metric) != len(self.mode)):
            raise InputError("tune_config.mode", "one mode per metric: both single values, or two lists of the "
                             "same length", got={"metric": self.metric, "mode": self.mode})
        if not metric_list:
            return self
        if len(self.metric) == 1:
            return self.model_copy(update={"metric": self.metric[0], "mode": self.mode[0]})
        algorithm = self.search_alg.name if self.search_alg else BASIC_VARIANT
        if algorithm not in MULTI_OBJECTIVE_SEARCHERS:
            raise InputError("tune_config.search_alg", f"one of {list(MULTI_OBJECTIVE_SEARCHERS)} for a search "
                             "with several metrics", got=algorithm,
                             hint="only these search algorithms optimise several objectives at once")
        if self.scheduler is not None and self.scheduler.name != "fifo":
            raise InputError("tune_config.scheduler", "none (or fifo) for a search with several metrics",
                             got=self.scheduler.name, hint="early-stopping schedulers rank trials by one metric")
        if self.best_scope not in (None, "last"):
            raise InputError("tune_config.best_scope", "'last' for a search with several metrics",
                             got=self.best_scope)
        return self

    @property
    def multi_objective(self) -> bool:
        """Whether the search optimises several metrics (a Pareto front).

        Example:
            >>> TuneConfig(metric=["mAP50", "size"], mode=["max", "min"],
            ...            search_alg="optunasearch").multi_objective
            True
        """
        return isinstance(self.metric, list)

    @property
    def metrics(self) -> list[str]:
        """Every metric of the search, the first one ranks trials in tables."""
        return list(self.metric) if isinstance(self.metric, list) else [self.metric]

    @property
    def modes(self) -> list[str]:
        """One mode per metric of :attr:`metrics`."""
        return list(self.mode) if isinstance(self.mode, list) else [self.mode]

    @property
    def primary_metric(self) -> str:
        """The metric that ranks trials (the only one, or the first of several)."""
        return self.metrics[0]

    @property
    def primary_mode(self) -> str:
        """The mode of :attr:`primary_metric`."""
        return self.modes[0]

    @property
    def resolved_best_scope(self) -> str:
        """``best_scope``, else the default for the scheduler (max_budget when it stops trials early).

        Example:
            >>> TuneConfig(mode="max", metric="m", scheduler="asha").resolved_best_scope
            'max_budget'
        """
        if self.best_scope is not None:
            return self.best_scope
        return "max_budget" if self.scheduler is not None and self.scheduler.name in EARLY_STOPPING else "last"

    @model_validator(mode="after")
    def _points_fit(self) -> TuneConfig:
        points = self.search_alg.points_to_evaluate if self.search_alg else None
        if points and len(points) > self.num_samples:
            raise InputError("tune_config.search_alg.points_to_evaluate",
                             f"at most num_samples ({self.num_samples}) points", got=len(points),
                             hint="each point is one trial; raise num_samples or drop points")
        return self

    def total_trials(self, space: SearchSpace) -> int:
        """Trials the run will start: ``num_samples`` times the grid size.

        Example:
            >>> space = SearchSpace.model_validate([{"name": "b", "type": "grid_search", "options": [8, 16]}])
            >>> TuneConfig(mode="max", metric="mAP50", num_samples=3).total_trials(space)
            6
        """
        return self.num_samples * space.grid_size()

    def check_space(self, space: SearchSpace) -> None:
        """Refuse (InputError) a search space this config cannot search, before anything runs.

        Checks that the search algorithm can sample every parameter type (grid_search only
        with the basic variant generator; bayesoptsearch only bounded floats), that
        ``points_to_evaluate`` name known parameters with values they can take, and that PBT
        runs without a model-based search algorithm and mutates known parameters.

        Example:
            >>> space = SearchSpace.model_validate([{"name": "opt", "type": "choice", "options": ["SGD", "Adam"]}])
            >>> TuneConfig(mode="max", metric="m", search_alg={"name": "bayesoptsearch"}).check_space(space)  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            synapse_nb.errors.InputError: hyperparameters[0] 'opt': type: expected ...
        """
        algorithm = self.search_alg.name if self.search_alg else BASIC_VARIANT
        if algorithm != BASIC_VARIANT:
            supported = _SEARCHER_TYPES[algorithm]
            for index, param in enumerate(space):
                if param.type == "grid_search":
                    raise InputError(f"{SPACE_FIELD}[{index}] {param.name!r}: type",
                                     f"a sampled type: grid_search runs only with {BASIC_VARIANT}", got=param.type,
                                     hint=f"use type 'choice' to let {algorithm} pick among the options")
                if param.type not in supported:
                    raise InputError(f"{SPACE_FIELD}[{index}] {param.name!r}: type",
                                     f"one of {list(supported)} for {algorithm}", got=param.type,
                                     hint=_WHY_NOT[algorithm] or None)
                if algorithm == "optunasearch" and param.type == "qlograndint" and param.step != 1:
                    raise InputError(f"{SPACE_FIELD}[{index}] {param.name!r}: q",
                                     "1 for optunasearch (optuna has no log scale with a step)", got=param.step)
        self._check_points(space)
        self._check_pbt(space, algorithm)

    def _check_points(self, space: SearchSpace) -> None:
        points = self.search_alg.points_to_evaluate if self.search_alg else None
        for number, point in enumerate(points or []):
            where = f"tune_config.search_alg.points_to_evaluate[{number}]"
            unknown = sorted(key for key in point if key not in space.names)
            if unknown:
                raise InputError(where, f"parameter names among {space.names}", got=unknown)
            for key, value in point.items():
                if not space[key].contains(value):
                    raise InputError(f"{where}.{key}", f"a value that {space[key].type} parameter {key!r} can take",
                                     got=value)

    def _check_pbt(self, space: SearchSpace, algorithm: str) -> None:
        if self.scheduler is None or self.scheduler.name != "pbt":
            return
        if algorithm != BASIC_VARIANT:
            raise InputError("tune_config.search_alg", f"no search algorithm (or {BASIC_VARIANT}) with pbt",
                             got=algorithm, hint="population based training chooses the next configurations itself")
        mutations = self.scheduler.options.get("hyperparam_mutations")
        if mutations is not None:
            if not isinstance(mutations, dict) or not mutations:
                raise InputError("tune_config.scheduler.options.hyperparam_mutations",
                                 "a non-empty mapping of parameter name -> values", got=mutations)
            unknown = sorted(key for key in mutations if key not in space.names)
            if unknown:
                raise InputError("tune_config.scheduler.options.hyperparam_mutations",
                                 f"parameter names among {space.names}", got=unknown)
