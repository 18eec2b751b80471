"""The YOLO framework plugin: autolog overhead inside a real training, ONNX export and parity.

Run with ``python -m bench yolo`` (``--quick`` for a smaller training).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import BenchResult, timed

TITLE = "YOLO framework: autolog overhead, ONNX export and parity check"
DESCRIPTION = """
A sample project (synthetic shapes, 128 px; 64 images, or 16 with --quick) is written as a
YOLO detection dataset and yolov8n is trained from its YAML on the CPU (5 epochs, or 2)
with autolog sending every loss, metric and learning rate of every epoch to an in-memory
sink. The autolog time is measured inside that training (the epoch hook, timed around each
call; reading the values off the trainer is a few dictionary reads and is not in it) and
held against the training's own wall time in the same run: the baseline is the training it
rides on. ONNX export (`export_onnx`, CPU, fp32) and the parity check (`onnx_parity`:
PyTorch and onnxruntime on 3 letterboxed images, raw outputs compared) are timed on the
trained best.pt, median of 3; their baseline is the training time too, to show what
checking an export adds to a run.
"""


class _Sink:
    def __init__(self) -> None:
        self.count = 0

    def log_metric(self, category: str, key: str, value: float, *, epoch: int | None = None, step: int | None = None) -> None:
        self.count += 1

    def set_progress(self, current: float, total: float, category: str) -> None:
        pass


class _Timed:
    """Wraps an epoch hook and adds up the seconds spent in it."""

    def __init__(self, hook: Any) -> None:
        self.hook, self.seconds, self.calls = hook, 0.0, 0

    def __call__(self, epoch: int, metrics: dict[str, float], trainer: Any) -> None:
        start = time.perf_counter()
        self.hook(epoch, metrics, trainer)
        self.seconds += time.perf_counter() - start
        self.calls += 1


def run(quick: bool) -> list[BenchResult]:
    import synapse_nb  # noqa: F401  (offline environment first)
    from synapse_nb.formats.yolo import write_yolo
    from synapse_nb.frameworks.ultralytics_yolo import SinkAutolog, export_onnx, onnx_parity, train_yolo
    from synapse_nb.samples import generate_sample_project

    images, epochs, imgsz = (16, 2, 128) if quick else (64, 5, 128)
    with tempfile.TemporaryDirectory(prefix="bench-yolo-") as tmp:
        root = Path(tmp)
        raw = generate_sample_project(root / "raw", num_images=images, image_size=imgsz, num_classes=3, seed=0)
        for index, item in enumerate(raw.items):
            item.split = "val" if index % 5 == 0 else "train"
        data = write_yolo(raw, root / "yolo", task="detect")
        sink = _Sink()
        hook = _Timed(SinkAutolog(sink, epochs))
        start = time.perf_counter()
        out = train_yolo(data, "yolov8n.yaml", {"epochs": epochs, "imgsz": imgsz, "batch": 16, "plots": False},
                         root / "run", callbacks=[hook], device="cpu")
        train_s = time.perf_counter() - start
        export_s, onnx_path = timed(lambda: export_onnx(out.best, imgsz, root / "export"), repeat=3)
        parity_s, report = timed(lambda: onnx_parity(out.best, onnx_path, imgsz=imgsz), repeat=3)

    per_epoch_ms = 1000 * hook.seconds / max(hook.calls, 1)
    overhead = hook.seconds / train_s
    return [
        BenchResult(
            name=f"autolog time per epoch ({sink.count // max(hook.calls, 1)} values)",
            value=per_epoch_ms,
            unit="ms",
            baseline_name=f"training wall time, {epochs} epochs",
            baseline_value=train_s,
            ratio=overhead,
            goal="autolog < 1 % of training time",
            met=overhead < 0.01,
            notes="autolog ratio = total autolog seconds / training seconds in the same run",
            extra={"epochs": epochs, "images": images, "imgsz": imgsz, "calls": hook.calls},
        ),
        BenchResult(
            name="ONNX export (CPU, fp32)",
            value=export_s,
            unit="s",
            baseline_name="training wall time",
            baseline_value=train_s,
            ratio=export_s / train_s,
        ),
        BenchResult(
            name="ONNX parity check (3 images)",
            value=parity_s,
            unit="s",
            baseline_name="training wall time",
            baseline_value=train_s,
            ratio=parity_s / train_s,
            goal="parity passes",
            met=report.passed,
            notes=f"parity max abs diff {report.max_abs_diff:.2g} (atol {report.atol}, rtol {report.rtol})",
        ),
    ]
