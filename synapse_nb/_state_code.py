"""Render a TrainState as the equivalent ``TrainApi.run(...)`` notebook cell.

Executing the rendered code submits a TrainState equal to the one it came from (tested).
Only fields that differ from their defaults are written, so the cell reads like one a
person would type.
"""

from __future__ import annotations

import keyword
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synapse_nb.state import TrainState

# TrainApi.run's parameters, in its order (the Supervisely TrainApi's, then tuning).
_ORDER = [
    "classes", "train_val_split", "hyperparameters", "experiment_name", "convert_class_shapes",
    "enable_benchmark", "enable_speedtest", "cache_project", "export_onnx", "export_tensorrt",
    "autostart", "search_space", "tune_config", "num_cpus", "num_gpus", "plugin", "data_path", "plugin_params",
]


def _yaml_literal(text: str) -> str:
    """A readable triple-quoted literal when safe, else repr()."""
    if '"""' in text or "\\" in text or text.endswith('"'):
        return repr(text)
    body = text if text.endswith("\n") else text + "\n"
    return '"""\\\n' + body + '"""'


def _literal(value: Any) -> str:
    return repr(value)


def render_state_code(state: TrainState) -> str:
    """Python source of a notebook cell that submits ``state`` with ``TrainApi.run``."""
    fields = type(state).model_fields
    args: list[str] = []
    agent = "api.agent.local()" if state.agent_id is None else repr(state.agent_id)
    args.append(f"agent_id={agent}")
    if state.project_id is not None:
        args.append(f"project_id={state.project_id!r}")
    args.append(f"model={state.model!r}")
    for name in _ORDER:
        value = getattr(state, name)
        default = fields[name].get_default(call_default_factory=True)
        if value == default:
            continue
        if name == "train_val_split":
            text = value.to_code()
        elif name == "hyperparameters":
            text = _yaml_literal(value)
        elif name == "search_space":
            text = _literal(value.to_payload())
        elif name == "tune_config":
            text = _literal(value.model_dump(exclude_none=True))
        else:
            text = _literal(value)
        assert name.isidentifier() and not keyword.iskeyword(name)
        args.append(f"{name}={text}")
    body = ",\n".join(f"    {a}" for a in args)
    return (
        "import synapse_nb as snb\n\n"
        "api = snb.Api.from_env()\n"
        f"task = snb.TrainApi(api).run(\n{body},\n)\n"
    )
