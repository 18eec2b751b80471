"""A cheap train action for the agent and TrainApi tests: it trains nothing, so a task takes
seconds, yet it runs through the whole engine on a real agent and Ray worker (dataset
export, the train step, export, benchmark, model upload).

Agents load it by name (``tests.agent.e2e_plugins:LedgerAction``; the repository root is on
their PYTHONPATH). Its hyperparameters steer it:

- ``ledger``: a file that gets one JSON line per execution (task id, process, Ray cluster),
  so a test can count how often each task really ran and where;
- ``seconds``: how long "training" takes (it logs a metric every 0.2 s meanwhile);
- ``crash``: ``exit`` kills the worker process (``os._exit``), ``raise`` raises;
- ``fail_in``: ``export_model`` or ``benchmark`` raises in that step.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Literal

from synapse_nb.actions.train import BaseTrainAction, BaseTrainParams


class LedgerParams(BaseTrainParams):
    """What the ledger plugin reads from the task's hyperparameters."""

    ledger: str | None = None
    seconds: float = 0.0
    crash: Literal["exit", "raise"] | None = None
    fail_in: Literal["export_model", "benchmark"] | None = None


def _ray_cluster() -> str | None:
    try:
        import ray

        return ray.get_runtime_context().gcs_address if ray.is_initialized() else None
    except (ImportError, AttributeError):
        return None


class LedgerAction(BaseTrainAction[LedgerParams]):
    """Writes a ledger line and a small weights file; can crash or fail a later step."""

    target_format = None

    def execute(self) -> dict[str, Any]:
        p = self.params
        if p.ledger:
            line = {"task_id": self.runtime.task_id, "pid": os.getpid(), "retry_of": self.runtime.retry_of,
                    "ray": _ray_cluster(), "train_size": self.context.dataset.get("train_size")}
            with open(p.ledger, "a", encoding="utf-8") as ledger:
                ledger.write(json.dumps(line) + "\n")
        if p.crash == "exit":
            os._exit(3)  # the worker process dies, as an OOM kill or a segfault would end it
        if p.crash == "raise":
            raise RuntimeError("the plugin failed on purpose")
        started = time.monotonic()
        step = 0
        while True:
            self.run_logger.log_metric("train", "loss", 1.0 / (step + 1), epoch=step)
            step += 1
            if time.monotonic() - started >= p.seconds:
                break
            time.sleep(0.2)
        weights = self.context.work_dir / "weights" / "model.json"
        weights.parent.mkdir(parents=True, exist_ok=True)
        weights.write_text(json.dumps({"steps": step, "classes": self.context.dataset.get("classes")}))
        self.context.experiment["model_name"] = "ledger"
        return {"weights_path": str(weights), "steps": step}

    def export_model(self, context: Any, formats: list[str]) -> dict[str, Path]:
        if self.params.fail_in == "export_model":
            raise RuntimeError("the exporter failed on purpose")
        out = context.work_dir / "export" / "model.onnx"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(b"not really onnx")
        return {fmt: out for fmt in formats}

    def benchmark(self, context: Any, speedtest: bool) -> dict[str, Any]:
        if self.params.fail_in == "benchmark":
            raise RuntimeError("the evaluation failed on purpose")
        return {"metrics": {"map": 0.5, "map50": 0.75}, "primary_metric": "map"}
