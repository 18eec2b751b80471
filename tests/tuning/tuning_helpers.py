"""What the tuning tests share: submitting a search of the score plugin, reading the ledger,
and looking at a finished search's trials, models and logs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import yaml

import synapse_nb as snb

SCORE_PLUGIN = "tune_plugins:ScoreAction"
WAIT = 600  # seconds: the machine is shared; never a timing assertion, only a generous bound


def score_search(api: Any, agent_id: int, project_id: int, search_space: list[dict[str, Any]],
                 tune_config: dict[str, Any], **fixed: Any) -> Any:
    """Submit a search of the score plugin through ``TrainApi.run``; ``fixed`` are the fixed
    hyperparameters every trial starts from."""
    return snb.TrainApi(api).run(
        agent_id, project_id, plugin=SCORE_PLUGIN, hyperparameters=yaml.safe_dump(fixed),
        search_space=search_space, tune_config=tune_config, num_cpus=1,
    )


def read_ledger(path: Path) -> list[dict[str, Any]]:
    """One record per trial execution (trial_id, x, y, pid)."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def trials_by_id(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The result's trial_models by trial id."""
    return {t["trial_id"]: t for t in result["trial_models"]}


def wait_for(predicate: Any, timeout: float = WAIT, poll: float = 0.3) -> Any:
    """Poll ``predicate`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise TimeoutError(f"still waiting after {timeout} s")


def upload_lines(task: Any) -> dict[str, str]:
    """Trial id -> the log line its own run wrote when it registered its model."""
    logs = task.logs()
    lines = logs[logs["message"].str.contains(r" uploaded in [0-9.]+ s$", regex=True) & logs["trial_id"].notna()]
    return {row.trial_id: row.message for row in lines.itertuples()}
