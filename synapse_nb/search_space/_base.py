"""What every search parameter shares: the base model, number types and the q-grid rules.

The grid rules mirror Ray's own: a bound within float noise of a multiple of ``q`` counts as
that multiple, and a quantized float range needs ``min`` and ``max`` on the grid.

Example:
    >>> power_of_ten_step(0.6, 0.98, (0.98 - 0.6) / 100)
    0.001
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_serializer

from synapse_nb.errors import InputError


def not_bool(value: Any) -> Any:
    # bool is an int to Python and pydantic's lax mode; True as a bound is always a typo.
    if isinstance(value, bool):
        raise ValueError("a number (not true/false)")
    return value


Real = Annotated[float, BeforeValidator(not_bool), Field(allow_inf_nan=False)]
Whole = Annotated[int, BeforeValidator(not_bool)]
Name = Annotated[str, Field(min_length=1, pattern=r"\S")]

FLOAT_TYPES = ("uniform", "quniform", "loguniform", "qloguniform", "randn", "qrandn")
INT_TYPES = ("randint", "qrandint", "lograndint", "qlograndint")
CATEGORICAL_TYPES = ("choice", "grid_search")
ALL_TYPES = FLOAT_TYPES + INT_TYPES + CATEGORICAL_TYPES


class BaseParam(BaseModel):
    """What every search parameter has: a ``name`` and a ``type``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    type: str


    @model_serializer(mode="wrap")
    def _drop_unset_q(self, handler: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        # An absent q means "the documented default"; writing q: null back would change nothing
        # but would make payloads differ from what the user wrote.
        data = handler(self)
        if data.get("q", 0) is None:
            del data["q"]
        return data

    @property
    def step(self) -> float | int | None:
        """The quantization step in use (``q`` or its default); ``None`` for unquantized types."""
        return None

    def to_payload(self) -> dict[str, Any]:
        """The Synapse JSON object of this parameter (an absent ``q`` stays absent)."""
        return self.model_dump()

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a value this parameter can take (used to check points_to_evaluate)."""
        raise NotImplementedError

    def to_ray(self) -> Any:
        """The Ray Tune domain (or ``{"grid_search": [...]}``) for this parameter."""
        from ray import tune

        # The table sits beside the twelve types; imported here because it names them.
        from synapse_nb.search_space._params import RAY_BUILDERS

        return RAY_BUILDERS[self.type](tune, self)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def grid_index(bound: float, step: float, round_fn: Callable[[float], float]) -> int:
    # Ray's rule: a bound within float noise of a multiple of q is that multiple.
    scaled = bound / step
    return round(scaled) if math.isclose(scaled, round(scaled)) else int(round_fn(scaled))


def check_grid(param: BaseParam, low: float, high: float) -> None:
    step = param.step
    assert step is not None
    if grid_index(high, step, math.floor) < grid_index(low, step, math.ceil):
        raise InputError("q", f"a step with at least one multiple of q between min ({low}) and max ({high})",
                         got=step)


def divides(step: float, value: float) -> bool:
    ratio = value / step
    return math.isclose(ratio, round(ratio))  # the test Ray's Float.quantized applies


def check_float_grid(param: Any) -> None:
    step = param.step
    assert step is not None
    for key in ("min", "max"):
        value = getattr(param, key)
        if not divides(step, value):
            raise InputError("q", "a step that divides min and max (Ray samples the multiples of q between them)",
                             got=step, hint=f"{key} / q = {value / step:g}")


def power_of_ten_step(low: float, high: float, limit: float) -> float:
    """The largest power of ten <= ``limit`` that divides ``low`` and ``high``."""
    top = math.floor(math.log10(limit))
    for exponent in range(top, top - 16, -1):
        step = float(f"1e{exponent}")  # the double nearest the decimal, as a user would write it
        if divides(step, low) and divides(step, high):
            return step
    raise InputError("q", "an explicit q: no power of ten divides both min and max", got=None)
