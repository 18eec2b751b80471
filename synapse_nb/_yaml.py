"""YAML hyperparameters: safe parsing with errors that point at the line and column.

Example:
    >>> parse_hyperparameters("epochs: 3\\nlr0: 0.01\\n")
    {'epochs': 3, 'lr0': 0.01}
"""

from __future__ import annotations

from typing import Any

import yaml

from synapse_nb.errors import InputError


def parse_hyperparameters(text: str | None, field: str = "hyperparameters") -> dict[str, Any]:
    """Parse a YAML mapping with ``yaml.safe_load`` (never the unsafe loader).

    Empty text gives ``{}``. A syntax error names the line and column; a document that is
    not a mapping (a list, a scalar) or has non-string keys is an error too.
    """
    if text is None or not text.strip():
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(field, "valid YAML", got=f"{problem} at {where}") from None
    except yaml.YAMLError as exc:
        raise InputError(field, "valid YAML", got=str(exc)) from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(field, "a YAML mapping of name: value", got=type(value).__name__)
    bad_keys = [k for k in value if not isinstance(k, str)]
    if bad_keys:
        raise InputError(field, "string keys", got=bad_keys)
    return value


def dump_hyperparameters(values: dict[str, Any]) -> str:
    """Render a mapping as block-style YAML in the given key order."""
    if not values:
        return ""
    return yaml.safe_dump(values, sort_keys=False, default_flow_style=False, allow_unicode=True)
