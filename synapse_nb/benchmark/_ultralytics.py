"""Loading an ultralytics YOLO model (``.pt`` or ``.onnx``) for evaluation and the speed test.

ultralytics' AutoBackend runs both: the checkpoint through PyTorch, the export through
onnxruntime, behind the same ``model.predict`` call, so scoring and timing the two use one
code path. ultralytics is imported here only, inside functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from synapse_nb.errors import InputError, MissingDependency

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from synapse_nb.benchmark.speed import SpeedSample

Runtime = Literal["pytorch", "onnxruntime", "tensorrt"]
_SUFFIXES = {".pt": "pytorch", ".onnx": "onnxruntime", ".engine": "tensorrt"}


def check_model_path(model_or_path: Any, field: str = "model_or_path") -> None:
    """Fail fast on a model file that is missing or of a kind we cannot evaluate."""
    if isinstance(model_or_path, (str, Path)):
        path = Path(model_or_path)
        if path.suffix.lower() not in _SUFFIXES:
            raise InputError(field, "a .pt checkpoint, an .onnx export or a TensorRT .engine", got=str(path))
        if not path.is_file():
            raise InputError(field, "an existing model file", got=str(path))


def load_yolo(model_or_path: Any, field: str = "model_or_path") -> Any:
    """Return an ultralytics ``YOLO`` for a model object or a ``.pt`` / ``.onnx`` path.

    Example:
        >>> model = load_yolo("runs/best.onnx")  # doctest: +SKIP
        >>> runtime_of(model)  # doctest: +SKIP
        'onnxruntime'
    """
    check_model_path(model_or_path, field)
    if not isinstance(model_or_path, (str, Path)):
        if not callable(getattr(model_or_path, "predict", None)):
            raise InputError(field, "an ultralytics YOLO model or a .pt / .onnx path", got=type(model_or_path).__name__)
        return model_or_path
    try:
        from synapse_nb._offline import configure_ultralytics

        configure_ultralytics()
        import ultralytics  # noqa: F401  (a clear error when it is missing)
    except ModuleNotFoundError as exc:
        if exc.name != "ultralytics":
            raise
        raise MissingDependency("evaluating a YOLO model", "ultralytics") from exc
    from synapse_nb.frameworks.ultralytics_yolo._load import load_model

    model = load_model(str(model_or_path))
    if model.task == "classify":
        raise InputError(field, "a model that predicts boxes (detect, segment, pose or obb)", got=f"task={model.task}")
    return model


def runtime_of(model: Any) -> Runtime:
    """'onnxruntime' for a YOLO wrapping an ONNX file, 'pytorch' for a PyTorch model."""
    inner = getattr(model, "model", None)
    if isinstance(inner, (str, Path)):
        runtime = _SUFFIXES.get(Path(inner).suffix.lower())
        if runtime is None:
            raise InputError("model_or_path", "a PyTorch model or an ONNX export", got=str(inner))
        return runtime  # type: ignore[return-value]
    return "pytorch"


def onnx_provider(device: str) -> str:
    """The execution provider ultralytics' AutoBackend asks onnxruntime for on ``device``."""
    import onnxruntime

    if str(device) != "cpu" and "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        return "CUDAExecutionProvider"
    return "CPUExecutionProvider"


def class_names_of(model: Any) -> list[str]:
    """The model's class names, by class index."""
    names = getattr(model, "names", None)
    if isinstance(names, dict):
        return [str(names[i]) for i in sorted(names)]
    if isinstance(names, (list, tuple)):
        return [str(n) for n in names]
    raise InputError("class_names", "the model's class names (pass class_names=[...])", got=names)


class YoloPredictor:
    """Runs a YOLO model on one batch of images and reports ultralytics' per-image stage times.

    Calling it with a list of HxWx3 uint8 BGR arrays (OpenCV's layout, what ultralytics
    expects) runs them as one batch and returns a :class:`~synapse_nb.benchmark.speed.SpeedSample`
    taken from ``Results.speed``, which ultralytics measures per image.

    Example:
        >>> predictor = YoloPredictor(load_yolo("best.onnx"), imgsz=640)  # doctest: +SKIP
        >>> predictor([image]).inference_ms  # doctest: +SKIP
        12.3
    """

    def __init__(self, model: Any, imgsz: int, device: str = "cpu", conf: float = 0.25, iou: float = 0.7) -> None:
        self.model = model
        self.imgsz = imgsz
        self.device = device
        self.conf = conf
        self.iou = iou
        self.runtime: Runtime = runtime_of(model)

    @property
    def provider(self) -> str | None:
        """The onnxruntime execution provider serving an ONNX model (None for PyTorch).

        The session's own first provider once a prediction has loaded it, else the one
        AutoBackend asks for on this device.
        """
        if self.runtime != "onnxruntime":
            return None
        backend = getattr(getattr(getattr(self.model, "predictor", None), "model", None), "backend", None)
        session = getattr(backend, "session", None)
        if session is not None and callable(getattr(session, "get_providers", None)):
            return str(session.get_providers()[0])
        return onnx_provider(self.device)

    def __call__(self, images: list[np.ndarray]) -> SpeedSample:
        from synapse_nb.benchmark.speed import SpeedSample

        results = self.model.predict(
            images, imgsz=self.imgsz, device=self.device, conf=self.conf, iou=self.iou, verbose=False, save=False
        )
        speed = results[0].speed
        return SpeedSample(
            preprocess_ms=speed["preprocess"], inference_ms=speed["inference"], postprocess_ms=speed["postprocess"]
        )


def yolo_predictor(model_or_path: Any, imgsz: int, device: str = "cpu") -> YoloPredictor:
    """A speed-test predictor for an ultralytics YOLO model, a ``.pt`` checkpoint or an ``.onnx`` export.

    ``.onnx`` files run through onnxruntime via ultralytics' AutoBackend, so the PyTorch
    model and its export are timed the same way.

    Example:
        >>> from synapse_nb.benchmark.speed import speed_test
        >>> predict = yolo_predictor("experiment/export/best.onnx", imgsz=640)  # doctest: +SKIP
        >>> speed_test(predict, val_images, batch_sizes=(1, 8)).rows[0].runtime  # doctest: +SKIP
        'onnxruntime'
    """
    if not isinstance(imgsz, int) or isinstance(imgsz, bool) or imgsz < 32:
        raise InputError("imgsz", "an integer image size of at least 32", got=imgsz)
    return YoloPredictor(load_yolo(model_or_path), imgsz=imgsz, device=device)
