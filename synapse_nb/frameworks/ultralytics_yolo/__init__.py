"""The built-in ultralytics YOLO framework: models, hyperparameters, training, autolog, export.

Importing this package is light; ultralytics and torch load inside the functions that need
them. ``framework`` is the object the registry lists as ``YOLO`` (and the target of the
``synapse_nb.frameworks`` entry point ``YOLO``).

Example:
    >>> from synapse_nb.frameworks.ultralytics_yolo import framework
    >>> [m.name for m in framework.models][:2]
    ['yolov8n-det', 'yolov8s-det']
"""

from __future__ import annotations

from synapse_nb.frameworks.ultralytics_yolo.autolog import (
    SinkAutolog,
    YoloEpochCallback,
    attach_autolog,
    attach_epoch_callbacks,
    autolog_callbacks,
    epoch_callbacks,
    epoch_metrics,
    metric_names,
    readable_metric,
)
from synapse_nb.frameworks.ultralytics_yolo.export import (
    OutputParity,
    ParityReport,
    compare_arrays,
    export_onnx,
    onnx_parity,
    sample_images,
    tensorrt_available,
)
from synapse_nb.frameworks.ultralytics_yolo.framework import YoloFramework, framework
from synapse_nb.frameworks.ultralytics_yolo.train import TrainOutput, default_device, train_yolo
from synapse_nb.frameworks.ultralytics_yolo.weights import default_weights_dir, resolve_weights

__all__ = [
    "OutputParity",
    "ParityReport",
    "SinkAutolog",
    "TrainOutput",
    "YoloEpochCallback",
    "YoloFramework",
    "attach_autolog",
    "attach_epoch_callbacks",
    "autolog_callbacks",
    "compare_arrays",
    "default_device",
    "default_weights_dir",
    "epoch_callbacks",
    "epoch_metrics",
    "export_onnx",
    "framework",
    "metric_names",
    "onnx_parity",
    "readable_metric",
    "resolve_weights",
    "sample_images",
    "tensorrt_available",
    "train_yolo",
]
