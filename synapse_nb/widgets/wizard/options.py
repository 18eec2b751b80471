"""Steps 6 and 7: the model benchmark (evaluation, speed test) and the exports (ONNX, TensorRT).

The speed test is part of the benchmark, so it is disabled while the benchmark is off.
TensorRT is offered only when an online agent reports it can export one; otherwise the box
is disabled and says why (the agent's own reason).

Example:
    >>> ModelBenchmarkStep.title, ExportStep.title
    ('Model benchmark', 'Export')
"""

from __future__ import annotations

__all__ = ["ExportStep", "ModelBenchmarkStep", "NO_TENSORRT", "tensorrt_status"]

from typing import Any

import ipywidgets as w

from synapse_nb.errors import InputError
from synapse_nb.state import TrainState
from synapse_nb.widgets._common import message_html
from synapse_nb.widgets.wizard._card import StepCard, auto_width

NO_TENSORRT = "TensorRT needs an NVIDIA GPU and the tensorrt package on the agent"


class ModelBenchmarkStep(StepCard):
    """Evaluate the trained model on the val split (COCO metrics) and optionally time it."""

    key = "benchmark"
    title = "Model benchmark"

    def build(self) -> list[w.Widget]:
        self.enable = w.Checkbox(value=True, indent=False, layout=auto_width(),
                                 description="Evaluate the trained model on the val split (mAP, per-class AP, PR curves)")
        self.speedtest = w.Checkbox(value=False, indent=False, layout=auto_width(),
                                    description="Speed test (batch 1/8/16 on the val images)")
        self.enable.observe(lambda _c: self._sync(), names="value")
        return [self.enable, self.speedtest]

    def _sync(self) -> None:
        if not self.enable.value:
            self.speedtest.value = False
        self.after_render()

    def after_render(self) -> None:
        self.speedtest.disabled = self.locked or not self.enable.value

    def check(self) -> None:
        if self.speedtest.value and not self.enable.value:
            raise InputError("enable_speedtest", "enable_benchmark=True (the speed test is part of the benchmark)",
                             got=True)

    def summary(self) -> str:
        if not self.enable.value:
            return "no benchmark"
        return "benchmark" + (" with speed test" if self.speedtest.value else ", no speed test")

    def fields(self) -> dict[str, Any]:
        return {"enable_benchmark": self.enable.value, "enable_speedtest": self.speedtest.value}

    def restore(self, state: TrainState) -> None:
        self.enable.value = state.enable_benchmark
        self.speedtest.value = state.enable_speedtest


def tensorrt_status(agents: list[Any]) -> tuple[bool, str]:
    """Whether an online agent can export TensorRT, and why not.

    Example:
        >>> tensorrt_status([])
        (False, 'TensorRT needs an NVIDIA GPU and the tensorrt package on the agent: no agent is online')
    """
    online = [a for a in agents if a.status == "online"]
    if not online:
        return False, f"{NO_TENSORRT}: no agent is online"
    able = [a for a in online if (a.resources or {}).get("tensorrt")]
    if able:
        return True, f"available on {', '.join(a.name for a in able)}"
    reasons = sorted({str((a.resources or {}).get("tensorrt_reason") or NO_TENSORRT) for a in online})
    return False, "; ".join(reasons)


class ExportStep(StepCard):
    """ONNX export (checked against the PyTorch model) and TensorRT where an agent can build it."""

    key = "export"
    title = "Export"

    def build(self) -> list[w.Widget]:
        self.onnx = w.Checkbox(value=False, indent=False, layout=auto_width(), description="Export ONNX (also evaluated with onnxruntime)")
        self.tensorrt = w.Checkbox(value=False, indent=False, layout=auto_width(), description="Export TensorRT engine")
        self.tensorrt_note = w.HTML()
        self._tensorrt_ok = False
        self._tensorrt_reason = NO_TENSORRT
        return [self.onnx, self.tensorrt, self.tensorrt_note]

    def on_activate(self) -> None:
        ok, reason = tensorrt_status(self.ctx.api.agent.list())
        self._tensorrt_ok = ok
        self._tensorrt_reason = reason
        if not ok:
            self.tensorrt.value = False
        self.tensorrt_note.value = message_html("muted" if ok else "warning", ("" if ok else "TensorRT unavailable: ") + reason)

    def after_render(self) -> None:
        self.tensorrt.disabled = self.locked or not self._tensorrt_ok

    def check(self) -> None:
        if self.tensorrt.value and not self._tensorrt_ok:
            raise InputError("export_tensorrt", "an agent that can export TensorRT", got=True,
                             hint=self._tensorrt_reason)

    def summary(self) -> str:
        chosen = [name for name, box in (("ONNX", self.onnx), ("TensorRT", self.tensorrt)) if box.value]
        return "export " + " and ".join(chosen) if chosen else "no export"

    def fields(self) -> dict[str, Any]:
        return {"export_onnx": self.onnx.value, "export_tensorrt": self.tensorrt.value}

    def restore(self, state: TrainState) -> None:
        self.on_activate()
        self.onnx.value = state.export_onnx
        if state.export_tensorrt and not self._tensorrt_ok:
            raise InputError("export_tensorrt", "an agent that can export TensorRT", got=True, hint=self._tensorrt_reason)
        self.tensorrt.value = state.export_tensorrt
