"""SearchSpace: the Synapse ``hyperparameters`` list, validated, and its Ray ``param_space``.

Every error names the entry and the key, e.g. ``hyperparameters[1] 'lr0': base: expected a
number > 0 and != 1 (typically 10 or 2), got 1``, and common slips get a pointed hint
(``values`` for ``options``, ``lower``/``upper`` for ``min``/``max``, ``q`` on an
unquantized type).

Example:
    >>> space = SearchSpace.model_validate([
    ...     {"name": "lr0", "type": "loguniform", "min": 1e-4, "max": 1e-2, "base": 10},
    ...     {"name": "batch", "type": "grid_search", "options": [8, 16]},
    ... ])
    >>> space.names, space.grid_size(), space.is_continuous_only()
    (['lr0', 'batch'], 2, False)
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, RootModel, ValidationError, model_validator

from synapse_nb.errors import InputError
from synapse_nb.search_space._base import ALL_TYPES, FLOAT_TYPES, BaseParam
from synapse_nb.search_space._params import PARAM_TYPES, SearchParam, accepted_keys

FIELD = "hyperparameters"

# Words users bring from other tools -> the key this format uses.
_RENAMED = {"values": "options", "lower": "min", "upper": "max", "std": "sd", "sigma": "sd", "mu": "mean"}


def _where(index: int, name: Any) -> str:
    return f"{FIELD}[{index}] {name!r}" if isinstance(name, str) and name.strip() else f"{FIELD}[{index}]"


def _from_pydantic(where: str, error: ValidationError) -> InputError:
    """The first pydantic error of one entry, restated with the entry and key it is about."""
    first = error.errors(include_url=False)[0]
    key = ".".join(str(part) for part in first["loc"])
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, InputError):
        return InputError(f"{where}: {cause.field}", cause.expected, got=cause.got, hint=cause.hint)
    message = first["msg"].removeprefix("Value error, ")
    field_name = f"{where}: {key}" if key else where
    if first["type"] == "missing":
        return InputError(field_name, "a value (this key is required for this type)")
    expected = message.removeprefix("Input should be ").removeprefix("expected ")
    if first["type"] == "too_short":
        expected = "a non-empty list"
    elif first["type"] in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        expected = f"a value {expected}"
    return InputError(field_name, expected, got=first.get("input"))


def _parse_entry(index: int, item: Any) -> BaseParam:
    if isinstance(item, BaseParam):
        return item
    if isinstance(item, BaseModel):
        item = item.model_dump()
    if not isinstance(item, dict):
        raise InputError(f"{FIELD}[{index}]", "an object with 'name' and 'type'", got=type(item).__name__)
    name = item.get("name")
    where = _where(index, name)
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{where}: name", "a non-empty string", got=name)
    type_name = item.get("type")
    if type_name not in PARAM_TYPES:
        raise InputError(f"{where}: type", f"one of {list(ALL_TYPES)}", got=type_name)
    accepted = accepted_keys(type_name)
    for key, replacement in _RENAMED.items():
        if key in item and replacement in accepted:
            raise InputError(f"{where}: {key}", f"the key '{replacement}'", got=key,
                             hint=f"use '{replacement}', not '{key}'")
    unknown = sorted(str(key) for key in item if key not in accepted)
    if unknown:
        hint = None
        if "q" in unknown and f"q{type_name}" in PARAM_TYPES:
            hint = f"'q' is for quantized types: use type 'q{type_name}'"
        elif "base" in unknown:
            hint = "'base' is for the log types (loguniform, qloguniform, lograndint, qlograndint)"
        raise InputError(where, f"keys among {accepted} for type '{type_name}'", got=unknown, hint=hint)
    try:
        return PARAM_TYPES[type_name].model_validate(item)
    except ValidationError as exc:
        raise _from_pydantic(where, exc) from exc


class SearchSpace(RootModel[list[SearchParam]]):
    """The searched hyperparameters: a list of the twelve parameter types, keyed by ``type``.

    Accepts the Synapse list form (``SearchSpace.model_validate([...])``) and gives it back
    with :meth:`to_payload`; :meth:`to_ray` is the ``param_space`` for a Ray Tune ``Tuner``.

    Example:
        >>> space = SearchSpace.model_validate([{"name": "epochs", "type": "randint", "min": 5, "max": 15}])
        >>> space.to_payload()
        [{'name': 'epochs', 'type': 'randint', 'min': 5, 'max': 15}]
    """

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, SearchSpace):
            return data.root
        if isinstance(data, (str, bytes, dict)) or not hasattr(data, "__iter__"):
            raise InputError(FIELD, "a list of search parameters ({'name': ..., 'type': ..., ...})",
                             got=type(data).__name__)
        params = [_parse_entry(index, item) for index, item in enumerate(data)]
        seen: dict[str, int] = {}
        for index, param in enumerate(params):
            if param.name in seen:
                raise InputError(f"{_where(index, param.name)}: name", "a name used once in the space",
                                 got=param.name, hint=f"{FIELD}[{seen[param.name]}] has it too")
            seen[param.name] = index
        return params

    def __iter__(self) -> Iterator[BaseParam]:  # type: ignore[override]
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)

    def __getitem__(self, name: str) -> BaseParam:
        """The parameter called ``name``."""
        for param in self.root:
            if param.name == name:
                return param
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """Parameter names in the order given.

        Example:
            >>> SearchSpace.model_validate([{"name": "opt", "type": "choice", "options": ["SGD"]}]).names
            ['opt']
        """
        return [param.name for param in self.root]

    def grid_size(self) -> int:
        """Configurations per sample: the product of the grid_search option counts (1 if none).

        Example:
            >>> SearchSpace.model_validate([{"name": "b", "type": "grid_search", "options": [8, 16, 32]}]).grid_size()
            3
        """
        return math.prod(len(param.options) for param in self.root if param.type == "grid_search")  # type: ignore[attr-defined]

    def is_continuous_only(self) -> bool:
        """True when every parameter is a float type (what Bayesian optimisation can search).

        Example:
            >>> SearchSpace.model_validate([{"name": "m", "type": "uniform", "min": 0.6, "max": 0.98}]).is_continuous_only()
            True
        """
        return all(param.type in FLOAT_TYPES for param in self.root)

    def to_ray(self) -> dict[str, Any]:
        """``{name: ray.tune domain}`` (``{"grid_search": [...]}`` for grid parameters).

        Example:
            >>> space = SearchSpace.model_validate([{"name": "e", "type": "randint", "min": 1, "max": 3}])
            >>> space.to_ray()["e"].sample(random_state=0) in (1, 2, 3)
            True
        """
        return {param.name: param.to_ray() for param in self.root}

    def to_payload(self) -> list[dict[str, Any]]:
        """The Synapse JSON list; ``SearchSpace.model_validate(space.to_payload()) == space``."""
        return [param.to_payload() for param in self.root]
