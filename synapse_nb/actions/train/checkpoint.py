"""Resolve a train action's checkpoint to ``{path, category, id, name, ...}``.

``checkpoint`` (or the state's ``model``) may be a model id from the registry (downloaded
and verified), a "Framework/name" of a base model, or a local path. ``path`` is a folder
holding the weights file (``weights``), so plugins written for the Synapse SDK
(``YOLO(checkpoint['path'] / 'best.pt')``) work unchanged. A base model with no local
weights starts from the framework's model config with a clear notice, never a download.

Example:
    >>> describe({"category": "base", "name": "yolo11n-det", "path": "/c"})
    'base checkpoint yolo11n-det (/c)'
"""

from __future__ import annotations

__all__ = ["describe", "resolve_checkpoint"]

import shutil
from pathlib import Path
from typing import Any

from synapse_nb._home import sub_dir
from synapse_nb._locks import file_lock
from synapse_nb.errors import InputError
from synapse_nb.state import parse_model_ref


def describe(checkpoint: dict[str, Any]) -> str:
    """One line for logs."""
    return f"{checkpoint['category']} checkpoint {checkpoint['name']} ({checkpoint['path']})"


def resolve_checkpoint(context: Any) -> dict[str, Any] | None:
    """The checkpoint of the task: params['checkpoint'], else the state's model, else None."""
    ref = context.params.get("checkpoint")
    if ref is None and context.state is not None:
        ref = context.state.model
    if ref is None:
        return None
    parsed = parse_model_ref(ref)
    if parsed.kind == "model_id":
        return _from_registry(context, parsed.model_id)
    if parsed.kind == "path":
        return _from_path(Path(parsed.path).expanduser())
    return _base_model(context, f"{parsed.framework}/{parsed.name}")


def _from_registry(context: Any, model_id: int) -> dict[str, Any]:
    record = context.client.model.get(model_id)
    dest = sub_dir("cache", "models", str(model_id))
    with file_lock(dest.parent / f".{model_id}.lock"):
        if not (dest / ".complete").is_file():
            context.client.model.download(model_id, dest)
            (dest / ".complete").write_text("ok")
    weights = dest / record.weights if record.weights else None
    folder = weights.parent if weights is not None else dest
    if weights is not None and weights.name != "best.pt" and not (folder / "best.pt").exists():
        shutil.copy2(weights, folder / "best.pt")
    return {
        "path": folder,
        "weights": weights,
        "category": record.category,
        "id": record.id,
        "name": record.name,
        "framework": record.framework,
        "model_name": record.model_name,
        "model_dir": dest,
    }


def _from_path(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise InputError("checkpoint", "a checkpoint file or folder that exists on the agent", got=str(path))
    weights = path if path.is_file() else next((p for p in (path / "best.pt", path / "last.pt") if p.is_file()), None)
    return {"path": path.parent if path.is_file() else path, "weights": weights, "category": "trained",
            "id": None, "name": path.stem if path.is_file() else path.name, "framework": None, "model_name": None}


def _base_model(context: Any, reference: str) -> dict[str, Any]:
    from synapse_nb.frameworks import get_framework, resolve_model

    info = resolve_model(reference)
    framework = get_framework(info.framework)
    materialize = getattr(framework, "materialize_base_checkpoint", None)
    if materialize is None:
        raise InputError("model", f"a framework that provides base checkpoints ({framework.name} does not)",
                         got=reference)
    dest = sub_dir("cache", "base_models", info.framework, info.name)
    with file_lock(dest.parent / f".{info.name}.lock"):
        weights, notice = materialize(info, dest)
    if notice:
        context.run.log(notice, level="WARNING")
    else:
        context.run.log(f"{info.ref}: fine-tuning from its pretrained weights")
    return {"path": dest, "weights": Path(weights), "category": "base", "id": None, "name": info.name,
            "framework": info.framework, "model_name": info.name, "notice": notice}
