"""Build the Ray Tune objects of a TuneConfig: search algorithm, scheduler, ``tune.TuneConfig``.

Everything is checked first (names, options, the space against the algorithm, ``max_t``),
so a bad config is an InputError naming the field rather than a trial that fails or hangs
on the cluster. Ray is imported only here, when something is built.

Defaults that differ from Ray's, because our trials report once per epoch:

* ``time_attr`` is ``"training_iteration"`` (one iteration = one reported epoch).
* HyperBand and ASHA take ``max_t`` from the options, else ``default_max_t`` (the caller
  passes the number of epochs); without either they are refused rather than left to wait.
* The median stopping rule's ``grace_period`` defaults to 1 iteration (Ray's 60 counts
  seconds); PBT's ``perturbation_interval`` defaults to a quarter of ``default_max_t``
  (at least 1) and its ``hyperparam_mutations`` to the search space.

Example:
    >>> from synapse_nb.search_space import SearchSpace, TuneConfig
    >>> space = SearchSpace.model_validate([{"name": "lr0", "type": "uniform", "min": 0.001, "max": 0.1}])
    >>> config = TuneConfig(mode="max", metric="mAP50", scheduler={"name": "asha"})
    >>> type(build_scheduler(config, space, default_max_t=10)).__name__
    'AsyncHyperBandScheduler'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synapse_nb.errors import InputError
from synapse_nb.search_space._space import FIELD as SPACE_FIELD
from synapse_nb.search_space._space import SearchSpace
from synapse_nb.search_space._tune_config import BASIC_VARIANT, TuneConfig
from synapse_nb.tuning_registry import DEFAULT_REGISTRY, TuningRegistry

if TYPE_CHECKING:  # pragma: no cover
    import ray.tune
    from ray.tune.schedulers import TrialScheduler
    from ray.tune.search import SearchAlgorithm

TIME_ATTR = "training_iteration"
_NEEDS_MAX_T = ("hyperband", "asha")
_USES_TIME_ATTR = ("hyperband", "asha", "medianstopping", "pbt")


def total_trials(config: TuneConfig, space: SearchSpace) -> int:
    """Trials a run starts: ``num_samples`` times the grid size (what progress counts against).

    Example:
        >>> space = SearchSpace.model_validate([{"name": "b", "type": "grid_search", "options": [8, 16, 32]}])
        >>> total_trials(TuneConfig(mode="max", metric="mAP50", num_samples=2), space)
        6
    """
    return config.total_trials(space)


def resolve_max_t(config: TuneConfig, default_max_t: int | None) -> int | None:
    """The ``max_t`` the scheduler will use; InputError when HyperBand/ASHA would have none.

    Example:
        >>> resolve_max_t(TuneConfig(mode="max", metric="m", scheduler={"name": "hyperband"}), 20)
        20
    """
    if config.scheduler is None or config.scheduler.name not in _NEEDS_MAX_T:
        return None
    max_t = config.scheduler.options.get("max_t", default_max_t)
    if max_t is None:
        raise InputError("tune_config.scheduler.options.max_t",
                         f"the most iterations (epochs) a trial may run, for {config.scheduler.name}",
                         hint="set options.max_t, or pass the number of epochs as default_max_t")
    if isinstance(max_t, bool) or not isinstance(max_t, int) or max_t < 1:
        raise InputError("tune_config.scheduler.options.max_t", "an integer >= 1", got=max_t)
    return max_t


def stopping_iterations(config: TuneConfig, default_max_t: int | None = None) -> frozenset[int] | None:
    """The reports (``training_iteration`` values) at which the scheduler of ``config`` may
    stop a trial before its end: none under FIFO, ASHA's rungs, ``None`` (any report) for
    every other scheduler.

    A trial keeps its weights on the backend only before these reports, so that a trial
    stopped there still has a model (its last report is followed by its own model upload).
    The rungs follow ASHA's own formula: ``grace_period * reduction_factor ** k`` for each
    bracket, rounded up (a report is an integer), below ``max_t``.

    Example:
        >>> asha = TuneConfig(mode="max", metric="m", scheduler={"name": "asha", "options": {"grace_period": 1}})
        >>> sorted(stopping_iterations(asha, default_max_t=20))
        [1, 4, 16]
        >>> stopping_iterations(TuneConfig(mode="max", metric="m"))
        frozenset()
        >>> stopping_iterations(TuneConfig(mode="max", metric="m", scheduler="hyperband"), 20) is None
        True
    """
    import math

    if config.scheduler is None or config.scheduler.name == "fifo":
        return frozenset()
    options = config.scheduler.options
    if config.scheduler.name != "asha" or options.get("time_attr", TIME_ATTR) != TIME_ATTR:
        return None
    max_t = resolve_max_t(config, default_max_t)
    assert max_t is not None  # resolve_max_t refuses ASHA without one
    # Ray's defaults for ASHA.
    grace, factor, brackets = options.get("grace_period", 1), options.get("reduction_factor", 4), options.get("brackets", 1)
    points: set[int] = set()
    for bracket in range(int(brackets)):
        rungs = int(math.log(max_t / grace) / math.log(factor) - bracket + 1)
        points.update(math.ceil(grace * factor ** (k + bracket)) for k in range(rungs))
    return frozenset(p for p in points if p < max_t)


def build_search_alg(config: TuneConfig, space: SearchSpace, *,
                     registry: TuningRegistry = DEFAULT_REGISTRY) -> SearchAlgorithm | None:
    """The Ray search algorithm of ``config`` (``None``: Ray's default random/grid search).

    The algorithm gets no metric, mode or space of its own: the Tuner hands it those, so
    they are set exactly once.

    Example:
        >>> space = SearchSpace.model_validate([{"name": "lr0", "type": "uniform", "min": 0.001, "max": 0.1}])
        >>> config = TuneConfig(mode="max", metric="mAP50", search_alg={"name": "optunasearch"})
        >>> type(build_search_alg(config, space)).__name__
        'OptunaSearch'
    """
    if config.search_alg is None:
        return None
    config.check_space(space)
    name = config.search_alg.name
    cls = registry.resolve(name)
    registry.check_options(name, config.search_alg.options)
    if name != BASIC_VARIANT:
        _check_ray_converts(cls, name, space)
    kwargs: dict[str, Any] = dict(config.search_alg.options)
    if config.search_alg.points_to_evaluate:
        kwargs["points_to_evaluate"] = [dict(point) for point in config.search_alg.points_to_evaluate]
    if config.multi_objective:
        # Ray's TuneConfig takes one metric; a multi-objective searcher takes the lists itself.
        kwargs.update(metric=config.metrics, mode=config.modes)
    return _construct(cls, kwargs, "tune_config.search_alg.options", name)


def build_scheduler(config: TuneConfig, space: SearchSpace, default_max_t: int | None = None, *,
                    registry: TuningRegistry = DEFAULT_REGISTRY) -> TrialScheduler:
    """The Ray trial scheduler of ``config`` (FIFO when none is named).

    ``default_max_t`` is the most iterations a trial runs (the number of epochs); HyperBand
    and ASHA use it when ``options.max_t`` is absent.

    Example:
        >>> space = SearchSpace.model_validate([{"name": "lr0", "type": "uniform", "min": 0.001, "max": 0.1}])
        >>> config = TuneConfig(mode="max", metric="mAP50", scheduler={"name": "pbt"})
        >>> list(build_scheduler(config, space, default_max_t=8)._hyperparam_mutations)
        ['lr0']
    """
    name = config.scheduler.name if config.scheduler else "fifo"
    options = dict(config.scheduler.options) if config.scheduler else {}
    config.check_space(space)
    cls = registry.resolve(name)
    registry.check_options(name, options)
    if name in _USES_TIME_ATTR:
        options.setdefault("time_attr", TIME_ATTR)
    max_t = resolve_max_t(config, default_max_t)
    if max_t is not None:
        options["max_t"] = max_t
    if name == "medianstopping":
        options.setdefault("grace_period", 1)
    if name == "pbt":
        options.setdefault("perturbation_interval", max(1, (default_max_t or 1) // 4))
        options.setdefault("hyperparam_mutations", _mutations(space))
    return _construct(cls, options, "tune_config.scheduler.options", name)


def to_ray_tune_config(config: TuneConfig, space: SearchSpace, default_max_t: int | None = None, *,
                       registry: TuningRegistry = DEFAULT_REGISTRY) -> ray.tune.TuneConfig:
    """The ``ray.tune.TuneConfig`` for a Tuner whose ``param_space`` is ``space.to_ray()``.

    Metric and mode are set here and only here (for several metrics, on the search
    algorithm, which alone takes lists); ``max_concurrent_trials`` applies to the whole run.

    Example:
        >>> space = SearchSpace.model_validate([{"name": "b", "type": "grid_search", "options": [8, 16]}])
        >>> tc = to_ray_tune_config(TuneConfig(mode="max", metric="mAP50", num_samples=2), space)
        >>> tc.metric, tc.mode, tc.num_samples
        ('mAP50', 'max', 2)
    """
    from ray import tune

    single = not config.multi_objective
    return tune.TuneConfig(
        metric=config.metric if single else None,
        mode=config.mode if single else None,
        num_samples=config.num_samples,
        max_concurrent_trials=config.max_concurrent_trials,
        search_alg=build_search_alg(config, space, registry=registry),
        scheduler=build_scheduler(config, space, default_max_t, registry=registry),
    )


def _mutations(space: SearchSpace) -> dict[str, Any]:
    # PBT resamples from a Ray domain or a list; a grid has no domain, so its options are the list.
    return {param.name: list(param.options) if param.type == "grid_search" else param.to_ray()  # type: ignore[attr-defined]
            for param in space}


def _check_ray_converts(cls: type, name: str, space: SearchSpace) -> None:
    # One parameter at a time, so Ray's refusal can name the parameter it is about.
    convert = getattr(cls, "convert_search_space", None)
    if convert is None:  # pragma: no cover - every registered searcher has one
        return
    for index, param in enumerate(space):
        try:
            convert({param.name: param.to_ray()})
        except ValueError as exc:
            raise InputError(f"{SPACE_FIELD}[{index}] {param.name!r}", f"a parameter {name} can search",
                             got=param.type, hint=str(exc)) from exc


def _construct(cls: type, kwargs: dict[str, Any], field_name: str, name: str) -> Any:
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, AssertionError) as exc:
        raise InputError(field_name, f"options that {name} accepts", got=kwargs, hint=str(exc) or None) from exc
