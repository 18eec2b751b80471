"""Checks a TrainState against the backend before it becomes a task.

Everything that can be known before training starts is checked here, so a mistake costs a
second, not an hour: the agent, the project, the classes (unknown ones dropped with a
warning; none left is an error), the model (a misspelled one lists the models that exist),
the YAML hyperparameters and searched names (against the framework's own parameters), the
tune metric, the split (no empty side, no leakage), shape conversion, and TensorRT/GPU
availability on the chosen agent.

Example:
    >>> from synapse_nb.api.preflight import check_state
    >>> callable(check_state)
    True
"""

from __future__ import annotations

__all__ = ["check_agent", "check_state"]

import warnings
from typing import Any

from synapse_nb._plugin_check import check_plugin
from synapse_nb.errors import InputError, NotFoundError
from synapse_nb.state import TrainState


def check_agent(api: Any, agent_id: int | None, field: str = "agent_id") -> Any:
    """The agent ``agent_id`` (default: the local one) if the backend has it online.

    The backend marks an agent offline once its heartbeats stop for its timeout (and then
    fails what it ran), so a task is not handed to an agent known to be gone;
    ``task.wait_started()`` confirms the agent really began the run.

    Example:
        >>> # check_agent(api, 1).name
        >>> # 'gpu-box'
    """
    agent_id = agent_id or api.agent.local()
    try:
        agent = api.agent.get(agent_id)
    except NotFoundError:
        known = [f"{a.id} ({a.name}, {a.status})" for a in api.agent.list()]
        raise InputError(field, f"an agent that exists: {known}", got=agent_id) from None
    if agent.status != "online":
        raise InputError(field, "an online agent", got=f"{agent.id} ({agent.name}) is {agent.status}",
                         hint="start it with `synapse-nb agent`")
    return agent


def _classes(project: Any, state: TrainState) -> list[str] | None:
    names = project.class_names()
    if state.classes is None:
        if not names:
            raise InputError("classes", "a project with at least one class", got=[])
        return None
    unknown = [c for c in state.classes if c not in names]
    kept = [c for c in state.classes if c in names]
    if not kept:
        raise InputError("classes", f"at least one class of project {project.name!r}: {names}", got=state.classes)
    if unknown:
        warnings.warn(f"classes not in project {project.name!r} are ignored: {unknown}", UserWarning, stacklevel=4)
    return kept


def _framework(state: TrainState, api: Any) -> Any:
    """The framework the state trains with, or None for a custom plugin."""
    from synapse_nb.frameworks import get_framework, resolve_model

    if state.plugin and ":" in state.plugin:
        return None
    ref = state.model_ref
    if ref.kind == "pretrained":
        info = resolve_model(str(state.model))
        return get_framework(info.framework)
    if ref.kind == "model_id":
        try:
            record = api.model.get(ref.model_id)
        except NotFoundError:
            raise InputError("model", "a model id of the registry", got=ref.model_id) from None
        return get_framework(record.framework)
    return get_framework(state.plugin) if state.plugin else None


def _shapes(project: Any, classes: list[str] | None, state: TrainState, framework: Any) -> None:
    if state.convert_class_shapes or framework is None:
        return
    task_type = framework.task_type_of(state.model) if hasattr(framework, "task_type_of") else "object detection"
    fits = {"object detection": {"rectangle"}, "instance segmentation": {"polygon", "bitmap"}}.get(task_type)
    if not fits:
        return
    wanted = set(classes or project.class_names())
    mismatched = [c.name for c in project.classes if c.name in wanted and c.shape not in fits]
    if mismatched:
        raise InputError("convert_class_shapes", f"True, or only {sorted(fits)} classes for {task_type}",
                         got=False, hint=f"classes that would need conversion: {mismatched}")


def _tuning(state: TrainState, framework: Any) -> TrainState:
    """Check a search against the framework; returns the state with the tune metric in our
    words (``metrics/mAP50-95(B)`` -> ``val/mAP50-95``)."""
    if not state.is_tune or framework is None:
        return state
    assert state.search_space is not None and state.tune_config is not None
    framework.validate_hyperparameters({**state.hyperparameters_dict, **_search_defaults(state)})
    framework.check_search(state.hyperparameters_dict, list(state.search_space.names))
    given = state.tune_config.metric
    # A multi-objective search names several metrics: each is mapped and checked.
    names = [framework.canonical_metric(m) for m in (given if isinstance(given, list) else [given])]
    metric: str | list[str] = names if isinstance(given, list) else names[0]
    metrics = list(getattr(framework, "tune_metrics", None) or [])
    # Validation quality metrics may be named plainly too ("mAP50" for "val/mAP50").
    metrics += [m.split("/", 1)[1] for m in metrics if m.startswith("val/") and "loss" not in m]
    unknown = [(n, g) for n, g in zip(names, given if isinstance(given, list) else [given]) if n not in metrics]
    if metrics and unknown:
        aliases = framework.metric_aliases()
        hint = ("the framework's own names are accepted too: "
                + ", ".join(f"{alias} = {ours}" for alias, ours in aliases.items())) if aliases else None
        raise InputError("tune_config.metric", f"a metric the {framework.name} framework reports: {list(metrics)}",
                         got=unknown[0][1], hint=hint)
    if metric == given:
        return state
    return state.model_copy(update={"tune_config": state.tune_config.model_copy(update={"metric": metric})})


def _search_defaults(state: TrainState) -> dict[str, Any]:
    """One sample of every searched parameter, to validate the names and types."""
    assert state.search_space is not None
    values: dict[str, Any] = {}
    for param in state.search_space.root:
        options = getattr(param, "options", None)
        values[param.name] = options[0] if options else getattr(param, "min", getattr(param, "mean", None))
    return {k: v for k, v in values.items() if v is not None}


def _plugin(state: TrainState) -> None:
    """A ``module:attr`` plugin importable here is checked here: what it is (a train action
    class, or a function in train or tune argument order) and what it can do (exports, a
    benchmark). One only the agent can import is checked there, before any work."""
    if not state.plugin or ":" not in state.plugin:
        return
    import importlib.util

    module = state.plugin.partition(":")[0]
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        return
    check_plugin(state.plugin, state)


def _resources(agent: Any, state: TrainState) -> None:
    """One task (or, in a search, one trial) must fit on one node of the agent's cluster:
    Ray places it on a single node, so the cluster's totals say nothing about a task of two
    GPUs on a cluster of one-GPU nodes. Agents that report no nodes are judged by totals."""
    from synapse_nb.schemas.agent import NodeCapabilities, node_shortfalls

    resources = agent.resources or {}
    nodes = [NodeCapabilities.model_validate(n) for n in resources.get("nodes") or []]
    if nodes:
        asked = {"cpus": float(state.num_cpus or 0), "gpus": float(state.num_gpus or 0),
                 "tensorrt": bool(state.export_tensorrt)}
        lacking = node_shortfalls(nodes, **asked)  # type: ignore[arg-type]
        if not lacking:
            return
        # Name the setting that alone no node satisfies (else the first asked: the combination).
        fields = {"export_tensorrt": ("tensorrt", "TensorRT"), "num_gpus": ("gpus", "GPUs"), "num_cpus": ("cpus", "CPUs")}
        requested = [f for f, (key, _) in fields.items() if asked[key]]
        alone = [f for f in requested if node_shortfalls(nodes, **{fields[f][0]: asked[fields[f][0]]})]
        field = (alone or requested)[0]
        unit = "one trial" if state.is_tune else "the task"
        want = ", ".join(f"{asked[k]:g} {label}" if k != "tensorrt" else label
                         for f, (k, label) in fields.items() if asked[k])
        raise InputError(field, f"a node with {want} in the cluster of agent {agent.name!r} ({unit} runs on one node)",
                         got=getattr(state, field), hint="; ".join(lacking))
    if state.export_tensorrt and not resources.get("tensorrt"):
        raise InputError("export_tensorrt", f"an agent with TensorRT (agent {agent.name!r} has none)", got=True,
                         hint=resources.get("tensorrt_reason") or "TensorRT needs an NVIDIA GPU and the tensorrt package")
    gpus = float(resources.get("GPU", 0) or 0)
    if state.num_gpus and state.num_gpus > gpus:
        raise InputError("num_gpus", f"at most the {gpus:g} GPUs of agent {agent.name!r}", got=state.num_gpus)
    cpus = float(resources.get("CPU", 0) or 0)
    if state.num_cpus and cpus and state.num_cpus > cpus:
        raise InputError("num_cpus", f"at most the {cpus:g} CPUs of agent {agent.name!r}", got=state.num_cpus)


def check_state(api: Any, state: TrainState) -> TrainState:
    """Validate ``state`` against the backend; return it with ``agent_id`` and ``classes`` settled."""
    agent = check_agent(api, state.agent_id)
    updates: dict[str, Any] = {"agent_id": agent.id}
    _plugin(state)
    framework = _framework(state, api)
    if framework is not None and (state.hyperparameters or state.plugin_params):
        # A framework has no params of its own: a payload's extra keys are checked as the
        # hyperparameters they would have to be (refused, naming the key, when unknown).
        framework.validate_hyperparameters({**state.hyperparameters_dict, **state.plugin_params})
    state = _tuning(state, framework)
    _resources(agent, state)
    if state.project_id is not None:
        try:
            project = api.project.get(state.project_id)
        except NotFoundError:
            raise InputError("project_id", "a project that exists", got=state.project_id) from None
        classes = _classes(project, state)
        if classes is not None:
            updates["classes"] = classes
        _shapes(project, classes, state, framework)
        if not project.item_count:
            raise InputError("project_id", "a project with items", got=f"{project.name!r} is empty")
        # Counted by the backend, where the items are: the check costs the same at 100 or
        # 100,000 items, and raises what ``split(items)`` would.
        api.project.split_counts(state.project_id, state.train_val_split)
    return state.model_copy(update=updates)
