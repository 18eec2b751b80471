"""The ultralytics YOLO models this toolkit offers, by name.

``params_m`` was measured by building each architecture config for 80 classes with the
installed ultralytics; ``size_mb`` is the approximate size of ultralytics' released
``.pt`` file (fp16 weights). Every config builds offline (``YOLO("yolo11n.yaml")``);
weights are used only when a local ``.pt`` exists (see :mod:`.weights`).

Example:
    >>> [m.name for m in MODELS if m.task_type == "instance segmentation"]
    ['yolov8n-seg', 'yolo11n-seg']
"""

from __future__ import annotations

from synapse_nb.frameworks._model_info import ModelInfo

FRAMEWORK_NAME = "YOLO"
DEFAULT_MODEL = "yolo11n-det"


def _model(name: str, config: str, weights: str, params_m: float, size_mb: float, description: str) -> ModelInfo:
    task_type = "instance segmentation" if name.endswith("-seg") else "object detection"
    return ModelInfo(
        framework=FRAMEWORK_NAME,
        name=name,
        task_type=task_type,
        config=config,
        weights=weights,
        params_m=params_m,
        size_mb=size_mb,
        description=description,
    )


# name, architecture config, weights file, params (M), size (MB), description
_TABLE = (
    ("yolov8n-det", "yolov8n.yaml", "yolov8n.pt", 3.16, 6.2, "YOLOv8 nano detector: small and fast, a reliable baseline."),
    ("yolov8s-det", "yolov8s.yaml", "yolov8s.pt", 11.17, 21.5, "YOLOv8 small detector: more accurate, about 3x the compute."),
    ("yolo11n-det", "yolo11n.yaml", "yolo11n.pt", 2.62, 5.4, "YOLO11 nano detector: fewer parameters than YOLOv8n."),
    ("yolo11s-det", "yolo11s.yaml", "yolo11s.pt", 9.46, 18.4, "YOLO11 small detector."),
    ("yolo26n-det", "yolo26n.yaml", "yolo26n.pt", 2.57, 5.3, "YOLO26 nano detector: NMS-free end-to-end head."),
    ("yolo26s-det", "yolo26s.yaml", "yolo26s.pt", 10.01, 20.0, "YOLO26 small detector: NMS-free end-to-end head."),
    ("yolov8n-seg", "yolov8n-seg.yaml", "yolov8n-seg.pt", 3.41, 6.7, "YOLOv8 nano instance segmentation."),
    ("yolo11n-seg", "yolo11n-seg.yaml", "yolo11n-seg.pt", 2.88, 5.9, "YOLO11 nano instance segmentation."),
)

MODELS: tuple[ModelInfo, ...] = tuple(_model(*row) for row in _TABLE)
