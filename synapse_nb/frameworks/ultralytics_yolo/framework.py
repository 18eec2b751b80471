"""The ultralytics YOLO framework object that the registry lists as ``YOLO``.

Example:
    >>> from synapse_nb.frameworks.ultralytics_yolo.framework import framework
    >>> framework.get_model("yolo11n-det").config
    'yolo11n.yaml'
"""

from __future__ import annotations

__all__ = ["TRAIN_ACTION", "YoloFramework", "framework"]

from pathlib import Path
from typing import Any

from synapse_nb.frameworks._framework import Framework
from synapse_nb.frameworks._model_info import ModelInfo
from synapse_nb.frameworks.ultralytics_yolo import hyperparameters
from synapse_nb.frameworks.ultralytics_yolo.autolog import canonical_metric, metric_aliases, metric_names
from synapse_nb.frameworks.ultralytics_yolo._models import DEFAULT_MODEL, FRAMEWORK_NAME, MODELS

TRAIN_ACTION = "synapse_nb.frameworks.ultralytics_yolo.action:YoloTrainAction"


class YoloFramework(Framework):
    """ultralytics YOLO: detection and instance segmentation, hyperparameters checked by ultralytics' rules."""

    def default_hyperparameters(self) -> str:
        """The shipped ``hyperparameters.yaml`` (ultralytics names and defaults, commented).

        Example:
            >>> framework.default_hyperparameters().count("epochs: 100")
            1
        """
        return hyperparameters.default_text()

    def hyperparameter_defaults(self) -> dict[str, Any]:
        """ultralytics' training defaults with the shipped file's values on top (``workers: 0``).

        Example:
            >>> d = framework.hyperparameter_defaults()
            >>> d["epochs"], d["workers"], "data" in d
            (100, 0, False)
        """
        return hyperparameters.all_defaults()

    def hyperparameter_docs(self) -> dict[str, str]:
        """The one-line meaning of each setting, as ultralytics documents it in its default config.

        Example:
            >>> framework.hyperparameter_docs()["epochs"]
            'number of epochs to train for'
        """
        return hyperparameters.docs()

    def check_hyperparameters(self, values: dict[str, Any]) -> dict[str, Any]:
        """Unknown keys, keys the toolkit sets, bad types and ranges are InputErrors naming the key.

        Example:
            >>> framework.validate_hyperparameters("imgsz: 128\\nepochs: 5")
            {'imgsz': 128, 'epochs': 5}
        """
        return hyperparameters.validate(values)

    def canonical_metric(self, name: str) -> str:
        """ultralytics' names (``metrics/mAP50-95(B)``, ``(M)`` forms, ``fitness``) -> ours.

        Example:
            >>> framework.canonical_metric("metrics/mAP50-95(B)")
            'val/mAP50-95'
        """
        return canonical_metric(name)

    def metric_aliases(self) -> dict[str, str]:
        """ultralytics' metric names accepted, and ours they map to."""
        return metric_aliases()

    def check_search(self, fixed: dict[str, Any], searched: list[str]) -> None:
        """A search of ``lr0``/``momentum`` needs a named optimizer ('auto' ignores them).

        Example:
            >>> framework.check_search({"optimizer": "AdamW"}, ["lr0", "batch"])
        """
        hyperparameters.check_search(fixed, searched)

    @property
    def tune_metrics(self) -> tuple[str, ...]:
        """Names a tuning run may optimise: what autolog reports per epoch (``"val/mAP50-95"``...).

        Example:
            >>> "val/mAP50-95" in framework.tune_metrics and "val/mask_mAP50" in framework.tune_metrics
            True
        """
        names = [n for task_type in self.task_types for n in metric_names(task_type)]
        return tuple(dict.fromkeys(names))

    def materialize_base_checkpoint(self, model: ModelInfo, dest: Path) -> tuple[Path, str | None]:
        """Write ``dest/best.pt`` for a base model (local weights, else built from its YAML).

        Example:
            >>> framework.materialize_base_checkpoint(framework.get_model("yolo11n-det"), Path("/tmp/b"))  # doctest: +SKIP
            (PosixPath('/tmp/b/best.pt'), 'no local weights for yolo11n.pt: ... (random initial weights)')
        """
        from synapse_nb.frameworks.ultralytics_yolo.base_checkpoint import materialize_base_checkpoint

        return materialize_base_checkpoint(model, dest)


framework = YoloFramework(
    name=FRAMEWORK_NAME,
    task_types=("object detection", "instance segmentation"),
    models=MODELS,
    train_action=TRAIN_ACTION,
    default_model=DEFAULT_MODEL,
    description="ultralytics YOLO (v8, 11, 26): object detection and instance segmentation, trained offline.",
)
