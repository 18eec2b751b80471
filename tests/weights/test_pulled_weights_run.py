"""With weights pulled from a mirror, the next run fine-tunes from them instead of training
from scratch; with SYNAPSE_NB_ALLOW_DOWNLOADS=1 a run pulls its model's weights itself."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from synapse_nb import weights
from synapse_nb.actions import run_local
from synapse_nb.api import Api
from synapse_nb.frameworks import resolve_model
from synapse_nb.frameworks.ultralytics_yolo import resolve_weights
from synapse_nb.frameworks.ultralytics_yolo.action import YoloTrainAction

from weights_mirror import Mirror

TINY = {"epochs": 1, "imgsz": 64, "batch": 8, "workers": 0, "plots": False, "val": True}


@pytest.fixture
def clean_weights() -> Iterator[Path]:
    """The session's weights folder, with what a test pulled into it removed afterwards."""
    folder = weights.weights_dir()
    before = set(folder.iterdir())
    yield folder
    for path in set(folder.iterdir()) - before:
        path.unlink()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_next_run_fine_tunes_from_pulled_weights(mirror: Mirror, built_pt: bytes, clean_weights: Path) -> None:
    api = Api.from_env(start_agent=False)
    project = api.project.import_samples(num_images=16, image_size=64, name="pulled-weights", seed=1, progress=False)
    mirror.publish("yolov8n.pt", built_pt)
    [pulled] = api.weights.pull("yolov8n-det", base_url=mirror.url)
    assert pulled == clean_weights / "yolov8n.pt"

    run_local(YoloTrainAction, {"dataset": project.id, "checkpoint": "YOLO/yolov8n-det", "hyperparameter": TINY},
              api=api)
    task = api.task.list(project_id=project.id, limit=1).items[0]
    assert task.status == "finished"
    # The experiment records the device training really ran on (no GPU here, or none asked).
    assert task.result["experiment"]["device"] == "cpu"
    messages = [line.message for line in api.task.logs(task.id)]
    assert not [m for m in messages if "training from scratch" in m]
    assert "YOLO/yolov8n-det: fine-tuning from its pretrained weights" in messages
    # The run's base checkpoint is the pulled file, byte for byte.
    base = weights.weights_dir().parent / "cache" / "base_models" / "YOLO" / "yolov8n-det" / "best.pt"
    assert _sha(base) == _sha(pulled)


def test_downloads_stay_off_unless_allowed(mirror: Mirror, built_pt: bytes, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    mirror.publish("yolo11s.pt", built_pt)
    monkeypatch.setenv(weights.WEIGHTS_URL_ENV, mirror.url)
    model = resolve_model("YOLO/yolo11s-det")
    monkeypatch.delenv(weights.ALLOW_DOWNLOADS_ENV, raising=False)
    source, notice = resolve_weights(model, tmp_path)
    assert (source, mirror.requests) == ("yolo11s.yaml", [])
    assert notice is not None and "training from scratch" in notice
    monkeypatch.setenv(weights.ALLOW_DOWNLOADS_ENV, "1")
    source, notice = resolve_weights(model, tmp_path)
    assert (source, notice) == (str(tmp_path / "yolo11s.pt"), None)
    assert _sha(tmp_path / "yolo11s.pt") == hashlib.sha256(built_pt).hexdigest()


def test_an_allowed_download_that_fails_still_trains_from_scratch(mirror: Mirror, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv(weights.WEIGHTS_URL_ENV, mirror.url)  # serves nothing: no manifest, no file
    monkeypatch.setenv(weights.ALLOW_DOWNLOADS_ENV, "1")
    source, notice = resolve_weights(resolve_model("YOLO/yolo11m-det"), tmp_path)
    assert source == "yolo11m.yaml" and notice is not None
    assert "could not pull yolo11m.pt" in caplog.text and list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_run_on_the_local_agent_fine_tunes_from_pulled_weights(mirror: Mirror, built_pt: bytes,
                                                                 clean_weights: Path) -> None:
    import synapse_nb as snb
    from synapse_nb.demo import _weights_line

    api = Api.from_env()
    agent_id = api.agent.local(wait=180)
    project = api.project.import_samples(num_images=16, image_size=64, name="pulled-weights-agent", seed=2,
                                         progress=False)
    assert "trains from scratch" in _weights_line("YOLO/yolov8n-det")
    mirror.publish("yolov8n.pt", built_pt)
    api.weights.pull("yolov8n-det", base_url=mirror.url)
    assert "fine-tunes from it" in _weights_line("YOLO/yolov8n-det")

    task = snb.TrainApi(api).run(agent_id, project.id, model="YOLO/yolov8n-det",
                                 hyperparameters="epochs: 1\nimgsz: 64\nbatch: 8\nworkers: 0\nplots: false\n",
                                 train_val_split=snb.RandomSplit(percent=75, split="train", seed=0), num_gpus=0)
    task.wait(timeout=600, progress=False)
    messages = list(task.logs()["message"])
    assert not [m for m in messages if "training from scratch" in m]
    assert "YOLO/yolov8n-det: fine-tuning from its pretrained weights" in messages
    assert any(m.startswith(f"task {task.id}: ") and " on cpu in " in m for m in messages)
    assert task.experiment.device == "cpu"
