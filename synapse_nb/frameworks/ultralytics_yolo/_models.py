"""The ultralytics models this toolkit offers, by name: YOLOv8, YOLO11 and YOLO26 in every
size (n, s, m, l, x) for detection and instance segmentation, and RT-DETR (l, x) as a second
architecture family for detection.

``params_m`` was measured by building each architecture config for 80 classes with the
installed ultralytics (8.4) on the CPU and counting its parameters; ``size_mb`` estimates the
released ``.pt`` file at 2 bytes per parameter (fp16 weights) plus 0.2 MB of checkpoint data. Every config builds offline
(``YOLO("yolo11n.yaml")``, ``RTDETR("rtdetr-l.yaml")``); weights are used only when a local
``.pt`` exists or was pulled (see :mod:`.weights` and :mod:`synapse_nb.weights`).

Published COCO scores and speeds (``published_map``, ``published_cpu_ms``, ``published_gpu_ms``)
come from ``published.json`` beside this module: ultralytics' own tables, each family's page
named in its ``source``. Models with no published numbers there (YOLO26) have None.

Example:
    >>> next(m.published_map for m in MODELS if m.name == "yolo11n-det")
    39.5
    >>> [m.name for m in MODELS if m.task_type == "instance segmentation"][:3]
    ['yolov8n-seg', 'yolov8s-seg', 'yolov8m-seg']
    >>> len(MODELS), next(m.params_m for m in MODELS if m.name == "rtdetr-l-det")
    (32, 32.97)
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from synapse_nb.frameworks._model_info import ModelInfo

FRAMEWORK_NAME = "YOLO"
DEFAULT_MODEL = "yolo11n-det"


PUBLISHED_FILE = "published.json"


def published_table() -> dict[str, Any]:
    """The published scores shipped with the package: ``{"source", "families", "models"}``.

    Example:
        >>> table = published_table()
        >>> table["families"]["yolo11"]["source"]
        'https://docs.ultralytics.com/models/yolo11/'
    """
    text = resources.files(__package__).joinpath(PUBLISHED_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _published(name: str, table: dict[str, Any]) -> dict[str, Any]:
    row = table["models"].get(name)
    if row is None:
        return {}
    family = table["families"][row["family"]]
    return {"published_map": row["map50_95"], "published_cpu_ms": row.get("cpu_ms"),
            "published_gpu_ms": row.get("gpu_ms"), "published_gpu": family["gpu"],
            "published_source": family["source"]}


def _model(name: str, config: str, weights: str, params_m: float, description: str,
           table: dict[str, Any]) -> ModelInfo:
    task_type = "instance segmentation" if name.endswith("-seg") else "object detection"
    return ModelInfo(
        framework=FRAMEWORK_NAME,
        name=name,
        task_type=task_type,
        config=config,
        weights=weights,
        params_m=params_m,
        size_mb=round(params_m * 2.0 + 0.2, 1),
        description=description,
        **_published(name, table),
    )


# name, architecture config, weights file, measured params (M, 80 classes), description
_TABLE = (
    ("yolov8n-det", "yolov8n.yaml", "yolov8n.pt", 3.16, "YOLOv8 nano detector."),
    ("yolov8s-det", "yolov8s.yaml", "yolov8s.pt", 11.17, "YOLOv8 small detector."),
    ("yolov8m-det", "yolov8m.yaml", "yolov8m.pt", 25.90, "YOLOv8 medium detector."),
    ("yolov8l-det", "yolov8l.yaml", "yolov8l.pt", 43.69, "YOLOv8 large detector."),
    ("yolov8x-det", "yolov8x.yaml", "yolov8x.pt", 68.23, "YOLOv8 extra-large detector."),
    ("yolov8n-seg", "yolov8n-seg.yaml", "yolov8n-seg.pt", 3.41, "YOLOv8 nano instance segmentation."),
    ("yolov8s-seg", "yolov8s-seg.yaml", "yolov8s-seg.pt", 11.82, "YOLOv8 small instance segmentation."),
    ("yolov8m-seg", "yolov8m-seg.yaml", "yolov8m-seg.pt", 27.29, "YOLOv8 medium instance segmentation."),
    ("yolov8l-seg", "yolov8l-seg.yaml", "yolov8l-seg.pt", 46.00, "YOLOv8 large instance segmentation."),
    ("yolov8x-seg", "yolov8x-seg.yaml", "yolov8x-seg.pt", 71.83, "YOLOv8 extra-large instance segmentation."),
    ("yolo11n-det", "yolo11n.yaml", "yolo11n.pt", 2.62, "YOLO11 nano detector."),
    ("yolo11s-det", "yolo11s.yaml", "yolo11s.pt", 9.46, "YOLO11 small detector."),
    ("yolo11m-det", "yolo11m.yaml", "yolo11m.pt", 20.11, "YOLO11 medium detector."),
    ("yolo11l-det", "yolo11l.yaml", "yolo11l.pt", 25.37, "YOLO11 large detector."),
    ("yolo11x-det", "yolo11x.yaml", "yolo11x.pt", 56.97, "YOLO11 extra-large detector."),
    ("yolo11n-seg", "yolo11n-seg.yaml", "yolo11n-seg.pt", 2.88, "YOLO11 nano instance segmentation."),
    ("yolo11s-seg", "yolo11s-seg.yaml", "yolo11s-seg.pt", 10.11, "YOLO11 small instance segmentation."),
    ("yolo11m-seg", "yolo11m-seg.yaml", "yolo11m-seg.pt", 22.42, "YOLO11 medium instance segmentation."),
    ("yolo11l-seg", "yolo11l-seg.yaml", "yolo11l-seg.pt", 27.68, "YOLO11 large instance segmentation."),
    ("yolo11x-seg", "yolo11x-seg.yaml", "yolo11x-seg.pt", 62.14, "YOLO11 extra-large instance segmentation."),
    ("yolo26n-det", "yolo26n.yaml", "yolo26n.pt", 2.57, "YOLO26 nano detector, NMS-free end-to-end head."),
    ("yolo26s-det", "yolo26s.yaml", "yolo26s.pt", 10.01, "YOLO26 small detector, NMS-free end-to-end head."),
    ("yolo26m-det", "yolo26m.yaml", "yolo26m.pt", 21.90, "YOLO26 medium detector, NMS-free end-to-end head."),
    ("yolo26l-det", "yolo26l.yaml", "yolo26l.pt", 26.30, "YOLO26 large detector, NMS-free end-to-end head."),
    ("yolo26x-det", "yolo26x.yaml", "yolo26x.pt", 58.99, "YOLO26 extra-large detector, NMS-free end-to-end head."),
    ("yolo26n-seg", "yolo26n-seg.yaml", "yolo26n-seg.pt", 3.13, "YOLO26 nano instance segmentation, NMS-free end-to-end head."),
    ("yolo26s-seg", "yolo26s-seg.yaml", "yolo26s-seg.pt", 11.51, "YOLO26 small instance segmentation, NMS-free end-to-end head."),
    ("yolo26m-seg", "yolo26m-seg.yaml", "yolo26m-seg.pt", 27.11, "YOLO26 medium instance segmentation, NMS-free end-to-end head."),
    ("yolo26l-seg", "yolo26l-seg.yaml", "yolo26l-seg.pt", 31.52, "YOLO26 large instance segmentation, NMS-free end-to-end head."),
    ("yolo26x-seg", "yolo26x-seg.yaml", "yolo26x-seg.pt", 70.69, "YOLO26 extra-large instance segmentation, NMS-free end-to-end head."),
    ("rtdetr-l-det", "rtdetr-l.yaml", "rtdetr-l.pt", 32.97, "RT-DETR large detector: transformer decoder, NMS-free (Baidu RT-DETR in ultralytics)."),
    ("rtdetr-x-det", "rtdetr-x.yaml", "rtdetr-x.pt", 67.47, "RT-DETR extra-large detector: transformer decoder, NMS-free (Baidu RT-DETR in ultralytics)."),

)

_PUBLISHED = published_table()
MODELS: tuple[ModelInfo, ...] = tuple(_model(*row, table=_PUBLISHED) for row in _TABLE)
