"""target_format 'yolo', 'coco' and None: what execute() is given, and the split it honours."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from synapse_nb.actions import run_local
from synapse_nb.api import Api
from synapse_nb.formats.raw import RawDataset
from synapse_nb.schemas import Project
from tests.actions.engine_checks import newest_task
from tests.actions.plugins import CocoProbe, RawProbe, YoloProbe


def _image_names(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.suffix in (".jpg", ".png")}


def test_yolo_without_a_split_never_validates_on_training_images(api: Api, project: Project) -> None:
    result = run_local(YoloProbe, {"dataset": project.id}, api=api)  # no split given: the default applies
    data_yaml = Path(result["data_path"])
    assert data_yaml.name == "dataset.yaml"
    config = yaml.safe_load(data_yaml.read_text())
    root = Path(config["path"])
    assert root.is_absolute()
    train, val = _image_names(root / config["train"]), _image_names(root / config["val"])
    assert train and val
    assert not {Path(n).name for n in train} & {Path(n).name for n in val}, "train and val images are disjoint"
    assert len(train) + len(val) == project.item_count
    assert list(config["names"].values()) == project.class_names()
    task = newest_task(api, project.id)
    assert task.status == "finished"
    assert sorted(task.result["result"]["dataset"]) == ["format", "raw_path"]


def test_coco_target_gets_annotations_json_with_disjoint_split_files(api: Api, project: Project) -> None:
    result = run_local(CocoProbe, {"dataset": project.id}, api=api)
    annotations = Path(result["data_path"])
    assert annotations.name == "annotations.json"
    doc = json.loads(annotations.read_text())
    assert [c["name"] for c in doc["categories"]] == project.class_names()
    assert len(doc["images"]) == project.item_count
    assert all((annotations.parent / "images" / img["file_name"]).is_file() for img in doc["images"])
    sides = {side: json.loads((annotations.parent / f"annotations_{side}.json").read_text()) for side in ("train", "val")}
    train = {img["file_name"] for img in sides["train"]["images"]}
    val = {img["file_name"] for img in sides["val"]["images"]}
    assert train and val and not train & val
    assert train | val == {img["file_name"] for img in doc["images"]}
    assert doc["annotations"], "objects were converted"
    assert newest_task(api, project.id).status == "finished"


def test_no_target_format_gets_the_raw_folder_with_the_split(api: Api, project: Project) -> None:
    result = run_local(RawProbe, {"dataset": project.id, "train_val_split": {"kind": "random", "percent": 50, "seed": 3}},
                       api=api)
    raw = RawDataset.read(Path(result["data_path"]))
    sides = [item.split for item in raw.items]
    assert len(raw.items) == project.item_count
    assert sides.count("train") == sides.count("val") == project.item_count // 2
    assert all(raw.image_path(item).is_file() for item in raw.items)
    assert result["dataset"] == {"raw_path": result["data_path"], "format": "None"}
