"""ONNX and TensorRT export of trained YOLO weights, the ONNX parity check, TensorRT availability.

:func:`export_onnx` writes ``<dest_dir>/<weights stem>.onnx`` (temp name, then rename) and
never installs anything. :func:`onnx_parity` runs the PyTorch model and onnxruntime on the
same preprocessed images and compares the raw network outputs element by element, like
``numpy.allclose``: an element passes when ``|onnx - torch| <= atol + rtol * |torch|``. The
defaults (``atol=1e-3``, ``rtol=1e-3``) suit fp32 graphs: YOLO outputs mix class scores in
[0, 1] (held to 1e-3) with box coordinates in pixels (held to 0.1 % of their value, under a
pixel at 640); an fp16 export needs about ``atol=rtol=2e-2``.

Example:
    >>> onnx_path = export_onnx(Path("runs/a/weights/best.pt"), 640, Path("export"))  # doctest: +SKIP
    >>> onnx_parity(Path("runs/a/weights/best.pt"), onnx_path, imgsz=640).passed  # doctest: +SKIP
    True
"""

from __future__ import annotations

__all__ = [
    "OutputParity", "ParityReport", "TENSORRT_REASON", "align_queries", "compare_arrays", "export_onnx",
    "export_tensorrt", "is_set_predictor", "onnx_parity", "sample_images", "tensorrt_available",
]

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from synapse_nb._offline import configure_ultralytics
from synapse_nb.errors import InputError, StepFailed

logger = logging.getLogger(__name__)

TENSORRT_REASON = "TensorRT needs an NVIDIA GPU and the tensorrt package"


def _check_weights(weights: Path) -> Path:
    path = Path(weights).expanduser().resolve()
    if path.suffix != ".pt" or not path.is_file():
        raise InputError("weights", "an existing .pt weights file", got=str(weights))
    return path


def _check_imgsz(imgsz: int) -> int:
    if isinstance(imgsz, bool) or not isinstance(imgsz, int) or imgsz < 32:
        raise InputError("imgsz", "an integer image size of at least 32 pixels", got=imgsz)
    return imgsz


def export_onnx(weights: Path, imgsz: int, dest_dir: Path, opset: int | None = None, half: bool = False) -> Path:
    """Export ``weights`` (a YOLO ``.pt``) to ONNX at a fixed ``imgsz``; returns the ``.onnx`` path.

    Runs on the CPU; ``half=True`` stores fp16 weights (inputs and outputs stay fp32).
    ``opset`` defaults to the best one for the installed torch. The weights' own folder is
    left untouched: the export happens on a copy in a temporary folder inside ``dest_dir``.

    Example:
        >>> export_onnx(Path("runs/a/weights/best.pt"), 640, Path("export")).name  # doctest: +SKIP
        'best.onnx'
    """
    source = _check_weights(weights)
    imgsz = _check_imgsz(imgsz)
    if opset is not None and (isinstance(opset, bool) or not isinstance(opset, int) or opset < 7):
        raise InputError("opset", "an ONNX opset number (e.g. 17) or None for the default", got=opset)
    kwargs: dict[str, Any] = {"format": "onnx", "imgsz": imgsz, "device": "cpu", "simplify": True}
    if opset is not None:
        kwargs["opset"] = opset
    if half:
        kwargs["quantize"] = 16
    return _export_copy(source, dest_dir, ".onnx", "ONNX file", kwargs)


def _export_copy(source: Path, dest_dir: Path, suffix: str, what: str, kwargs: dict[str, Any]) -> Path:
    """Export a copy of ``source`` with ultralytics (``kwargs``), then rename it into ``dest_dir``."""
    configure_ultralytics()
    from synapse_nb.frameworks.ultralytics_yolo._load import load_model

    dest_dir = Path(dest_dir).expanduser().resolve()
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / f"{source.stem}{suffix}"
    # Inside dest_dir so the final rename stays on one file system.
    with tempfile.TemporaryDirectory(prefix=".export-", dir=dest_dir) as tmp:
        copy = Path(tmp) / source.name
        shutil.copyfile(source, copy)
        produced = load_model(str(copy)).export(**kwargs)
        if not produced or not Path(produced).is_file():
            raise StepFailed("export", f"ultralytics produced no {what} for {source}")
        os.replace(produced, target)
    return target


def export_tensorrt(weights: Path, imgsz: int, dest_dir: Path, device: str, half: bool = False) -> Path:
    """Build a TensorRT engine of ``weights`` on the GPU ``device``; returns ``<dest_dir>/<stem>.engine``.

    Needs an NVIDIA GPU and the ``tensorrt`` package (``synapse_nb[gpu]``); see
    :func:`tensorrt_available`. Like :func:`export_onnx`, it works on a copy of the weights.
    """
    source = _check_weights(weights)
    imgsz = _check_imgsz(imgsz)
    ok, reason = tensorrt_available()
    if not ok:
        raise StepFailed("export_model", reason)
    kwargs: dict[str, Any] = {"format": "engine", "imgsz": imgsz, "device": device, "half": half}
    return _export_copy(source, dest_dir, ".engine", "TensorRT engine", kwargs)


class OutputParity(BaseModel):
    """How one network output compares."""

    model_config = ConfigDict(extra="forbid")

    name: str
    shape: list[int]
    max_abs_diff: float
    max_rel_diff: float = Field(description="max_abs_diff / max |torch output| (relative to the output's scale)")
    passed: bool


class ParityReport(BaseModel):
    """PyTorch vs onnxruntime on the same preprocessed images."""

    model_config = ConfigDict(extra="forbid")

    weights: Path
    onnx_path: Path = Field(description="the exported file checked (.onnx, or .engine for TensorRT)")
    images: int = Field(ge=1)
    imgsz: int
    atol: float
    rtol: float
    outputs: list[OutputParity]
    max_abs_diff: float
    max_rel_diff: float
    passed: bool
    runtime: str = Field(default="onnxruntime", description="what ran the export: 'onnxruntime' or 'tensorrt'")
    provider: str | None = Field(default=None, description="the execution provider the export actually ran on")
    device: str = "cpu"

    def summary(self) -> str:
        """One line for a log: the verdict, the largest differences, what was compared.

        Example:
            >>> out = OutputParity(name="output0", shape=[1, 7, 84], max_abs_diff=2e-4, max_rel_diff=1e-6, passed=True)
            >>> ParityReport(weights="best.pt", onnx_path="best.onnx", images=3, imgsz=64, atol=1e-2, rtol=1e-3,
            ...              outputs=[out], max_abs_diff=2e-4, max_rel_diff=1e-6, passed=True).summary()
            'passed: max abs diff 0.0002, max rel diff 1e-06 on 3 images of 64 px (output0 [1, 7, 84])'
        """
        verdict = "passed" if self.passed else "FAILED"
        outputs = ", ".join(f"{o.name} {o.shape}" for o in self.outputs)
        ran_on = f", {self.provider}" if self.provider else ""
        return (f"{verdict}: max abs diff {self.max_abs_diff:.3g}, max rel diff {self.max_rel_diff:.3g} "
                f"on {self.images} images of {self.imgsz} px ({outputs}{ran_on})")


def sample_images(count: int = 3, seed: int = 0) -> list[np.ndarray]:
    """Deterministic test images (HWC, uint8, BGR): noise with bright boxes, mixed aspect ratios.

    Example:
        >>> [im.shape for im in sample_images(2)]
        [(480, 640, 3), (640, 400, 3)]
    """
    rng = np.random.default_rng(seed)
    shapes = [(480, 640), (640, 400), (512, 512)]
    images = []
    for index in range(count):
        height, width = shapes[index % len(shapes)]
        image = rng.integers(0, 80, (height, width, 3), dtype=np.uint8)
        for _ in range(3):
            h, w = int(rng.integers(height // 8, height // 3)), int(rng.integers(width // 8, width // 3))
            y, x = int(rng.integers(0, height - h)), int(rng.integers(0, width - w))
            image[y : y + h, x : x + w] = rng.integers(120, 255, 3, dtype=np.uint8)
        images.append(image)
    return images


def _preprocess(image: np.ndarray, imgsz: int) -> np.ndarray:
    """Letterbox to ``imgsz`` the way ultralytics predicts; BGR HWC uint8 -> RGB NCHW float32 in [0, 1]."""
    from ultralytics.data.augment import LetterBox

    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InputError("images", "HxWx3 uint8 arrays (BGR, as cv2.imread returns)", got=f"{image.shape} {image.dtype}")
    boxed = LetterBox(new_shape=(imgsz, imgsz), auto=False, stride=32)(image=image)
    chw = boxed[..., ::-1].transpose(2, 0, 1)
    return np.ascontiguousarray(chw, dtype=np.float32)[None] / 255.0


def _flatten(output: Any) -> list[np.ndarray]:
    if isinstance(output, (list, tuple)):
        return [array for item in output for array in _flatten(item)]
    return [output.detach().cpu().float().numpy()]


def _torch_outputs(model: Any, batch: np.ndarray, device: Any = None) -> list[np.ndarray]:
    import torch

    with torch.inference_mode():
        tensor = torch.from_numpy(batch)
        result = model(tensor if device is None else tensor.to(device))
    # Outside export mode the heads return (what ONNX returns, raw training-style extras): a
    # dict for YOLO heads, a tuple of decoder outputs for RT-DETR.
    extras = isinstance(result, (list, tuple)) and len(result) == 2 and isinstance(result[-1], (dict, list, tuple))
    exported = result[0] if extras else result
    return _flatten(exported)


def compare_arrays(reference: np.ndarray, produced: np.ndarray, atol: float, rtol: float) -> tuple[float, float, bool]:
    """``(max |difference|, max |reference|, every element within atol + rtol * |reference|)``.

    A NaN or inf on either side fails and counts as an infinite difference.

    Example:
        >>> compare_arrays(np.array([1.0, 100.0]), np.array([1.0005, 100.05]), atol=1e-3, rtol=1e-3)
        (0.04999999999999716, 100.0, True)
        >>> compare_arrays(np.array([1.0]), np.array([np.nan]), atol=1e-3, rtol=1e-3)
        (inf, 1.0, False)
    """
    finite = np.isfinite(reference) & np.isfinite(produced)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(finite, np.abs(produced - reference), np.inf)
    close = bool(finite.all()) and bool(np.all(diff <= atol + rtol * np.abs(reference)))
    worst = float(diff.max(initial=0.0))
    scale = float(np.abs(reference[np.isfinite(reference)]).max(initial=0.0))
    return worst, scale, close


def align_queries(reference: np.ndarray, produced: np.ndarray) -> np.ndarray:
    """``produced``'s rows reordered to best match ``reference``'s, for set outputs (RT-DETR).

    RT-DETR's decoder outputs a set of queries (``[1, queries, 4 + classes]``) picked by a
    top-k over encoder scores: where scores tie, two runtimes may list the same queries in
    another order. The rows are paired one to one by the assignment with the least total
    difference (the Hungarian method), then compared as usual.

    Example:
        >>> ref = np.array([[[0.1, 0.9], [0.5, 0.2]]])
        >>> align_queries(ref, ref[:, ::-1]).tolist() == ref.tolist()
        True
    """
    if reference.ndim != 3 or reference.shape != produced.shape or reference.shape[0] != 1:
        return produced
    from scipy.optimize import linear_sum_assignment

    cost = np.abs(reference[0][:, None, :] - produced[0][None, :, :]).max(axis=-1)
    rows, cols = linear_sum_assignment(np.nan_to_num(cost, nan=np.inf, posinf=1e30))
    aligned = produced.copy()
    aligned[0, rows] = produced[0, cols]
    return aligned


def is_set_predictor(model: Any) -> bool:
    """Whether a loaded ultralytics model outputs an unordered set of queries (RT-DETR)."""
    return type(model).__name__ == "RTDETR"


def onnx_parity(
    weights: Path,
    onnx_path: Path,
    images: list[np.ndarray] | None = None,
    imgsz: int = 640,
    atol: float = 1e-3,
    rtol: float = 1e-3,
) -> ParityReport:
    """Compare the raw outputs of ``weights`` (PyTorch, CPU, fp32) and ``onnx_path`` (onnxruntime, CPU).

    ``images`` are BGR uint8 arrays (default: :func:`sample_images`), letterboxed to
    ``imgsz``, which must be the size the ONNX model was exported at.

    Example:
        >>> report = onnx_parity(Path("best.pt"), Path("export/best.onnx"), imgsz=640)  # doctest: +SKIP
        >>> report.passed, report.max_abs_diff < 1e-3  # doctest: +SKIP
        (True, True)
    """
    source = _check_weights(weights)
    onnx_path = Path(onnx_path).expanduser().resolve()
    if not onnx_path.is_file():
        raise InputError("onnx_path", "an existing .onnx file", got=str(onnx_path))
    imgsz = _check_imgsz(imgsz)
    images = sample_images() if images is None else list(images)
    if not images:
        raise InputError("images", "at least one image", got=[])
    configure_ultralytics()
    import onnxruntime

    from synapse_nb.frameworks.ultralytics_yolo._load import load_model

    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    provider = str(session.get_providers()[0])
    model_input = session.get_inputs()[0]
    expected = [d for d in model_input.shape[2:] if isinstance(d, int)]
    if expected and expected != [imgsz, imgsz]:
        raise InputError("imgsz", f"the size the ONNX model was exported at ({expected})", got=imgsz)
    loaded = load_model(str(source))
    set_output = is_set_predictor(loaded)
    model = loaded.model.float().eval()
    names = [out.name for out in session.get_outputs()]

    abs_diff = [0.0] * len(names)
    scale = [0.0] * len(names)
    ok = [True] * len(names)
    shapes: list[list[int]] = [[] for _ in names]
    for image in images:
        batch = _preprocess(image, imgsz)
        reference = _torch_outputs(model, batch)
        produced = session.run(None, {model_input.name: batch})
        if len(reference) != len(produced):
            raise StepFailed("onnx parity", f"PyTorch gives {len(reference)} outputs, ONNX {len(produced)} ({names})")
        for i, (ref, got) in enumerate(zip(reference, produced)):
            got = np.asarray(got, dtype=np.float32)
            got = align_queries(ref, got) if set_output else got
            if ref.shape != got.shape:
                raise StepFailed("onnx parity", f"output {names[i]}: PyTorch shape {ref.shape}, ONNX shape {got.shape}")
            worst, ref_scale, close = compare_arrays(ref, got, atol, rtol)
            shapes[i] = list(ref.shape)
            abs_diff[i] = max(abs_diff[i], worst)
            scale[i] = max(scale[i], ref_scale)
            ok[i] = ok[i] and close
    outputs = [
        OutputParity(
            name=names[i],
            shape=shapes[i],
            max_abs_diff=abs_diff[i],
            max_rel_diff=abs_diff[i] / scale[i] if scale[i] > 0 else abs_diff[i],
            passed=ok[i],
        )
        for i in range(len(names))
    ]
    report = ParityReport(
        weights=source,
        onnx_path=onnx_path,
        images=len(images),
        imgsz=imgsz,
        atol=atol,
        rtol=rtol,
        outputs=outputs,
        max_abs_diff=max(o.max_abs_diff for o in outputs),
        max_rel_diff=max(o.max_rel_diff for o in outputs),
        passed=all(o.passed for o in outputs),
        provider=provider,
    )
    if not report.passed:
        logger.warning("ONNX parity failed for %s: max abs diff %.3g", onnx_path, report.max_abs_diff)
    return report


def tensorrt_available() -> tuple[bool, str]:
    """Whether a TensorRT export can run here, and why not when it cannot.

    Example:
        >>> ok, reason = tensorrt_available()
        >>> ok or reason.startswith("TensorRT needs an NVIDIA GPU and the tensorrt package")
        True
    """
    import torch

    if not torch.cuda.is_available():
        return False, f"{TENSORRT_REASON}: no CUDA GPU is visible to torch"
    try:
        import tensorrt
    except (ImportError, OSError) as exc:
        return False, f"{TENSORRT_REASON}: the tensorrt package cannot be imported ({exc})"
    return True, f"TensorRT {tensorrt.__version__} on {torch.cuda.get_device_name(0)}"
