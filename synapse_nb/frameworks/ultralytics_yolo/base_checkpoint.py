"""A base model's checkpoint folder: ``<dest>/best.pt`` from local weights, or built from the
model's architecture config (random initial weights) when none are on this machine.

Giving every checkpoint the same shape — a folder with ``best.pt`` — lets plugins written
for the Synapse SDK (``YOLO(checkpoint['path'] / 'best.pt')``) run unchanged.

Example:
    >>> from synapse_nb.frameworks import resolve_model
    >>> path, notice = materialize_base_checkpoint(resolve_model("YOLO/yolo11n-det"), Path("/tmp/x"))  # doctest: +SKIP
"""

from __future__ import annotations

__all__ = ["materialize_base_checkpoint"]

import shutil
from pathlib import Path

from synapse_nb._atomic import atomic_path
from synapse_nb._offline import configure_ultralytics
from synapse_nb.frameworks._model_info import ModelInfo
from synapse_nb.frameworks.ultralytics_yolo.weights import resolve_weights


def materialize_base_checkpoint(model: ModelInfo, dest: Path) -> tuple[Path, str | None]:
    """Return ``(dest / "best.pt", notice)``; the notice says when no pretrained weights exist."""
    source, notice = resolve_weights(model)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / "best.pt"
    marker = dest / "source.txt"
    if target.is_file() and marker.is_file() and marker.read_text() == source:
        return target, notice
    with atomic_path(target) as tmp:
        if source.endswith(".pt"):
            shutil.copy2(source, tmp)
        else:
            configure_ultralytics()
            from synapse_nb.frameworks.ultralytics_yolo._load import load_model

            load_model(source).save(tmp)
    marker.write_text(source)
    if notice:
        notice = f"{notice} (random initial weights)"
    return target, notice
