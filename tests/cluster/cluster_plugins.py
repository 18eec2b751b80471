"""A cheap train action that checkpoints every epoch the way PBT needs: it reports each
epoch with a checkpoint folder (Ray Tune stores it in the experiment storage from the node
the trial runs on) and, when Ray restores the trial from a checkpoint (PBT's exploit, or a
restored search), it goes on from the epoch after it.

Agents load it by name: ``tests.cluster.cluster_plugins:CheckpointScoreAction``. A ledger
line per execution says where it ran and from which epoch it started.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from synapse_nb.actions.train import BaseTrainAction, BaseTrainParams


class CheckpointScoreParams(BaseTrainParams):
    """The trial's hyperparameters."""

    epochs: int = 4
    x: float = 0.5
    epoch_seconds: float = 0.0
    ledger: str | None = None


class CheckpointScoreAction(BaseTrainAction[CheckpointScoreParams]):
    """Score ``1 - (x - 0.8)^2`` grown by the epoch; a checkpoint folder per epoch."""

    target_format = None

    def execute(self, data_path: Path, checkpoint: dict[str, Any] | None) -> dict[str, Any]:
        import ray
        from ray import tune

        p = self.params
        reporter = self.runtime.tune_reporter
        start = 0
        restored = tune.get_checkpoint()
        if restored is not None:
            with restored.as_directory() as folder:
                start = int(json.loads((Path(folder) / "state.json").read_text())["epoch"]) + 1
        start = min(start, p.epochs - 1)
        if p.ledger:
            with open(p.ledger, "a", encoding="utf-8") as ledger:
                ledger.write(json.dumps({"trial_id": self.runtime.trial_id, "x": p.x, "start": start,
                                         "node": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}) + "\n")
        weights = self.context.work_dir / "weights.json"
        score = 0.0
        for epoch in range(start, p.epochs):
            time.sleep(p.epoch_seconds)
            score = round((1.0 - (p.x - 0.8) ** 2) * (epoch + 1) / p.epochs, 6)
            folder = self.context.work_dir / f"checkpoint-{epoch}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "state.json").write_text(json.dumps({"epoch": epoch, "x": p.x}))
            weights.write_text(json.dumps({"x": p.x, "epoch": epoch}))
            self.run_logger.log_metric("val", "score", score, epoch=epoch)
            if reporter is not None:
                reporter.keep_weights(weights)
                reporter.report({"score": score}, epoch=epoch, checkpoint_dir=folder, last=epoch == p.epochs - 1)
        return {"weights_path": str(weights), "score": score}
