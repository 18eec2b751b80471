"""Every resource accessor against the real backend: what the train action, agent and widgets call."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from synapse_nb.api import Api
from synapse_nb.errors import BackendError, NotFoundError
from synapse_nb.schemas import LabelObject, MetricPoint, ModelCreate, Rectangle, TaskCreate, TaskError, TrialTable
from synapse_nb.server import BackgroundServer


def jpeg(colour: tuple[int, int, int], size: tuple[int, int] = (16, 12)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def box_object(name: str) -> LabelObject:
    return LabelObject(class_name=name, geometry=Rectangle(x1=1, y1=1, x2=5, y2=6))


def test_projects_datasets_items_collections(api: Api, tmp_path: Path) -> None:
    project = api.project.create("animals", classes=["cat", {"name": "dog", "shape": "polygon"}], tags=["train"])
    assert project.class_names() == ["cat", "dog"]
    dataset = api.dataset.create(project.id, "batch-1")
    assert [d.name for d in api.dataset.list(project.id)] == ["batch-1"]
    image_file = tmp_path / "cat.jpg"
    image_file.write_bytes(jpeg((200, 0, 0)))
    item = api.item.upload(dataset.id, image_file, "cat.jpg", tags=["train"], objects=[box_object("cat")])
    assert (item.width, item.height) == (16, 12) and item.image_hash == hashlib.sha256(image_file.read_bytes()).hexdigest()
    batch = api.item.upload_batch(dataset.id, [{"image": jpeg((0, 200, 0)), "name": f"{i}.jpg"} for i in range(3)])
    assert len(batch) == 3 and len({i.image_hash for i in batch}) == 1  # one image stored once
    assert api.item.missing_images([item.image_hash, "f" * 64]) == ["f" * 64]
    assert api.item.list(project_id=project.id, limit=2).total == 4
    assert [i.id for i in api.item.all(project.id)] == [item.id, *[i.id for i in batch]]
    updated = api.item.set_annotation(batch[0].id, [box_object("dog")], tags=["train"])
    assert updated.objects[0].class_name == "dog" and updated.tags == ["train"]
    with pytest.raises(BackendError, match="objects\\[0\\].class_name") as refused:
        api.item.set_annotation(batch[0].id, [box_object("horse")])
    assert refused.value.status == 422
    assert api.item.image_bytes(item) == image_file.read_bytes()
    saved = api.item.download_image(item, tmp_path / "out")
    assert saved.read_bytes() == image_file.read_bytes()

    collection = api.collection.create(project.id, "hard", [item.id])
    assert api.collection.add_items(collection.id, (batch[0].id,)).item_ids == [item.id, batch[0].id]
    assert api.collection.remove_items(collection.id, [item.id]).item_ids == [batch[0].id]
    assert [c.name for c in api.collection.list(project.id)] == ["hard"]
    empty = api.collection.create(project.id, "empty")
    # The summary counts the members in SQL and carries none of their ids.
    summaries = api.collection.summaries(project.id)
    assert [(c.id, c.name, c.item_count) for c in summaries] == [(collection.id, "hard", 1), (empty.id, "empty", 0)]
    assert all(c.project_id == project.id for c in summaries) and not hasattr(summaries[0], "item_ids")
    with pytest.raises(NotFoundError):
        api.collection.summaries(project.id + 1000)

    version = api.project.get(project.id).content_version
    grown = api.project.update_meta(project.id, classes=["horse"], tags=["val"])
    assert grown.class_names() == ["cat", "dog", "horse"] and grown.content_version == version + 1
    assert project.id in [p.id for p in api.project.all()]
    api.project.delete(project.id)
    with pytest.raises(NotFoundError):
        api.project.get(project.id)


def test_agents_heartbeats_and_the_local_agent(api: Api) -> None:
    agent = api.agent.register("worker-a", {"CPU": 2}, host="box", pid=123)
    again = api.agent.register("worker-a", {"CPU": 4})
    assert again.id == agent.id and again.resources == {"CPU": 4}
    assert api.agent.heartbeat(agent.id, running_task_ids=[]) == []
    assert api.agent.get(agent.id).status == "online"
    with pytest.raises(BackendError, match="no local agent"):
        api.agent.local(wait=0)
    local = api.agent.register("local", {"CPU": 2}, is_local=True)
    assert api.agent.local() == local.id
    assert api.agent.offline(local.id).status == "offline"
    assert {a.name for a in api.agent.list()} >= {"worker-a", "local"}


def test_task_lifecycle_and_reports(api: Api, tmp_path: Path) -> None:
    agent = api.agent.register("task-runner")
    record = api.task.create(TaskCreate(state={"data_path": "/data/ready"}, agent_id=agent.id, autostart=False))
    assert record.status == "created"
    assert api.task.start(record.id).status == "queued"
    claimed = api.task.claim(agent.id)
    assert claimed is not None and claimed.id == record.id and claimed.status == "running"
    api.task.set_progress(record.id, "train", 2, 10, overall=0.3)
    assert api.task.record(record.id).progress["train"].fraction == pytest.approx(0.2)

    assert api.task.log(record.id, ["epoch 1", {"message": "careful", "level": "WARNING"}]) == 2
    assert [line.message for line in api.task.logs(record.id, after_seq=1)] == ["careful"]
    points = [MetricPoint(category="train", key="loss", value=1 / (e + 1), epoch=e) for e in range(12_000 // 1000)]
    assert api.task.log_metrics(record.id, points) == len(points)
    first = api.task.metrics(record.id, key="loss")
    assert [p.epoch for p in first] == list(range(len(points)))
    assert api.task.metrics(record.id, after=first[-2].seq) == first[-1:]

    table = TrialTable(trials={"a": {"status": "TERMINATED", "lr0": 0.01}, "b": {"status": "RUNNING"}}, hyperparameters=["lr0"])
    api.task.log_trials(record.id, table)
    assert api.task.set_best_trial(record.id, "a").best_trial == "a"
    latest = api.task.trials(record.id)
    assert latest is not None and latest.best_trial == "a" and len(api.task.trials_history(record.id)) == 2
    api.task.log_visualization(record.id, {"category": "val", "key": "pr", "data": {"data": []}})
    assert len(api.task.visualizations(record.id)) == 1

    checkpoint = tmp_path / "last.pt"
    checkpoint.write_bytes(b"\x00weights" * 1000)
    stored = api.task.upload_file(record.id, "checkpoints/last.pt", checkpoint)
    assert stored.sha256 == hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    assert [f.path for f in api.task.list_files(record.id)] == ["checkpoints/last.pt"]
    fetched = api.task.download_file(record.id, "checkpoints/last.pt", tmp_path / "restored.pt")
    assert fetched.read_bytes() == checkpoint.read_bytes()

    failed = api.task.set_status(record.id, "failed", error=TaskError(step="train", message="CUDA out of memory"))
    assert failed.is_final and failed.error is not None and failed.error.step == "train"
    with pytest.raises(BackendError, match="failed") as refused:
        api.task.set_status(record.id, "running")
    assert refused.value.status == 409
    retry = api.task.retry(record.id)
    assert retry.attempt == 2 and retry.retry_of == record.id and retry.status == "queued"
    assert [f.path for f in api.task.list_files(retry.id)] == ["checkpoints/last.pt"]
    assert api.task.stop(retry.id).status == "stopped"
    assert {t.id for t in api.task.list(agent_id=agent.id).items} == {record.id, retry.id}
    assert api.task.trials(retry.id) is None


def test_models_upload_and_download_whole_or_not_at_all(api: Api, api_backend: BackgroundServer, tmp_path: Path) -> None:
    source = tmp_path / "run"
    (source / "weights").mkdir(parents=True)
    (source / "weights" / "best.pt").write_bytes(b"best" * 5000)
    (source / "hyperparameters.yaml").write_text("epochs: 3\n")
    meta = ModelCreate(name="shapes-yolo11n", framework="YOLO", model_name="yolo11n-det", weights="weights/best.pt", metrics={"mAP50": 0.9})
    model = api.model.create(meta, source)
    assert sorted(f.path for f in model.files) == ["hyperparameters.yaml", "weights/best.pt"]
    assert api.model.get(model.id).metrics == {"mAP50": 0.9}
    assert model.id in [m.id for m in api.model.list().items]
    dest = api.model.download(model.id, tmp_path / "model")
    assert (dest / "weights" / "best.pt").read_bytes() == b"best" * 5000

    # A file corrupted in the store is caught by its hash, and nothing lands in dest.
    stored = api_backend.config.storage_root / "models" / str(model.id) / "weights" / "best.pt"
    stored.write_bytes(b"tampered")
    with pytest.raises(BackendError, match="sha256"):
        api.model.download(model.id, tmp_path / "second")
    assert not (tmp_path / "second").exists() or list((tmp_path / "second").rglob("*")) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".second")] == []
