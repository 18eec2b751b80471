"""Which file a YOLO training starts from: local weights, a checkpoint, or the architecture config.

Offline by default. A model's ``.pt`` is used when it lies in the weights folder
(``$SYNAPSE_NB_HOME/weights`` by default: placed there by hand or by ``synapse-nb weights
pull``); with ``SYNAPSE_NB_ALLOW_DOWNLOADS=1`` a missing released file is pulled first (see
:mod:`synapse_nb.weights`). Otherwise training starts from scratch from the architecture
YAML, with a notice saying so.

Example:
    >>> from synapse_nb.frameworks import resolve_model
    >>> source, notice = resolve_weights(resolve_model("YOLO/yolo11n-det"), Path("/nonexistent"))
    >>> source, notice
    ('yolo11n.yaml', 'no local weights for yolo11n.pt: training from scratch from yolo11n.yaml')
"""

from __future__ import annotations

__all__ = ["default_weights_dir", "resolve_weights"]

import logging
from pathlib import Path

from synapse_nb._home import sub_dir
from synapse_nb.errors import InputError
from synapse_nb.frameworks._model_info import ModelInfo

logger = logging.getLogger(__name__)


def default_weights_dir() -> Path:
    """``$SYNAPSE_NB_HOME/weights``: where users drop released ``.pt`` files to fine-tune from."""
    return sub_dir("weights")


def resolve_weights(model: ModelInfo | str | Path, weights_dir: Path | None = None) -> tuple[str, str | None]:
    """Return ``(what to pass to YOLO(...), notice or None)``.

    ``model`` is a registry model (its ``.pt`` from ``weights_dir`` if present, else its
    architecture YAML plus a notice) or the path of a trained checkpoint (``.pt``) to
    fine-tune or resume from, which must exist.

    Example:
        >>> resolve_weights(Path("/missing/best.pt"))
        Traceback (most recent call last):
        ...
        synapse_nb.errors.InputError: checkpoint: expected an existing .pt checkpoint file, got '/missing/best.pt'
    """
    if not isinstance(model, ModelInfo):
        path = Path(model).expanduser()
        if path.suffix != ".pt" or not path.is_file():
            raise InputError("checkpoint", "an existing .pt checkpoint file", got=str(path))
        return str(path.resolve()), None
    folder = Path(weights_dir) if weights_dir is not None else default_weights_dir()
    local = folder / model.weights
    if not local.is_file():
        _pull_if_allowed(model, folder)
    if local.is_file():
        return str(local.resolve()), None
    notice = f"no local weights for {model.weights}: training from scratch from {model.config}"
    logger.info("%s (run `synapse-nb weights pull %s` or place %s in %s to fine-tune from it)",
                notice, model.name, model.weights, folder)
    return model.config, notice


def _pull_if_allowed(model: ModelInfo, folder: Path) -> None:
    """With ``SYNAPSE_NB_ALLOW_DOWNLOADS=1``, pull a released file the run is missing."""
    from synapse_nb.weights import WeightsDownloadError, downloads_allowed, pull, status_of

    if not downloads_allowed() or status_of(model.weights, folder) != "pullable":
        return
    try:
        pull(model.weights, dest=folder)
    except (WeightsDownloadError, InputError) as exc:
        # The run still trains (from scratch, with the notice); the reason is in the log.
        logger.warning("could not pull %s: %s", model.weights, exc)
