"""What an agent agrees to execute, checked before a task runs.

Two doors let a payload run code on an agent: ``plugin="module:Class"`` imports a module, and
a PyTorch checkpoint (``.pt``) is a pickle that runs code when loaded. So:

- a plugin must be a framework registered on the agent (built in or installed under the
  entry points) or live in a package the agent was started with (``--allow-plugin PKG``,
  or ``SYNAPSE_NB_ALLOW_PLUGINS=PKG,PKG``);
- a checkpoint must be a file whose sha256 the backend recorded when one of its tasks
  uploaded it, or load with ``torch.load(..., weights_only=True)`` (tensors only), unless the
  agent runs with ``--trust-uploaded-checkpoints``.

Example:
    >>> plugin_allowed("tests.agent.e2e_plugins:LedgerAction", ["tests"])
    True
    >>> plugin_allowed("os:system", ["tests"])
    False
"""

from __future__ import annotations

__all__ = [
    "ALLOW_PLUGINS_ENV", "BUILT_IN", "TaskRefused", "allowed_from_env", "check_checkpoint", "check_plugin",
    "check_task", "plugin_allowed", "weights_only_loads",
]

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ALLOW_PLUGINS_ENV = "SYNAPSE_NB_ALLOW_PLUGINS"
# The built-in frameworks' own modules (e.g. 'synapse_nb.frameworks.ultralytics_yolo.action:...').
BUILT_IN = ("synapse_nb",)


class TaskRefused(Exception):
    """The agent will not run this task; the message says why and which setting allows it."""


def allowed_from_env(environ: dict[str, str] | None = None) -> list[str]:
    """The packages named in ``SYNAPSE_NB_ALLOW_PLUGINS`` (comma separated).

    Example:
        >>> allowed_from_env({"SYNAPSE_NB_ALLOW_PLUGINS": "acme, tests"})
        ['acme', 'tests']
    """
    raw = (os.environ if environ is None else environ).get(ALLOW_PLUGINS_ENV, "")
    return [p.strip() for p in raw.split(",") if p.strip()]


def plugin_allowed(plugin: str, allowed: Iterable[str]) -> bool:
    """Whether ``module:attr`` lies in one of the ``allowed`` packages (or is one)."""
    module = plugin.partition(":")[0]
    return any(module == pkg or module.startswith(pkg + ".") for pkg in allowed)


def check_plugin(state: Any, allowed: list[str]) -> None:
    """Refuse a ``module:Class`` plugin outside the allowlist (a framework name is resolved
    among the registered frameworks only, so it can't import anything else)."""
    plugin = getattr(state, "plugin", None)
    if not plugin or ":" not in plugin or plugin_allowed(plugin, [*BUILT_IN, *allowed]):
        return
    module = plugin.partition(":")[0]
    shown = ", ".join(allowed) or "none"
    raise TaskRefused(
        f"plugin: {plugin!r} is not a framework registered on this agent and its module {module!r} is not "
        f"allowed (allowed packages: {shown}); start the agent with --allow-plugin {module.split('.')[0]} "
        f"(or set {ALLOW_PLUGINS_ENV}) to run it"
    )


def weights_only_loads(path: Path) -> str | None:
    """None if ``path`` loads as plain tensors (``weights_only=True``), else the reason."""
    import pickle

    import torch

    try:
        torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, ValueError, EOFError, AttributeError, TypeError, OSError) as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
    return None


def _refuse_pickle(what: str, reason: str) -> TaskRefused:
    return TaskRefused(
        f"checkpoint: {what} was not uploaded by a task of this backend and is not a plain-tensor file "
        f"(torch.load(weights_only=True) refused it: {reason}). A pickled checkpoint can run any code on this "
        "agent when it is loaded; if you trust whoever uploaded it, start the agent with "
        "--trust-uploaded-checkpoints"
    )


def check_checkpoint(api: Any, state: Any, trust_uploaded: bool) -> None:
    """Refuse a checkpoint that is neither recorded by the backend nor safe to load."""
    if trust_uploaded or getattr(state, "model", None) is None:
        return
    ref = state.model_ref
    if ref.kind == "model_id":
        record = api.model.get(ref.model_id)
        if not record.weights:
            return
        entry = next((f for f in record.files if f.path == record.weights), None)
        if entry is not None and api.tokens.checkpoint_trust(entry.sha256).trusted:
            return
        with tempfile.TemporaryDirectory(prefix="snb-checkpoint-") as tmp:
            api.model.download(record.id, Path(tmp))
            reason = weights_only_loads(Path(tmp) / record.weights)
        if reason is not None:
            raise _refuse_pickle(f"model {record.id} ({record.weights})", reason)
    elif ref.kind == "path":
        path = Path(str(ref.path)).expanduser()
        weights = path if path.is_file() else next((p for p in (path / "best.pt", path / "last.pt") if p.is_file()), None)
        if weights is not None and (reason := weights_only_loads(weights)) is not None:
            raise _refuse_pickle(f"the file {weights}", reason)


def check_task(api: Any, record: Any, allowed_plugins: list[str], trust_uploaded: bool) -> None:
    """Every check, in order; raises :class:`TaskRefused` naming the setting that allows it."""
    from synapse_nb.actions.runner import task_state

    state = task_state(record)
    check_plugin(state, allowed_plugins)
    check_checkpoint(api, state, trust_uploaded)
