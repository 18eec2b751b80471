"""A user generates a sample project to try the toolkit: it must be valid, varied and repeatable."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from synapse_nb.errors import InputError
from synapse_nb.formats.raw import RawDataset
from synapse_nb.samples import SAMPLE_CLASSES, generate_sample_project
from synapse_nb.splits import CollectionsSplit, DatasetsSplit, TagsSplit


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_the_same_bytes_and_annotations(tmp_path: Path) -> None:
    a = generate_sample_project(tmp_path / "a", num_images=12, image_size=48, num_classes=5, seed=3)
    b = generate_sample_project(tmp_path / "b", num_images=12, image_size=48, num_classes=5, seed=3)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert a.model_dump() == b.model_dump()
    c = generate_sample_project(tmp_path / "c", num_images=12, image_size=48, num_classes=5, seed=4)
    assert _files(tmp_path / "c") != _files(tmp_path / "a")


def test_an_image_does_not_depend_on_how_many_are_generated(tmp_path: Path) -> None:
    small = generate_sample_project(tmp_path / "s", num_images=8, image_size=40, num_datasets=1)
    large = generate_sample_project(tmp_path / "l", num_images=10, image_size=40, num_datasets=1)
    for i in range(8):
        assert small.image_path(small.items[i]).read_bytes() == large.image_path(large.items[i]).read_bytes()
        assert small.items[i].objects == large.items[i].objects


def test_project_has_every_shape_and_split_kind_to_work_with(tmp_path: Path) -> None:
    raw = generate_sample_project(tmp_path / "p", num_images=40, image_size=64, num_classes=5, num_datasets=3, name="demo")
    assert raw.meta.project_name == "demo"
    assert [(c.name, c.shape) for c in raw.meta.classes] == [(n, s) for n, (s, _) in SAMPLE_CLASSES.items()]
    shapes = Counter(o.geometry.type for item in raw.items for o in item.objects)
    assert set(shapes) == {"rectangle", "polygon", "bitmap"}
    assert {o.class_name for item in raw.items for o in item.objects} == set(SAMPLE_CLASSES)
    assert all(1 <= len(item.objects) <= 4 for item in raw.items)
    assert len({len(item.objects) for item in raw.items}) > 1  # the count varies

    tags = Counter(tuple(item.tags) for item in raw.items)
    assert tags == {("train",): 24, ("val",): 10, (): 6}  # 60 % / 25 % / rest of 40
    assert {t.name for t in raw.meta.tags} == {"train", "val"}
    assert [c.name for c in raw.meta.collections] == ["batch-a", "batch-b"]
    assert all(len(item.collections) == 1 for item in raw.items)
    assert Counter(item.dataset_id for item in raw.items) == {1: 14, 2: 13, 3: 13}

    # Every split kind the wizard offers can be used on it as generated.
    assert TagsSplit().split(raw.items)[1]
    assert DatasetsSplit(train_datasets=[1, 2], val_datasets=[3]).split(raw.items)[1]
    assert CollectionsSplit(train_collections=[1], val_collections=[2]).split(raw.items)[1]


def test_files_annotations_and_manifest_agree(tmp_path: Path) -> None:
    raw = generate_sample_project(tmp_path / "p", num_images=16, image_size=96, num_classes=5)
    again = RawDataset.read(tmp_path / "p")
    assert again.model_dump() == raw.model_dump()
    for item in raw.items:
        path = raw.image_path(item)
        assert path.parent.name == raw.dataset_name(item.dataset_id) and path.name == item.name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == item.image_hash
        with Image.open(path) as im:
            assert im.size == (item.width, item.height) == (96, 96)
            pixels = np.asarray(im.convert("RGB"), dtype=np.int16)
        for obj in item.objects:
            x1, y1, x2, y2 = obj.geometry.bbox()
            assert 0 <= x1 < x2 <= 96 and 0 <= y1 < y2 <= 96
            # The object is drawn where it is annotated: its centre differs from the grey noise.
            cx, cy = int((x1 + x2) / 2), int((y1 + y2) / 2)
            r, g, b = pixels[cy, cx]
            assert max(r, g, b) - min(r, g, b) > 40, (item.name, obj.class_name)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"num_images": 7}, "num_images"),
        ({"num_images": 10_001}, "num_images"),
        ({"num_images": True}, "num_images"),
        ({"num_images": 8.0}, "num_images"),
        ({"image_size": 16}, "image_size"),
        ({"num_classes": 1}, "num_classes"),
        ({"num_classes": 6}, "num_classes"),
        ({"num_datasets": 0}, "num_datasets"),
        ({"num_images": 8, "num_datasets": 9}, "num_datasets"),
        ({"seed": -1}, "seed"),
        ({"name": "a/b"}, "name"),
    ],
)
def test_bad_arguments_name_the_parameter_and_write_nothing(tmp_path: Path, kwargs: dict, field: str) -> None:
    with pytest.raises(InputError) as err:
        generate_sample_project(tmp_path / "p", **kwargs)
    assert err.value.field == field
    assert list(tmp_path.iterdir()) == []


def test_an_existing_project_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "notes.txt").write_text("mine")
    with pytest.raises(InputError) as err:
        generate_sample_project(tmp_path / "p", num_images=8)
    assert err.value.field == "dest"
    assert [p.name for p in (tmp_path / "p").iterdir()] == ["notes.txt"]
    # An empty folder is fine (a notebook often creates it first).
    (tmp_path / "q").mkdir()
    assert len(generate_sample_project(tmp_path / "q", num_images=8, image_size=32).items) == 8


def test_limits_are_accepted(tmp_path: Path) -> None:
    raw = generate_sample_project(tmp_path / "p", num_images=8, image_size=32, num_classes=2, num_datasets=8)
    assert len(raw.items) == 8 and len(raw.meta.datasets) == 8
    assert {c.name for c in raw.meta.classes} == {"square", "triangle"}


def test_progress_bar_is_optional(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generate_sample_project(tmp_path / "p", num_images=8, image_size=32, progress=True, name="bar")
    assert "Generating bar" in capsys.readouterr().err
