"""Bad data is refused by name before anything is stored, or skipped and reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from api_helpers import coco_source, yolo_source

from synapse_nb.api import Api
from synapse_nb.errors import InputError


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _projects(api: Api) -> set[int]:
    return {p.id for p in api.project.all()}


def test_yolo_coordinates_outside_0_1_are_refused_naming_file_and_line(api: Api, tmp_path: Path) -> None:
    root = yolo_source(tmp_path / "yolo")
    (root / "labels" / "train" / "b.txt").write_text("1 0.5 0.5 0.5 0.5\n0 1.2 0.5 0.1 0.1\n")
    before = _projects(api)
    with pytest.raises(InputError) as err:
        api.project.import_yolo(root, name="bad-yolo", progress=False)
    assert "labels/train/b.txt, line 2" in str(err.value) and "0..1" in str(err.value)
    assert _projects(api) == before, "nothing stored"


def test_yolo_skip_imports_the_good_images_and_reports_the_rest(api: Api, tmp_path: Path) -> None:
    root = yolo_source(tmp_path / "yolo")
    (root / "labels" / "train" / "b.txt").write_text("1 0.5 0.5 0.5 -0.5\n")
    _truncate(root / "images" / "val" / "c.png")
    with pytest.warns(UserWarning, match="2 images were skipped"):
        project = api.project.import_yolo(root, name="skip-yolo", progress=False, on_error="skip")
    assert sorted(i.name for i in api.item.all(project.id)) == ["a.png"]
    report = {Path(s.file).name: s for s in project.skipped}
    assert sorted(report) == ["b.png", "c.png"]
    assert report["b.png"].line == 1 and "0..1" in report["b.png"].reason
    assert "readable image" in report["c.png"].reason and "truncated" in report["c.png"].reason


def test_coco_zero_size_box_is_refused_naming_the_annotation(api: Api, tmp_path: Path) -> None:
    images, annotations = coco_source(tmp_path / "coco")
    doc = json.loads(annotations.read_text())
    doc["annotations"][2]["bbox"] = [1.5, 2.5, 0.0, 20.0]
    annotations.write_text(json.dumps(doc))
    before = _projects(api)
    with pytest.raises(InputError) as err:
        api.project.import_coco(images, annotations, name="bad-coco", progress=False)
    assert err.value.field == "annotations[2].bbox"
    assert "annotation id 3" in str(err.value) and "set-a/two.png" in str(err.value)
    assert _projects(api) == before
    doc["annotations"][2]["bbox"] = [1.5, 2.5, 10.0, -4.0]
    annotations.write_text(json.dumps(doc))
    project = api.project.import_coco(images, annotations, name="skip-coco", progress=False, on_error="skip")
    assert [(Path(s.file).name, s.annotation_id) for s in project.skipped] == [("two.png", 3)]
    assert sorted(i.name for i in api.item.all(project.id)) == ["one.png", "three.png"]


def test_an_unreadable_coco_image_is_named(api: Api, tmp_path: Path) -> None:
    images, annotations = coco_source(tmp_path / "coco")
    _truncate(images / "set-a" / "one.png")
    with pytest.raises(InputError, match="set-a/one.png: expected a readable image file"):
        api.project.import_coco(images, annotations, name="truncated", progress=False)
    project = api.project.import_coco(images, annotations, name="truncated-skip", progress=False, on_error="skip")
    assert [Path(s.file).name for s in project.skipped] == ["one.png"]
    assert project.skipped[0].annotation_id is None


def test_on_error_takes_two_values(api: Api, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="on_error: expected 'raise' or 'skip'"):
        api.project.import_yolo(yolo_source(tmp_path / "yolo"), on_error="ignore")  # type: ignore[arg-type]


def test_a_clean_import_reports_nothing_skipped(api: Api, tmp_path: Path) -> None:
    project = api.project.import_yolo(yolo_source(tmp_path / "yolo"), name="clean", progress=False, on_error="skip")
    assert project.skipped == [] and len(api.item.all(project.id)) == 3
