"""Default hyperparameters and their validation for ultralytics YOLO training.

The defaults ship as commented YAML (``hyperparameters.yaml`` beside this module) with
ultralytics' own names. Validation runs before any work starts and uses ultralytics' own
configuration: its key list (``DEFAULT_CFG_DICT``) for unknown keys, and its ``check_cfg``
for types and ranges, checked key by key so the error names the key; a few checks
ultralytics leaves to training time (image size, batch, optimiser name, paths) are added.

Example:
    >>> validate("epochs: 3\\nlr0: 0.02")
    {'epochs': 3, 'lr0': 0.02}
    >>> validate({"epoch": 3})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    synapse_nb.errors.InputError: hyperparameters.epoch: expected a known ultralytics training setting, got 'epoch'. Did you mean epochs or warmup_epochs? ...
"""

from __future__ import annotations

__all__ = [
    "COMMON_ALIASES", "DEFAULTS_FILE", "IGNORED_BY_AUTO_OPTIMIZER", "OPTIMIZERS", "TOOLKIT_KEYS", "all_defaults",
    "check_search", "default_text", "default_values", "docs", "validate",
]

import logging
import re
from importlib import resources
from pathlib import Path
from typing import Any

from synapse_nb._yaml import parse_hyperparameters
from synapse_nb.errors import InputError
from synapse_nb.frameworks._framework import close_matches

logger = logging.getLogger(__name__)

DEFAULTS_FILE = "hyperparameters.yaml"

# Set by the toolkit for every run; a user value would fight the dataset export, the run
# folder, the resume logic or the agent's GPU choice.
TOOLKIT_KEYS: dict[str, str] = {
    "data": "the toolkit exports the project and passes its dataset.yaml",
    "model": "choose the model with the 'model' setting ('YOLO/yolo11n-det' or a checkpoint)",
    "project": "the toolkit places every run in its own experiment folder",
    "name": "the toolkit places every run in its own experiment folder",
    "exist_ok": "the toolkit places every run in its own experiment folder",
    "resume": "resume a stopped run by retrying its task; the toolkit passes the last checkpoint",
    "device": "the toolkit picks the device from the agent's GPUs",
    "mode": "this is a training run",
    "task": "the task follows from the model (detection or segmentation)",
    "save_dir": "the toolkit places every run in its own experiment folder",
}

# ultralytics' BaseTrainer.build_optimizer accepts these (case-insensitive).
OPTIMIZERS = ("SGD", "MuSGD", "Adam", "Adamax", "AdamW", "NAdam", "RAdam", "RMSProp", "auto")

# Keys whose string value is a file ultralytics would otherwise try to download by name.
_PATH_KEYS = ("pretrained", "distill_model", "cfg")


def default_text() -> str:
    """The default hyperparameters as commented YAML text.

    Example:
        >>> "workers: 0" in default_text()
        True
    """
    return resources.files(__package__).joinpath(DEFAULTS_FILE).read_text(encoding="utf-8")


def default_values() -> dict[str, Any]:
    """The default hyperparameters parsed.

    Example:
        >>> default_values()["epochs"]
        100
    """
    return parse_hyperparameters(default_text(), field=DEFAULTS_FILE)


# One setting of ultralytics' cfg/default.yaml: "key: value # (type) what it means".
_DOC_LINE = re.compile(r"^(?P<key>[A-Za-z_]\w*):[^#]*#\s*(?:\([^)]*\)\s*)?(?P<doc>.+?)\s*$")


def docs() -> dict[str, str]:
    """The one-line meaning of each ultralytics setting, read from the comments of the
    default config ultralytics ships (``ultralytics/cfg/default.yaml``), for the keys users set.

    Example:
        >>> docs()["lr0"]  # doctest: +ELLIPSIS
        'initial learning rate...'
        >>> "data" in docs()
        False
    """
    from ultralytics.cfg import DEFAULT_CFG_PATH

    found: dict[str, str] = {}
    for line in Path(DEFAULT_CFG_PATH).read_text(encoding="utf-8").splitlines():
        match = _DOC_LINE.match(line)
        if match and match["key"] not in TOOLKIT_KEYS:
            found.setdefault(match["key"], match["doc"])
    return found


def all_defaults() -> dict[str, Any]:
    """Every training setting a user may set, with the value a run uses when it is not given:
    ultralytics' ``DEFAULT_CFG_DICT`` with the shipped file's values on top.

    Example:
        >>> all_defaults()["workers"], all_defaults()["mosaic"]
        (0, 1.0)
    """
    from ultralytics.cfg import DEFAULT_CFG_DICT

    merged = {k: v for k, v in DEFAULT_CFG_DICT.items() if k not in TOOLKIT_KEYS}
    merged.update(default_values())
    return merged


def _field(key: str) -> str:
    return f"hyperparameters.{key}"


# Names users bring from other frameworks (and the Synapse examples) -> ultralytics' names.
COMMON_ALIASES = {
    "learning_rate": "lr0", "lr": "lr0", "batch_size": "batch", "image_size": "imgsz", "img_size": "imgsz",
    "num_epochs": "epochs", "n_epochs": "epochs", "max_epochs": "epochs", "num_workers": "workers",
    "early_stopping_patience": "patience", "decay": "weight_decay",
}


def _check_known(key: str, allowed: set[str]) -> None:
    if key in TOOLKIT_KEYS:
        reason = f"'{key}' is set by the toolkit: {TOOLKIT_KEYS[key]}"
        raise InputError(_field(key), "a setting the user controls", got=key, hint=reason)
    if key not in allowed:
        alias = COMMON_ALIASES.get(key.lower())
        guesses = [alias] if alias in allowed else close_matches(key, sorted(allowed))
        hint = f"Did you mean {' or '.join(guesses)}? " if guesses else ""
        raise InputError(
            _field(key),
            "a known ultralytics training setting",
            got=key,
            hint=f"{hint}See https://docs.ultralytics.com/usage/cfg/ for the list",
        )


def _check_with_ultralytics(key: str, value: Any) -> Any:
    """Run ultralytics' own type/range check on one key; returns the canonical value."""
    from ultralytics.cfg import CFG_BOOL_KEYS, CFG_FLOAT_KEYS, CFG_FRACTION_KEYS, CFG_INT_KEYS, check_cfg

    # check_cfg lets True/False through as numbers (bool is an int in Python); a flag where a
    # number belongs is almost always a typo.
    numeric = CFG_FLOAT_KEYS | CFG_FRACTION_KEYS | CFG_INT_KEYS
    if isinstance(value, bool) and key in numeric:
        raise InputError(_field(key), "a number", got=value)
    if key in CFG_BOOL_KEYS and value is not None and not isinstance(value, bool):
        raise InputError(_field(key), "true or false", got=value)
    single = {key: value}
    try:
        check_cfg(single, hard=True)
    except (TypeError, ValueError) as exc:
        raise InputError(_field(key), "a valid value", got=value, hint=str(exc)) from None
    return single[key]


def _check_extra(key: str, value: Any) -> Any:
    """Checks ultralytics only makes at training time (or never), done up front."""
    if key == "imgsz":
        if isinstance(value, bool) or not isinstance(value, int) or value < 32:
            raise InputError(_field(key), "an integer image size of at least 32 pixels", got=value)
    elif key == "batch":
        if isinstance(value, float) and value.is_integer() and value >= 1:
            value = int(value)
        ok = (isinstance(value, int) and (value >= 1 or value == -1)) or (isinstance(value, float) and 0.0 < value < 1.0)
        if not ok:
            raise InputError(_field(key), "a batch size >= 1, -1 (AutoBatch) or a GPU memory fraction in (0, 1)", got=value)
    elif key == "optimizer":
        names = {name.lower(): name for name in OPTIMIZERS}
        if str(value).lower() not in names:
            guesses = close_matches(str(value), OPTIMIZERS)
            hint = f"Did you mean {' or '.join(guesses)}?" if guesses else None
            raise InputError(_field(key), f"one of {', '.join(OPTIMIZERS)}", got=value, hint=hint)
    elif key in ("workers", "close_mosaic", "warmup_epochs") and value < 0:
        raise InputError(_field(key), "a value >= 0", got=value)
    elif key == "time" and value is not None and value <= 0:
        raise InputError(_field(key), "a positive number of hours", got=value)
    elif key in _PATH_KEYS and isinstance(value, str) and not Path(value).expanduser().is_file():
        raise InputError(
            _field(key),
            "an existing local file" + (" or true/false" if key == "pretrained" else ""),
            got=value,
            hint="nothing is downloaded at run time: give the path of a file on this machine",
        )
    return value


def _warn_ignored(values: dict[str, Any], defaults: dict[str, Any]) -> None:
    optimizer = str(values.get("optimizer", defaults.get("optimizer", "auto"))).lower()
    changed = [k for k in ("lr0", "momentum") if k in values and values[k] != defaults.get(k)]
    if optimizer == "auto" and changed:
        logger.warning(
            "optimizer is 'auto', which picks its own learning rate and momentum and ignores %s; "
            "name an optimizer (e.g. SGD or AdamW) for these values to take effect",
            " and ".join(changed),
        )


def validate(values: str | dict[str, Any] | None) -> dict[str, Any]:
    """Check YOLO hyperparameters (YAML text or a mapping) and return them canonicalised.

    Raises :class:`InputError` naming ``hyperparameters.<key>``: unknown keys (with the
    closest valid names), keys the toolkit sets, wrong types and out-of-range values.

    Example:
        >>> validate({"epochs": 1e2, "optimizer": "adamw"})
        {'epochs': 100, 'optimizer': 'adamw'}
    """
    from ultralytics.cfg import DEFAULT_CFG_DICT

    parsed = values if isinstance(values, dict) else parse_hyperparameters(values)
    allowed = set(DEFAULT_CFG_DICT) - set(TOOLKIT_KEYS)
    checked: dict[str, Any] = {}
    for key, value in parsed.items():
        if not isinstance(key, str):
            raise InputError("hyperparameters", "string keys", got=key)
        _check_known(key, allowed)
        value = _check_with_ultralytics(key, value)
        checked[key] = _check_extra(key, value)
    _warn_ignored(checked, DEFAULT_CFG_DICT)
    return checked


# ultralytics' 'auto' optimizer picks its own learning rate and momentum: searched with it,
# these would leave every trial training the same settings.
IGNORED_BY_AUTO_OPTIMIZER = ("lr0", "momentum")


def check_search(fixed: dict[str, Any], searched: list[str]) -> None:
    """Refuse a search whose values ultralytics would ignore (``lr0``/``momentum`` searched
    while the optimizer is 'auto', its default).

    Example:
        >>> check_search({"optimizer": "SGD"}, ["lr0"])
        >>> check_search({}, ["lr0"])
        Traceback (most recent call last):
        ...
        synapse_nb.errors.InputError: hyperparameters.optimizer: expected a named optimizer (e.g. SGD or AdamW) to search lr0, got 'auto'. ultralytics' 'auto' optimizer picks its own learning rate and momentum, so every trial would train with the same values
    """
    ignored = [name for name in IGNORED_BY_AUTO_OPTIMIZER if name in searched]
    if not ignored or "optimizer" in searched:
        return
    optimizer = str(fixed.get("optimizer", default_values().get("optimizer", "auto")))
    if optimizer.lower() == "auto":
        raise InputError("hyperparameters.optimizer", f"a named optimizer (e.g. SGD or AdamW) to search "
                         f"{' and '.join(ignored)}", got=optimizer,
                         hint="ultralytics' 'auto' optimizer picks its own learning rate and momentum, so "
                              "every trial would train with the same values")
