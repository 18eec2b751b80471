"""In-memory stand-ins for the parts that receive training output (a sink, an epoch hook)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Tiny trainings: 64 px images, small batches, no plots (the offline test turns plots on).
IMGSZ = 64
TINY: dict[str, Any] = {"imgsz": IMGSZ, "batch": 4, "workers": 0, "plots": False, "seed": 0}


@dataclass
class ListSink:
    """A MetricSink that keeps everything in memory."""

    metrics: list[tuple[str, str, float, int | None]] = field(default_factory=list)
    progress: list[tuple[float, float, str]] = field(default_factory=list)

    def log_metric(self, category: str, key: str, value: float, *, epoch: int | None = None, step: int | None = None) -> None:
        self.metrics.append((category, key, value, epoch))

    def set_progress(self, current: float, total: float, category: str) -> None:
        self.progress.append((current, total, category))

    def keys(self, category: str) -> set[str]:
        return {k for c, k, _, _ in self.metrics if c == category}

    def epochs(self) -> list[int | None]:
        return sorted({e for *_, e in self.metrics}, key=lambda e: -1 if e is None else e)


@dataclass
class Recorder:
    """A YoloEpochCallback that records what it saw, including the trainer's own loss names."""

    calls: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    loss_names: tuple[str, ...] = ()

    def __call__(self, epoch: int, metrics: dict[str, float], trainer: Any) -> None:
        self.calls.append((epoch, metrics))
        self.loss_names = tuple(trainer.loss_names)
