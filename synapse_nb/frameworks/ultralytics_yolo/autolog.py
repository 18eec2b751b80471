"""Per-epoch metrics from ultralytics training, through its callbacks (nothing is patched).

:func:`attach_epoch_callbacks` adds two callbacks to a ``YOLO`` instance and calls each
:class:`YoloEpochCallback` once per trained epoch with ``(epoch, metrics, trainer)``;
:func:`attach_autolog` is that hook sending every value to a :class:`MetricSink`.

``metrics`` maps ``"category/key"`` to a finite float:

* ``train/<loss>`` for every name in ``trainer.loss_names`` (three for detection, more for
  segmentation and pose: nothing assumes a count), and ``train/lr/pg0``... per parameter group;
* ``val/<loss>`` for every validation loss;
* ``val/<metric>`` for every metric in ``trainer.metrics`` with readable names:
  ``precision``, ``recall``, ``mAP50``, ``mAP50-95`` for boxes and ``mask_mAP50``... for masks;
* ``val_per_class/AP50/<class>`` and ``val_per_class/AP50-95/<class>`` (``mask_AP50``... for
  masks) for every class of the val split, from the validator's own per-class results.

Epochs count from 0 like ``trainer.epoch``. ultralytics fires ``on_fit_epoch_end`` once more
after the final validation of ``best.pt`` (with ``trainer.epoch`` one past the last epoch and no
validation losses); that call is not an epoch and is skipped: only an ``on_fit_epoch_end`` that
follows an ``on_train_epoch_end`` of the same epoch counts. Non-finite values are skipped with
a warning.

Example:
    >>> readable_metric("metrics/mAP50-95(M)")
    ('val', 'mask_mAP50-95')
"""

from __future__ import annotations

__all__ = [
    "PER_CLASS", "SinkAutolog", "ULTRALYTICS_EXAMPLES", "YoloEpochCallback", "attach_autolog",
    "attach_epoch_callbacks", "autolog_callbacks", "canonical_metric", "epoch_callbacks", "epoch_metrics",
    "finite_only", "metric_aliases", "metric_names", "per_class_metrics", "readable_metric",
]

import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from synapse_nb.frameworks.sink import MetricSink

logger = logging.getLogger(__name__)

# ultralytics marks what a metric is measured on with a suffix: (B)oxes, (M)asks, (P)ose keypoints.
_SUFFIX_PREFIX = {"B": "", "M": "mask_", "P": "pose_"}
_METRIC = re.compile(r"^metrics/(?P<name>.+?)(?:\((?P<suffix>[A-Za-z]+)\))?$")


# Loss names differ by architecture (YOLO26 has l1_loss where v8/11 have dfl_loss) and grow
# with the task; the names below are those of the models this plugin offers.
_LOSSES = {
    "object detection": ("box_loss", "cls_loss", "dfl_loss", "l1_loss"),
    "instance segmentation": ("box_loss", "seg_loss", "cls_loss", "dfl_loss", "sem_loss", "l1_loss"),
}
_QUALITY = ("precision", "recall", "mAP50", "mAP50-95")


def metric_names(task_type: str) -> tuple[str, ...]:
    """Every ``"category/key"`` the plugin's models may report per epoch for ``task_type``.

    Which losses appear depends on the architecture; the quality metrics always do.

    Example:
        >>> [n for n in metric_names("instance segmentation") if "mAP50-95" in n]
        ['val/mAP50-95', 'val/mask_mAP50-95']
    """
    quality = [f"val/{m}" for m in _QUALITY] + ["val/fitness"]
    if task_type == "instance segmentation":
        quality += [f"val/mask_{m}" for m in _QUALITY]
    losses = _LOSSES[task_type]
    rates = [f"train/lr/pg{i}" for i in range(3)]
    return (*quality, *(f"val/{n}" for n in losses), *(f"train/{n}" for n in losses), *rates)


class YoloEpochCallback(Protocol):
    """Called once per trained epoch; ``metrics`` maps ``"category/key"`` to a finite float."""

    def __call__(self, epoch: int, metrics: dict[str, float], trainer: Any) -> None:
        """Handle one epoch's metrics (log them, report to Ray Tune, upload a checkpoint...)."""


def readable_metric(name: str) -> tuple[str, str]:
    """``(category, key)`` for one ultralytics metric name.

    Example:
        >>> readable_metric("metrics/precision(B)"), readable_metric("val/dfl_loss")
        (('val', 'precision'), ('val', 'dfl_loss'))
        >>> readable_metric("lr/pg1"), readable_metric("train/seg_loss")
        (('train', 'lr/pg1'), ('train', 'seg_loss'))
    """
    match = _METRIC.match(name)
    if match:
        suffix = match.group("suffix")
        prefix = "" if suffix is None else _SUFFIX_PREFIX.get(suffix, f"{suffix.lower()}_")
        return "val", prefix + match.group("name")
    if name.startswith("lr/"):
        return "train", name
    category, sep, key = name.partition("/")
    if sep and category in ("train", "val") and key:
        return category, key
    return "val", name


# ultralytics' own names of what it measures -> ours (the mapping readable_metric applies), as
# users copy them from results.csv or trainer.metrics; "fitness" is what ultralytics selects
# best.pt by (mAP50-95 for detection, box + mask mAP50-95 for segmentation).
ULTRALYTICS_EXAMPLES = ("metrics/mAP50-95(B)", "metrics/mAP50(B)", "metrics/precision(B)", "metrics/recall(B)",
                        "metrics/mAP50-95(M)", "metrics/mAP50(M)", "metrics/precision(M)", "metrics/recall(M)",
                        "fitness", "train/box_loss", "val/box_loss")


def canonical_metric(name: str) -> str:
    """Our ``"category/key"`` name for a metric named the ultralytics way; other names as given.

    Example:
        >>> canonical_metric("metrics/mAP50-95(B)"), canonical_metric("metrics/recall(M)")
        ('val/mAP50-95', 'val/mask_recall')
        >>> canonical_metric("fitness"), canonical_metric("val/box_loss"), canonical_metric("mAP50")
        ('val/fitness', 'val/box_loss', 'mAP50')
    """
    text = name.strip()
    if text == "fitness":
        return "val/fitness"
    if _METRIC.match(text) or text.startswith("lr/"):
        category, key = readable_metric(text)
        return f"{category}/{key}"
    return name


def metric_aliases() -> dict[str, str]:
    """The ultralytics names accepted wherever a metric is named, and ours they stand for.

    Example:
        >>> metric_aliases()["metrics/mAP50(B)"]
        'val/mAP50'
    """
    return {alias: canonical_metric(alias) for alias in ULTRALYTICS_EXAMPLES if canonical_metric(alias) != alias}


def epoch_metrics(train_losses: Mapping[str, Any], metrics: Mapping[str, Any], lr: Mapping[str, Any]) -> dict[str, float]:
    """Merge one epoch's ultralytics values into ``{"category/key": value}`` (non-finite kept).

    ``train_losses`` is ``trainer.label_loss_items(trainer.tloss)`` (``train/...`` keys),
    ``metrics`` is ``trainer.metrics``, ``lr`` is ``trainer.lr``.

    Example:
        >>> epoch_metrics({"train/box_loss": 1.5}, {"metrics/mAP50(B)": 0.25, "val/box_loss": 1.25},
        ...               {"lr/pg0": 0.01})
        {'train/box_loss': 1.5, 'val/mAP50': 0.25, 'val/box_loss': 1.25, 'train/lr/pg0': 0.01}
    """
    merged: dict[str, float] = {}
    for source in (train_losses, metrics, lr):
        for name, value in source.items():
            category, key = readable_metric(str(name))
            merged[f"{category}/{key}"] = float(value)
    return merged


PER_CLASS = "val_per_class"


def per_class_metrics(metrics: Any) -> dict[str, float]:
    """AP50 and AP50-95 of every class the validator measured (``validator.metrics``: a
    DetMetrics or SegmentMetrics), as ``{"val_per_class/AP50/<class>": value}``.

    A class without instances in the val split has no AP (ultralytics leaves it out of
    ``ap_class_index``), so it has no value here either.

    Example:
        >>> from ultralytics.utils.metrics import DetMetrics
        >>> per_class_metrics(DetMetrics())  # nothing validated yet
        {}
    """
    names = getattr(metrics, "names", None) or {}
    values: dict[str, float] = {}
    for prefix, part in (("", getattr(metrics, "box", None)), ("mask_", getattr(metrics, "seg", None))):
        if part is None or not len(getattr(part, "all_ap", [])):
            continue
        ap50, ap = part.ap50, part.ap
        for position, class_index in enumerate(part.ap_class_index):
            name = str(names.get(int(class_index), int(class_index))) if isinstance(names, dict) else str(class_index)
            values[f"{PER_CLASS}/{prefix}AP50/{name}"] = float(ap50[position])
            values[f"{PER_CLASS}/{prefix}AP50-95/{name}"] = float(ap[position])
    return values


def finite_only(values: Mapping[str, float]) -> tuple[dict[str, float], list[str]]:
    """Split values into the finite ones and the names of the non-finite ones.

    Example:
        >>> finite_only({"a": 1.0, "b": float("nan")})
        ({'a': 1.0}, ['b'])
    """
    kept = {name: value for name, value in values.items() if math.isfinite(value)}
    return kept, [name for name in values if name not in kept]


class _EpochDispatcher:
    """Turns ultralytics' callback events into one call per trained epoch."""

    def __init__(self, callbacks: Sequence[YoloEpochCallback]) -> None:
        self.callbacks = list(callbacks)
        self._trained_epoch: int | None = None

    def on_train_epoch_end(self, trainer: Any) -> None:
        self._trained_epoch = trainer.epoch

    def on_fit_epoch_end(self, trainer: Any) -> None:
        epoch = trainer.epoch
        if self._trained_epoch is None or epoch != self._trained_epoch:
            return  # the extra call after final validation of best.pt: not an epoch
        self._trained_epoch = None
        train_losses = trainer.label_loss_items(trainer.tloss, prefix="train") if trainer.tloss else {}
        values = epoch_metrics(train_losses, trainer.metrics or {}, getattr(trainer, "lr", None) or {})
        fitness = getattr(trainer, "fitness", None)
        if isinstance(fitness, (int, float)):
            values["val/fitness"] = float(fitness)  # ultralytics keeps it apart from trainer.metrics
        validator = getattr(trainer, "validator", None)
        if validator is not None and trainer.metrics:
            values.update(per_class_metrics(getattr(validator, "metrics", None)))
        kept, dropped = finite_only(values)
        if dropped:
            logger.warning("epoch %d: not logging non-finite values of %s", epoch, ", ".join(dropped))
        for callback in self.callbacks:
            callback(epoch, dict(kept), trainer)


def epoch_callbacks(hooks: Sequence[YoloEpochCallback]) -> dict[str, Callable[[Any], None]]:
    """The ultralytics callbacks (event -> function) that call each hook once per trained epoch.

    For registries other than a model's own (e.g. ultralytics' default callbacks); with a
    model at hand, use :func:`attach_epoch_callbacks`.

    Example:
        >>> sorted(epoch_callbacks([]))
        ['on_fit_epoch_end', 'on_train_epoch_end']
    """
    dispatcher = _EpochDispatcher(hooks)
    return {"on_train_epoch_end": dispatcher.on_train_epoch_end, "on_fit_epoch_end": dispatcher.on_fit_epoch_end}


def attach_epoch_callbacks(model: Any, callbacks: Sequence[YoloEpochCallback]) -> None:
    """Call every hook in ``callbacks`` once per trained epoch of ``model`` (a ``YOLO``).

    Example:
        >>> seen = []
        >>> attach_epoch_callbacks(model, [lambda epoch, metrics, trainer: seen.append(epoch)])  # doctest: +SKIP
    """
    for event, function in epoch_callbacks(callbacks).items():
        model.add_callback(event, function)


class SinkAutolog:
    """The autolog hook: every value to ``sink.log_metric``, then epoch progress.

    ``total_epochs`` None takes the trainer's own epoch count.
    """

    def __init__(self, sink: MetricSink, total_epochs: int | None = None) -> None:
        if total_epochs is not None and total_epochs < 1:
            raise ValueError(f"total_epochs must be >= 1, got {total_epochs}")
        self.sink = sink
        self.total_epochs = total_epochs

    def __call__(self, epoch: int, metrics: dict[str, float], trainer: Any) -> None:
        for name, value in metrics.items():
            category, _, key = name.partition("/")
            self.sink.log_metric(category, key, value, epoch=epoch)
        total = self.total_epochs if self.total_epochs is not None else int(trainer.epochs)
        self.sink.set_progress(epoch + 1, total, "train")


def autolog_callbacks(sink: MetricSink, total_epochs: int | None = None) -> dict[str, Callable[[Any], None]]:
    """Autolog as ultralytics callbacks (event -> function), for any callback registry.

    Example:
        >>> class Quiet:
        ...     def log_metric(self, category, key, value, *, epoch=None, step=None): ...
        ...     def set_progress(self, current, total, category): ...
        >>> sorted(autolog_callbacks(Quiet()))
        ['on_fit_epoch_end', 'on_train_epoch_end']
    """
    return epoch_callbacks([SinkAutolog(sink, total_epochs)])


def attach_autolog(model: Any, sink: MetricSink, total_epochs: int | None = None) -> None:
    """Log every epoch's losses, metrics and learning rates of ``model`` to ``sink``.

    Example:
        >>> from ultralytics import YOLO  # doctest: +SKIP
        >>> model = YOLO("yolo11n.yaml")  # doctest: +SKIP
        >>> attach_autolog(model, sink, total_epochs=10)  # doctest: +SKIP
        >>> model.train(data="dataset.yaml", epochs=10)  # doctest: +SKIP
    """
    attach_epoch_callbacks(model, [SinkAutolog(sink, total_epochs)])
