"""Running exported models: which ONNX Runtime provider a session really got, and the parity
check of any export (ONNX on a GPU or CPU, a TensorRT engine) against the PyTorch model.

onnxruntime silently falls back to the CPU when the CUDA provider cannot load (the CPU-only
``onnxruntime`` package, a CUDA library missing): what a session *asked for* says nothing,
:func:`session_provider` says what it *got*. Install ``synapse_nb[gpu]`` (onnxruntime-gpu,
tensorrt) for the GPU providers.

:func:`export_parity` runs an export through ultralytics' AutoBackend, the same loader the
evaluation and the speed test use, so a TensorRT engine is checked the way it is later run.

Example:
    >>> onnx_providers("cpu")
    ['CPUExecutionProvider']
    >>> session_provider(onnx_session(Path("best.onnx"), "cuda:0"))  # doctest: +SKIP
    'CUDAExecutionProvider'
"""

from __future__ import annotations

__all__ = [
    "CPU_PROVIDER", "CUDA_PROVIDER", "TENSORRT_PROVIDER", "backend_provider", "export_parity",
    "export_runtime", "onnx_providers", "onnx_session", "session_provider",
]

from pathlib import Path
from typing import Any

import numpy as np

from synapse_nb._offline import configure_ultralytics
from synapse_nb.errors import InputError, StepFailed
from synapse_nb.frameworks.ultralytics_yolo.export import (
    OutputParity,
    ParityReport,
    _check_imgsz,
    _check_weights,
    _flatten,
    _preprocess,
    _torch_outputs,
    align_queries,
    compare_arrays,
    is_set_predictor,
    sample_images,
)

CPU_PROVIDER = "CPUExecutionProvider"
CUDA_PROVIDER = "CUDAExecutionProvider"
TENSORRT_PROVIDER = "TensorrtExecutionProvider"
_EXPORT_SUFFIXES = {".onnx": "onnxruntime", ".engine": "tensorrt"}


def _cuda_index(device: str) -> int | None:
    text = device.strip().lower()
    if text.startswith("cuda"):
        return int(text.partition(":")[2] or 0)
    return int(text.split(",")[0]) if text.replace(",", "").isdigit() else None


def onnx_providers(device: str, available: list[str] | None = None) -> list[str]:
    """The providers to ask for on ``device``: CUDA first on a GPU when onnxruntime has it.

    Example:
        >>> onnx_providers("cuda:0", available=["CUDAExecutionProvider", "CPUExecutionProvider"])
        ['CUDAExecutionProvider', 'CPUExecutionProvider']
        >>> onnx_providers("cuda:0", available=["CPUExecutionProvider"])
        ['CPUExecutionProvider']
    """
    if available is None:
        import onnxruntime

        available = list(onnxruntime.get_available_providers())
    if _cuda_index(device) is not None and CUDA_PROVIDER in available:
        return [CUDA_PROVIDER, CPU_PROVIDER]
    return [CPU_PROVIDER]


def onnx_session(path: Path, device: str = "cpu") -> Any:
    """An ``onnxruntime.InferenceSession`` for ``path`` on ``device`` (see :func:`session_provider`)."""
    import onnxruntime

    path = Path(path)
    if path.suffix != ".onnx" or not path.is_file():
        raise InputError("onnx_path", "an existing .onnx file", got=str(path))
    providers: list[Any] = onnx_providers(device)
    index = _cuda_index(device)
    if providers[0] == CUDA_PROVIDER and index is not None:
        providers[0] = (CUDA_PROVIDER, {"device_id": index})
    return onnxruntime.InferenceSession(str(path), providers=providers)


def session_provider(session: Any) -> str:
    """The execution provider a session actually runs on: the first it got, not the first asked.

    Example:
        >>> import onnxruntime, onnx, onnx.helper as h
        >>> graph = h.make_graph([h.make_node("Identity", ["x"], ["y"])], "g",
        ...     [h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])],
        ...     [h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])])
        >>> model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
        >>> session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        >>> session_provider(session)
        'CPUExecutionProvider'
    """
    providers = list(session.get_providers())
    if not providers:
        raise StepFailed("onnx session", "onnxruntime reports no execution provider for the session")
    return str(providers[0])


def backend_provider(backend: Any) -> str | None:
    """The provider an ultralytics AutoBackend runs an export on: the ONNX session's actual
    provider, ``TensorrtExecutionProvider`` for a TensorRT engine (run by TensorRT's own
    runtime), else None (PyTorch)."""
    inner = getattr(backend, "backend", backend)
    session = getattr(inner, "session", None)
    if session is not None and callable(getattr(session, "get_providers", None)):
        return session_provider(session)
    if getattr(backend, "format", None) == "engine":
        return TENSORRT_PROVIDER
    return None


def export_runtime(path: Path) -> str:
    """``"onnxruntime"`` for ``.onnx``, ``"tensorrt"`` for ``.engine``; else an InputError."""
    runtime = _EXPORT_SUFFIXES.get(Path(path).suffix.lower())
    if runtime is None or not Path(path).is_file():
        raise InputError("exported_path", "an existing .onnx or .engine export", got=str(path))
    return runtime


def export_parity(
    weights: Path,
    exported_path: Path,
    imgsz: int,
    device: str = "cpu",
    images: list[np.ndarray] | None = None,
    atol: float = 1e-3,
    rtol: float = 1e-3,
) -> ParityReport:
    """Compare the raw outputs of ``weights`` (PyTorch, fp32, on ``device``) and an export run by
    ultralytics' AutoBackend on ``device``: ONNX (with the provider it got) or a TensorRT engine.

    TensorRT builds with TF32 or fp16 kernels: ``atol=rtol=1e-2`` suits an fp32 engine.

    Example:
        >>> export_parity(Path("best.pt"), Path("export/best.engine"), 640, "cuda:0", atol=1e-2, rtol=1e-2).passed  # doctest: +SKIP
        True
    """
    source = _check_weights(weights)
    exported_path = Path(exported_path).expanduser().resolve()
    runtime = export_runtime(exported_path)
    imgsz = _check_imgsz(imgsz)
    images = sample_images() if images is None else list(images)
    if not images:
        raise InputError("images", "at least one image", got=[])
    configure_ultralytics()
    import torch
    from ultralytics.nn.autobackend import AutoBackend

    from synapse_nb.frameworks.ultralytics_yolo._load import load_model

    torch_device = torch.device("cuda", _cuda_index(device) or 0) if _cuda_index(device) is not None else torch.device("cpu")
    backend = AutoBackend(str(exported_path), device=torch_device, fp16=False, verbose=False)
    loaded = load_model(str(source))
    set_output = is_set_predictor(loaded)
    model = loaded.model.float().eval().to(torch_device)
    abs_diff: list[float] = []
    scale: list[float] = []
    ok: list[bool] = []
    shapes: list[list[int]] = []
    for image in images:
        batch = _preprocess(image, imgsz)
        reference = _torch_outputs(model, batch, torch_device)
        with torch.inference_mode():
            produced = _flatten(backend(torch.from_numpy(batch).to(torch_device)))
        if len(reference) != len(produced):
            raise StepFailed("export parity", f"PyTorch gives {len(reference)} outputs, the export {len(produced)}")
        if not shapes:
            abs_diff, scale, ok = [0.0] * len(reference), [0.0] * len(reference), [True] * len(reference)
            shapes = [list(r.shape) for r in reference]
        for i, (ref, got) in enumerate(zip(reference, produced)):
            if ref.shape != got.shape:
                raise StepFailed("export parity", f"output {i}: PyTorch shape {ref.shape}, export shape {got.shape}")
            got = align_queries(ref, got) if set_output else got
            worst, ref_scale, close = compare_arrays(ref, got, atol, rtol)
            abs_diff[i], scale[i], ok[i] = max(abs_diff[i], worst), max(scale[i], ref_scale), ok[i] and close
    outputs = [OutputParity(name=f"output{i}", shape=shapes[i], max_abs_diff=abs_diff[i],
                            max_rel_diff=abs_diff[i] / scale[i] if scale[i] > 0 else abs_diff[i], passed=ok[i])
               for i in range(len(shapes))]
    return ParityReport(weights=source, onnx_path=exported_path, images=len(images), imgsz=imgsz, atol=atol,
                        rtol=rtol, outputs=outputs, max_abs_diff=max(o.max_abs_diff for o in outputs),
                        max_rel_diff=max(o.max_rel_diff for o in outputs), passed=all(o.passed for o in outputs),
                        runtime=runtime, provider=backend_provider(backend), device=str(torch_device))
