"""Load an ultralytics model with the class its architecture needs: :func:`load_model`.

YOLO and RT-DETR share the ultralytics engine but not the trainer, loss or predictor: an
RT-DETR config or checkpoint loaded through ``YOLO(...)`` builds, yet trains and predicts
with YOLO's detection head logic. The architecture is read from the config's name or, for a
checkpoint (``best.pt`` says nothing), from the network class it holds.

Example:
    >>> is_rtdetr("rtdetr-l.yaml"), is_rtdetr("yolo11n.yaml")
    (True, False)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synapse_nb.errors import InputError

_RTDETR_NETWORK = "RTDETRDetectionModel"


def is_rtdetr(source: str | Path) -> bool:
    """Whether a config or weights file name is an RT-DETR architecture (by name only)."""
    return Path(str(source)).name.lower().startswith("rtdetr")


def load_model(source: str | Path) -> Any:
    """``YOLO(source)`` or ``RTDETR(source)``, whichever the architecture is.

    Example:
        >>> type(load_model("rtdetr-l.yaml")).__name__  # doctest: +SKIP
        'RTDETR'
    """
    from ultralytics import RTDETR, YOLO

    text = str(source)
    try:
        if is_rtdetr(text):
            return RTDETR(text)
        model = YOLO(text)
    except FileNotFoundError as exc:
        expected = "a model YAML ultralytics knows (e.g. 'yolo11n.yaml') or a .pt file"
        raise InputError("model", expected, got=text, hint=str(exc)) from None
    if type(model.model).__name__ == _RTDETR_NETWORK:
        # A trained RT-DETR checkpoint under a neutral name (best.pt, last.pt).
        return RTDETR(text)
    return model
