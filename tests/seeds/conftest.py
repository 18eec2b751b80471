"""The seed examples: the published Synapse SDK examples, run as a migrating user pastes them.

``examples/`` holds each example's text as published, with only ``synapse_sdk.plugins``
replaced by ``synapse_nb`` (two documents lost their indentation when rendered to text; it
is restored there, and ``SOURCES.json`` records a hash of each text with whitespace
stripped, so a test proves nothing else was changed).
"""

from __future__ import annotations

import hashlib
import json
import types
from pathlib import Path
from typing import Any

import pytest

from synapse_nb.api import Api
from synapse_nb.schemas import Project

EXAMPLES = Path(__file__).resolve().parent / "examples"
SOURCES: dict[str, dict[str, Any]] = json.loads((EXAMPLES / "SOURCES.json").read_text())
# Generous waits on a shared machine (never an assertion on time).
WAIT = 600


def example_text(name: str) -> str:
    """An example's text as published (import path replaced)."""
    return (EXAMPLES / f"{name}.txt").read_text()


def fingerprint(text: str) -> str:
    """The hash of a text with the import path put back and whitespace stripped."""
    lines = text.replace("synapse_nb", "synapse_sdk.plugins").splitlines()
    return hashlib.sha256("\n".join(line.strip() for line in lines if line.strip()).encode()).hexdigest()


def run_example(name: str, **names: Any) -> dict[str, Any]:
    """Execute an example in a fresh namespace; ``names`` are what the document leaves to the
    reader (its own helpers such as ``train_one_epoch``, or a class an earlier example defined)."""
    namespace: dict[str, Any] = {"__name__": f"seed_example_{name}", **names}
    exec(compile(example_text(name), f"<seed example {name}>", "exec"), namespace)  # noqa: S102 - the test's subject
    return namespace


def method_action(name: str, params_model: type) -> type:
    """A train action whose ``execute`` is the example's ``def execute(self)`` as published."""
    from synapse_nb.actions.train import BaseTrainAction

    execute = run_example(name)["execute"]
    return types.new_class(f"Seed_{name}", (BaseTrainAction[params_model],),  # type: ignore[valid-type]
                           exec_body=lambda body: body.update(execute=execute))


@pytest.fixture(scope="session")
def api() -> Api:
    """A client of the session's embedded backend (the examples run in this process)."""
    return Api.from_env(start_agent=False)


@pytest.fixture(scope="session")
def project(api: Api) -> Project:
    """24 sample images of 64 px, 3 classes."""
    return api.project.import_samples(num_images=24, image_size=64, name="seed-shapes", seed=0, progress=False)


@pytest.fixture
def yolov8n_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding ``yolov8n.pt`` (untrained, built from ultralytics' model
    config: nothing is downloaded), so ``YOLO('yolov8n.pt')`` in an example finds it there,
    as it would find the file a user downloaded."""
    from ultralytics import YOLO

    import synapse_nb._offline as offline

    offline.configure_ultralytics()
    YOLO("yolov8n.yaml").save(str(tmp_path / "yolov8n.pt"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "yolov8n.pt"
