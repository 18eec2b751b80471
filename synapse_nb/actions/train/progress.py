"""Progress categories of a train action.

Example:
    >>> TrainProgressCategories.TRAIN
    'train'
"""

from __future__ import annotations

__all__ = ["TrainProgressCategories"]


class TrainProgressCategories:
    """Standard progress category names (use with ``set_progress``).

    ``DATASET`` export and conversion, ``TRAIN`` training (or tuning trials),
    ``BENCHMARK`` evaluation and speed test, ``EXPORT`` ONNX/TensorRT export,
    ``MODEL_UPLOAD`` upload to the model registry.
    """

    DATASET = "dataset"
    TRAIN = "train"
    BENCHMARK = "benchmark"
    EXPORT = "export"
    MODEL_UPLOAD = "model_upload"

    @classmethod
    def all(cls) -> list[str]:
        """Every category, in pipeline order."""
        return [cls.DATASET, cls.TRAIN, cls.BENCHMARK, cls.EXPORT, cls.MODEL_UPLOAD]
