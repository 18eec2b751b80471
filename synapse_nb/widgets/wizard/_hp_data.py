"""The hyperparameters step's tables: each setting typed beside the framework's default and
its meaning, and a search space as rows (name, type, range, values).

Example:
    >>> t = hyperparameter_table({"epochs": 3}, {"epochs": 100, "lr0": 0.01}, {"epochs": "passes"})
    >>> t.to_dict("records")
    [{'key': 'epochs', 'value': 3, 'default': 100, 'changed': True, 'typed': True, 'meaning': 'passes'}]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

HP_COLUMNS = ("key", "value", "default", "changed", "typed", "meaning")
SPACE_COLUMNS = ("name", "type", "range", "values")
_MISSING = "—"


def hyperparameter_table(typed: Mapping[str, Any], defaults: Mapping[str, Any], docs: Mapping[str, str],
                         every_setting: bool = False) -> pd.DataFrame:
    """One row per typed setting (then, with ``every_setting``, every other default one):
    its value, the framework's default, whether it differs, and what it means.

    A typed key the framework has no default for counts as changed.

    Example:
        >>> t = hyperparameter_table({"lr0": 0.01}, {"lr0": 0.01, "mosaic": 1.0}, {}, every_setting=True)
        >>> t[["key", "value", "changed", "typed"]].values.tolist()
        [['lr0', 0.01, False, True], ['mosaic', 1.0, False, False]]
    """
    rows = []
    for key, value in typed.items():
        default = defaults.get(key, _MISSING)
        rows.append({"key": key, "value": value, "default": default,
                     "changed": key not in defaults or value != default, "typed": True,
                     "meaning": docs.get(key, "")})
    if every_setting:
        for key, default in defaults.items():
            if key not in typed:
                rows.append({"key": key, "value": default, "default": default, "changed": False, "typed": False,
                             "meaning": docs.get(key, "")})
    # Object columns: values keep their own types (an int stays 3, not 3.0 beside a float).
    frame = pd.DataFrame(rows, columns=list(HP_COLUMNS), dtype=object)
    return frame.astype({"changed": bool, "typed": bool})


def _range(param: Any) -> str:
    options = getattr(param, "options", None)
    if options is not None:
        return ", ".join(str(o) for o in options)
    if getattr(param, "mean", None) is not None:
        return f"mean {param.mean}, sd {param.sd}"
    text = f"{param.min} – {param.max}"
    for extra in ("q", "base"):
        value = getattr(param, extra, None)
        if value is not None:
            text += f", {extra} {value:g}"
    return text


def search_space_frame(space: Any) -> pd.DataFrame:
    """The searched hyperparameters as rows: name, type, range or options, and how many
    values a grid takes ("sampled" for the others).

    Example:
        >>> from synapse_nb.search_space import SearchSpace
        >>> s = SearchSpace.model_validate([{"name": "lr0", "type": "loguniform", "min": 1e-4, "max": 1e-2, "base": 10},
        ...                                 {"name": "batch", "type": "grid_search", "options": [8, 16]}])
        >>> search_space_frame(s).values.tolist()
        [['lr0', 'loguniform', '0.0001 – 0.01, base 10', 'sampled'], ['batch', 'grid_search', '8, 16', '2 (grid)']]
    """
    rows = [{"name": p.name, "type": p.type, "range": _range(p),
             "values": f"{len(p.options)} (grid)" if p.type == "grid_search" else "sampled"} for p in space]
    return pd.DataFrame(rows, columns=list(SPACE_COLUMNS))
