"""The twelve search-parameter types and their mapping to Ray Tune domains.

Each type is a small pydantic model with the keys the Synapse JSON uses (``name``, ``type``,
``min``/``max``, ``mean``/``sd``, ``base``, ``q``, ``options``). The conversion to Ray lives in
one table, :data:`RAY_BUILDERS`, so every type is converted the same way and ``q`` and
``base`` can never trade places.

Rules users rely on (tested):

* ``max`` is inclusive for every type. Ray's ``randint``/``lograndint`` exclude the upper
  bound, so they get ``max + 1``; ``qrandint``/``qlograndint`` with ``q == 1`` are sent as
  those plain types (Ray's searchers disagree on the q == 1 bound), and with ``q > 1`` as
  Ray's quantized types over the multiples of ``q`` inside ``[min, max]``, which include the
  upper one.
* Quantized types give multiples of ``q`` between ``min`` and ``max``. For the float types
  Ray also needs ``min`` and ``max`` to be multiples of ``q``; that is checked here. Without
  ``q``: ``quniform`` uses the largest power of ten that is at most ``(max - min) / 100``
  and divides ``min`` and ``max`` (so at least 100 steps: 0.6..0.98 -> 0.001),
  ``qloguniform`` the largest power of ten that is at most ``min`` and divides both
  (1e-4..1e-2 -> 1e-4, i.e. ``min`` when ``min`` is a power of ten), ``qrandn`` uses
  ``sd / 10`` and the integer types use ``1``.
* ``base`` is required for the log types, as in the Synapse payload. A log-uniform draw is
  the same distribution in every base, so ``base`` is checked and kept, never sent to Ray
  (Ray deprecated it) and never used as ``q``.

Example:
    >>> LogUniform(name="lr0", min=1e-4, max=1e-2, base=10).contains(1e-3)
    True
    >>> QUniform(name="momentum", min=0.6, max=0.98).step
    0.001
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from synapse_nb.errors import InputError
from synapse_nb.search_space._base import (
    BaseParam,
    Real,
    Whole,
    check_float_grid,
    check_grid,
    is_number,
    power_of_ten_step,
)


class _Range(BaseParam):
    min: Real
    max: Real

    @model_validator(mode="after")
    def _check_range(self) -> _Range:
        if not self.min < self.max:
            raise InputError("max", f"a value greater than min ({self.min})", got=self.max)
        return self

    def contains(self, value: Any) -> bool:
        return is_number(value) and self.min <= value <= self.max


class _LogRange(_Range):
    base: Real

    @model_validator(mode="after")
    def _check_log(self) -> _LogRange:
        if self.min <= 0:
            raise InputError("min", "a value > 0 for a log scale", got=self.min)
        if self.base <= 0 or self.base == 1:
            raise InputError("base", "a number > 0 and != 1 (typically 10 or 2)", got=self.base)
        return self


class Uniform(_Range):
    """A float drawn uniformly between ``min`` and ``max``.

    Example:
        >>> Uniform(name="lr0", min=0.001, max=0.01).to_payload()
        {'name': 'lr0', 'type': 'uniform', 'min': 0.001, 'max': 0.01}
    """

    type: Literal["uniform"] = "uniform"


class QUniform(_Range):
    """A float drawn uniformly and rounded to a multiple of ``q``; ``min`` and ``max`` are multiples of ``q``.

    Without ``q``: the largest power of ten at most ``(max - min) / 100`` dividing ``min`` and ``max``.

    Example:
        >>> QUniform(name="momentum", min=0.5, max=0.9, q=0.1).step
        0.1
    """

    type: Literal["quniform"] = "quniform"
    q: Real | None = Field(default=None, gt=0)

    @property
    def step(self) -> float:
        return self.q if self.q is not None else power_of_ten_step(self.min, self.max, (self.max - self.min) / 100)

    @model_validator(mode="after")
    def _check_q(self) -> QUniform:
        check_float_grid(self)
        check_grid(self, self.min, self.max)
        return self


class LogUniform(_LogRange):
    """A float drawn log-uniformly between ``min`` > 0 and ``max``; ``base`` is required.

    Example:
        >>> LogUniform(name="lr0", min=1e-4, max=1e-2, base=10).contains(0.1)
        False
    """

    type: Literal["loguniform"] = "loguniform"


class QLogUniform(_LogRange):
    """A log-uniform float rounded to a multiple of ``q``; ``min`` and ``max`` are multiples of ``q``.

    Without ``q``: the largest power of ten at most ``min`` dividing ``min`` and ``max``.

    Example:
        >>> QLogUniform(name="lr0", min=1e-4, max=1e-2, base=10).step
        0.0001
    """

    type: Literal["qloguniform"] = "qloguniform"
    q: Real | None = Field(default=None, gt=0)

    @property
    def step(self) -> float:
        return self.q if self.q is not None else power_of_ten_step(self.min, self.max, self.min)

    @model_validator(mode="after")
    def _check_q(self) -> QLogUniform:
        check_float_grid(self)
        check_grid(self, self.min, self.max)
        return self


class RandN(BaseParam):
    """A float drawn from a normal distribution with ``mean`` and ``sd`` > 0.

    Example:
        >>> RandN(name="noise", mean=0.0, sd=1.0).contains(-3.5)
        True
    """

    type: Literal["randn"] = "randn"
    mean: Real
    sd: Real = Field(gt=0)

    def contains(self, value: Any) -> bool:
        return is_number(value)


class QRandN(RandN):
    """A normal float rounded to a multiple of ``q`` (default ``sd / 10``).

    Example:
        >>> QRandN(name="noise", mean=0.0, sd=1.0).step
        0.1
    """

    type: Literal["qrandn"] = "qrandn"  # type: ignore[assignment]
    q: Real | None = Field(default=None, gt=0)

    @property
    def step(self) -> float:
        return self.q if self.q is not None else self.sd / 10


class _IntRange(BaseParam):
    min: Whole
    max: Whole

    @model_validator(mode="after")
    def _check_range(self) -> _IntRange:
        if not self.min < self.max:
            raise InputError("max", f"an integer greater than min ({self.min})", got=self.max)
        return self

    def contains(self, value: Any) -> bool:
        return is_number(value) and float(value).is_integer() and self.min <= value <= self.max


class _IntLogRange(_IntRange):
    base: Real

    @model_validator(mode="after")
    def _check_log(self) -> _IntLogRange:
        if self.min <= 0:
            raise InputError("min", "an integer > 0 for a log scale", got=self.min)
        if self.base <= 0 or self.base == 1:
            raise InputError("base", "a number > 0 and != 1 (typically 10 or 2)", got=self.base)
        return self


class _IntQuantized(BaseParam):
    q: Whole | None = Field(default=None, ge=1)

    @property
    def step(self) -> int:
        return self.q if self.q is not None else 1

    @property
    def grid_bounds(self) -> tuple[int, int]:
        """The smallest and largest multiples of ``q`` from ``min`` to ``max``."""
        step = self.step
        return -(-self.min // step) * step, (self.max // step) * step  # type: ignore[attr-defined]


class RandInt(_IntRange):
    """An integer drawn uniformly from ``min`` to ``max``, both included.

    Example:
        >>> RandInt(name="epochs", min=5, max=15).contains(15)
        True
    """

    type: Literal["randint"] = "randint"


class QRandInt(_IntQuantized, _IntRange):
    """A multiple of ``q`` (default 1) drawn uniformly from ``min`` to ``max``, both included.

    Example:
        >>> QRandInt(name="batch", min=8, max=64, q=8).step
        8
    """

    type: Literal["qrandint"] = "qrandint"

    @model_validator(mode="after")
    def _check_q(self) -> QRandInt:
        check_grid(self, self.min, self.max)
        return self


class LogRandInt(_IntLogRange):
    """An integer drawn log-uniformly from ``min`` > 0 to ``max``, both included.

    Example:
        >>> LogRandInt(name="units", min=16, max=256, base=2).contains(256)
        True
    """

    type: Literal["lograndint"] = "lograndint"


class QLogRandInt(_IntQuantized, _IntLogRange):
    """A multiple of ``q`` (default 1) drawn log-uniformly from ``min`` to ``max``, both included.

    Example:
        >>> QLogRandInt(name="units", min=16, max=256, base=2, q=16).step
        16
    """

    type: Literal["qlograndint"] = "qlograndint"

    @model_validator(mode="after")
    def _check_q(self) -> QLogRandInt:
        check_grid(self, self.min, self.max)
        return self


class _Options(BaseParam):
    options: list[Any] = Field(min_length=1)

    def contains(self, value: Any) -> bool:
        return value in self.options


class Choice(_Options):
    """One of ``options``, drawn uniformly.

    Example:
        >>> Choice(name="optimizer", options=["SGD", "Adam"]).contains("Adam")
        True
    """

    type: Literal["choice"] = "choice"


class GridSearch(_Options):
    """Every one of ``options``: each value runs (``num_samples`` times).

    Example:
        >>> GridSearch(name="batch", options=[16, 32]).to_ray()
        {'grid_search': [16, 32]}
    """

    type: Literal["grid_search"] = "grid_search"


# The one place our types become Ray domains: q is always passed by keyword and base never.
RAY_BUILDERS: dict[str, Callable[[Any, Any], Any]] = {
    "uniform": lambda tune, p: tune.uniform(p.min, p.max),
    "quniform": lambda tune, p: tune.quniform(p.min, p.max, q=p.step),
    "loguniform": lambda tune, p: tune.loguniform(p.min, p.max),
    "qloguniform": lambda tune, p: tune.qloguniform(p.min, p.max, q=p.step),
    "randn": lambda tune, p: tune.randn(p.mean, p.sd),
    "qrandn": lambda tune, p: tune.qrandn(p.mean, p.sd, q=p.step),
    "randint": lambda tune, p: tune.randint(p.min, p.max + 1),
    # q == 1 is the plain integer type. Ray's q == 1 sampler excludes the upper bound but its
    # Optuna and HyperOpt converters include it, so a quantized domain with q == 1 would mean
    # different ranges per search algorithm; the plain type means the same range everywhere.
    # For q > 1 the bounds are snapped to the grid, so every algorithm draws the same multiples.
    "qrandint": lambda tune, p: (tune.randint(p.min, p.max + 1) if p.step == 1
                                 else tune.qrandint(*p.grid_bounds, q=p.step)),
    "lograndint": lambda tune, p: tune.lograndint(p.min, p.max + 1),
    "qlograndint": lambda tune, p: (tune.lograndint(p.min, p.max + 1) if p.step == 1
                                    else tune.qlograndint(*p.grid_bounds, q=p.step)),
    "choice": lambda tune, p: tune.choice(list(p.options)),
    "grid_search": lambda tune, p: tune.grid_search(list(p.options)),
}

PARAM_TYPES: dict[str, type[BaseParam]] = {
    "uniform": Uniform,
    "quniform": QUniform,
    "loguniform": LogUniform,
    "qloguniform": QLogUniform,
    "randn": RandN,
    "qrandn": QRandN,
    "randint": RandInt,
    "qrandint": QRandInt,
    "lograndint": LogRandInt,
    "qlograndint": QLogRandInt,
    "choice": Choice,
    "grid_search": GridSearch,
}

SearchParam = Annotated[
    Uniform | QUniform | LogUniform | QLogUniform | RandN | QRandN | RandInt | QRandInt | LogRandInt
    | QLogRandInt | Choice | GridSearch,
    Field(discriminator="type"),
]


def accepted_keys(type_name: str) -> list[str]:
    """The keys a parameter of ``type_name`` takes, in payload order.

    Example:
        >>> accepted_keys("qloguniform")
        ['name', 'type', 'min', 'max', 'base', 'q']
    """
    return list(PARAM_TYPES[type_name].model_fields)
