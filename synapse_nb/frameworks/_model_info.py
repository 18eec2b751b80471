"""What the registry knows about one trainable model: :class:`ModelInfo`.

Example:
    >>> info = ModelInfo(framework="YOLO", name="yolo11n-det", task_type="object detection",
    ...                  config="yolo11n.yaml", weights="yolo11n.pt", params_m=2.6, size_mb=5.4)
    >>> (info.ref, info.task, info.published_map)
    ('YOLO/yolo11n-det', 'detect', None)
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TaskType = Literal["object detection", "instance segmentation"]

# The short task names the YOLO/COCO writers and ultralytics use.
_SHORT_TASK: dict[str, Literal["detect", "segment"]] = {
    "object detection": "detect",
    "instance segmentation": "segment",
}


class ModelInfo(BaseModel):
    """One model a framework can train, as users pick it ("Framework/name").

    ``params_m`` is the parameter count in millions of the architecture as built for
    80 classes (it shrinks slightly with fewer classes). ``size_mb`` is the approximate
    size of the released ``.pt`` weights file (fp16 weights, about 2 bytes per parameter
    plus checkpoint overhead); both are for display, never for decisions.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    framework: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=100, description="e.g. 'yolo11n-det'")
    task_type: TaskType
    config: str = Field(min_length=1, description="architecture config, e.g. 'yolo11n.yaml'")
    weights: str = Field(min_length=1, description="weights file name, e.g. 'yolo11n.pt'")
    params_m: float = Field(gt=0)
    size_mb: float = Field(gt=0)
    description: str = ""
    weights_status: Literal["local", "pullable", "scratch"] = Field(
        default="scratch",
        description="'local': pretrained weights here; 'pullable': can be pulled (synapse-nb weights pull); "
                    "'scratch': trains from its config. As of the list_models() call that returned it.",
    )
    # Published scores: what the model's authors report on COCO val2017 (for comparing models,
    # never for decisions); None where they publish nothing.
    published_map: float | None = Field(
        default=None, ge=0, le=100,
        description="published COCO mAP50-95 in percent (mask mAP for segmentation models), or None",
    )
    published_cpu_ms: float | None = Field(default=None, gt=0, description="published CPU (ONNX) time per image, ms")
    published_gpu_ms: float | None = Field(default=None, gt=0, description="published GPU (TensorRT) time per image, ms")
    published_gpu: str | None = Field(default=None, description="the GPU and runtime of published_gpu_ms, e.g. 'T4 TensorRT10'")
    published_source: str | None = Field(default=None, description="where the published numbers come from (a URL)")

    @property
    def ref(self) -> str:
        """The reference users type: ``"Framework/name"``."""
        return f"{self.framework}/{self.name}"

    @property
    def task(self) -> Literal["detect", "segment"]:
        """The short task name (``"detect"`` / ``"segment"``) the dataset writers take."""
        return _SHORT_TASK[self.task_type]
