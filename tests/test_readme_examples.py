"""The README's Python examples run as written (only the epochs are cut, to keep CI short)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

pytestmark = pytest.mark.slow


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_ten_line_example_and_the_plugin_example_train_offline(no_network: list[object]) -> None:
    quickstart, plugin = _python_blocks()[:2]
    assert "epochs: 20" in quickstart, "the example's epochs moved: update this test's cut"
    namespace: dict[str, Any] = {}
    exec(compile(quickstart.replace("epochs: 20", "epochs: 2"), "README.md (ten lines)", "exec"), namespace)
    task = namespace["task"]
    assert task.status == "finished"
    assert task.experiment.export == {"onnx": "export/best.onnx"}
    assert task.experiment.evaluation_metrics["map50"] >= 0.0

    exec(compile(plugin, "README.md (plugin)", "exec"), namespace)
    from synapse_nb.actions import run_local

    # The call the README gives under the example.
    out = run_local(namespace["MyTrainAction"], {"dataset": namespace["project"].id, "hyperparameter": {"epochs": 1}})
    assert Path(out["weights_path"]).is_file()
    assert no_network == [], "the examples tried to reach the outside"
