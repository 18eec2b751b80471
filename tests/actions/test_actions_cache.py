"""The dataset cache through the engine: reused as it is, and updated item by item."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from synapse_nb.actions import run_local
from synapse_nb.api import Api
from synapse_nb.schemas import LabelObject, Project
from tests.actions.plugins import YoloProbe

Snapshot = dict[str, tuple[int, int, int]]


def _snapshot(folder: Path) -> Snapshot:
    """relative path -> (inode, mtime_ns, size) of every file under ``folder``."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns, p.stat().st_size)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _changed(before: Snapshot, after: Snapshot) -> tuple[set[str], set[str], set[str]]:
    added = set(after) - set(before)
    removed = set(before) - set(after)
    changed = {k for k in set(before) & set(after) if before[k] != after[k]}
    return added, removed, changed


def _without_index(changed: set[str], folder: Path, index_text: str) -> set[str]:
    """The changed files besides dataset.yaml, which an update writes again (same text)."""
    assert (folder / "dataset.yaml").read_text() == index_text
    return changed - {"dataset.yaml"}


def _png(colour: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (64, 64), (30, 30, 30))
    ImageDraw.Draw(image).rectangle((8, 8, 40, 40), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def cache_project(api: Api) -> Project:
    """A project of its own: these tests change it."""
    return api.project.import_samples(num_images=16, image_size=64, name="cache-shapes", seed=5, progress=False)


@pytest.fixture(scope="module")
def params(api: Api, cache_project: Project) -> dict[str, Any]:
    """A split by dataset: adding an item never moves the other items between train and val."""
    first, second = sorted(d.id for d in api.dataset.list(cache_project.id))
    return {"dataset": cache_project.id,
            "train_val_split": {"kind": "datasets", "train_datasets": [first], "val_datasets": [second]}}


def _prepare(api: Api, params: dict[str, Any]) -> Path:
    return Path(run_local(YoloProbe, params, api=api)["data_path"]).parent


def test_a_second_run_reuses_the_converted_dataset(api: Api, params: dict[str, Any]) -> None:
    folder = _prepare(api, params)
    before = _snapshot(folder)
    assert any(k.startswith("labels/") for k in before) and any(k.startswith("images/") for k in before)

    again = _prepare(api, params)
    assert again == folder
    assert _snapshot(again) == before, "nothing was converted again"


def test_a_changed_annotation_rewrites_only_its_label(api: Api, params: dict[str, Any], cache_project: Project) -> None:
    folder = _prepare(api, params)
    before = _snapshot(folder)
    index_text = (folder / "dataset.yaml").read_text()
    item = sorted(api.item.all(cache_project.id), key=lambda i: i.id)[0]
    box = {"type": "rectangle", "x1": 4, "y1": 4, "x2": 30, "y2": 20}
    api.item.set_annotation(item.id, [LabelObject.model_validate({"class_name": "square", "geometry": box})])

    after_folder = _prepare(api, params)
    assert after_folder == folder
    added, removed, changed = _changed(before, _snapshot(folder))
    assert not added and not removed
    changed = _without_index(changed, folder, index_text)
    assert len(changed) == 1, changed
    label = folder / changed.pop()
    assert label.suffix == ".txt" and Path(item.name).stem in label.name
    assert len(label.read_text().splitlines()) == 1


def test_an_added_item_adds_only_its_files(api: Api, params: dict[str, Any], cache_project: Project) -> None:
    folder = _prepare(api, params)
    before = _snapshot(folder)
    index_text = (folder / "dataset.yaml").read_text()
    train_dataset = params["train_val_split"]["train_datasets"][0]
    box = {"type": "rectangle", "x1": 8, "y1": 8, "x2": 40, "y2": 40}
    api.item.upload(train_dataset, _png((200, 40, 40)), "added.png",
                    objects=[LabelObject.model_validate({"class_name": "square", "geometry": box})])

    assert _prepare(api, params) == folder
    added, removed, changed = _changed(before, _snapshot(folder))
    assert not removed and not _without_index(changed, folder, index_text), (removed, changed)
    assert sorted(Path(a).parts[0] for a in added) == ["images", "labels"]
    assert all("added" in a and "/train/" in f"/{a}" for a in added), added
