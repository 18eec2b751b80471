"""Search spaces and tune configs: the Synapse tuning JSON, validated, turned into Ray Tune objects.

* :class:`SearchSpace` - the ``hyperparameters`` list of twelve parameter types
  (uniform, quniform, loguniform, qloguniform, randn, qrandn, randint, qrandint,
  lograndint, qlograndint, choice, grid_search); ``.to_ray()`` is a Tuner's ``param_space``.
* :class:`TuneConfig` - ``tune_config``: mode, metric, num_samples, max_concurrent_trials,
  search_alg, scheduler; names and option keys checked against the tuning registry.
* :func:`build_search_alg`, :func:`build_scheduler`, :func:`to_ray_tune_config` - the real
  Ray objects; :func:`total_trials` - how many trials a run starts (grid included).

Pure data until something is built: importing this package does not import Ray.

Example:
    >>> import synapse_nb as snb
    >>> space = snb.SearchSpace.model_validate(
    ...     [{"name": "lr0", "type": "loguniform", "min": 1e-4, "max": 1e-2, "base": 10}])
    >>> config = snb.TuneConfig(mode="max", metric="mAP50", num_samples=10)
    >>> total_trials(config, space)
    10
"""

from __future__ import annotations

from synapse_nb.search_space._build import (
    TIME_ATTR,
    build_scheduler,
    build_search_alg,
    resolve_max_t,
    stopping_iterations,
    to_ray_tune_config,
    total_trials,
)
from synapse_nb.search_space._base import ALL_TYPES, CATEGORICAL_TYPES, FLOAT_TYPES, INT_TYPES, BaseParam
from synapse_nb.search_space._params import (
    PARAM_TYPES,
    Choice,
    GridSearch,
    LogRandInt,
    LogUniform,
    QLogRandInt,
    QLogUniform,
    QRandInt,
    QRandN,
    QUniform,
    RandInt,
    RandN,
    SearchParam,
    Uniform,
    accepted_keys,
)
from synapse_nb.search_space._space import SearchSpace
from synapse_nb.search_space._tune_config import SchedulerConfig, SearchAlgConfig, TuneConfig

__all__ = [
    "ALL_TYPES",
    "CATEGORICAL_TYPES",
    "FLOAT_TYPES",
    "INT_TYPES",
    "PARAM_TYPES",
    "TIME_ATTR",
    "BaseParam",
    "Choice",
    "GridSearch",
    "LogRandInt",
    "LogUniform",
    "QLogRandInt",
    "QLogUniform",
    "QRandInt",
    "QRandN",
    "QUniform",
    "RandInt",
    "RandN",
    "SchedulerConfig",
    "SearchAlgConfig",
    "SearchParam",
    "SearchSpace",
    "TuneConfig",
    "Uniform",
    "accepted_keys",
    "build_scheduler",
    "build_search_alg",
    "resolve_max_t",
    "stopping_iterations",
    "to_ray_tune_config",
    "total_trials",
]
