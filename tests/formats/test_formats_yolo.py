"""Raw dataset <-> YOLO: the layout ultralytics expects, nothing lost, nothing leaked."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from synapse_nb.errors import InputError
from synapse_nb.formats._yolo_labels import object_line, parse_label_file
from synapse_nb.formats.raw import RawDataset
from synapse_nb.formats.yolo import read_yolo, write_yolo
from synapse_nb.schemas import LabelObject, Polygon, Rectangle


def _labels(root: Path) -> dict[str, list[list[float]]]:
    """Label files below ``root``/labels as numbers, keyed by path relative to ``labels``."""
    result = {}
    for path in sorted((root / "labels").rglob("*.txt")):
        rows = [[float(v) for v in line.split()] for line in path.read_text().splitlines() if line.strip()]
        result[str(path.relative_to(root / "labels"))] = rows
    return result


def _close(a: dict[str, list[list[float]]], b: dict[str, list[list[float]]], tol: float = 2e-5) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        if len(a[key]) != len(b[key]):
            return False
        for ra, rb in zip(a[key], b[key], strict=True):
            if len(ra) != len(rb) or ra[0] != rb[0] or any(abs(x - y) > tol for x, y in zip(ra, rb, strict=True)):
                return False
    return True


def test_export_keeps_file_names_and_mirrors_labels(sample_raw: RawDataset, tmp_path: Path) -> None:
    data_yaml = write_yolo(sample_raw, tmp_path / "yolo")
    doc = yaml.safe_load(data_yaml.read_text())
    assert doc == {
        "path": str((tmp_path / "yolo").resolve()),
        "train": "images/train",
        "val": "images/val",
        "names": {0: "square", 1: "triangle", 2: "circle", 3: "hexagon", 4: "blob"},
    }
    for item in sample_raw.items:
        dataset = sample_raw.dataset_name(item.dataset_id)
        image = tmp_path / "yolo" / "images" / item.split / dataset / item.name
        label = tmp_path / "yolo" / "labels" / item.split / dataset / (Path(item.name).stem + ".txt")
        # Hard links: no image bytes copied.
        assert os.stat(image).st_ino == os.stat(sample_raw.image_path(item)).st_ino
        lines = label.read_text().splitlines()
        assert len(lines) == len(item.objects)
        assert all(len(line.split()) == 5 for line in lines)
        values = [float(v) for line in lines for v in line.split()[1:]]
        assert all(0.0 <= v <= 1.0 for v in values)
    assert not list((tmp_path).glob(".*partial"))


def test_copy_instead_of_link_on_request(sample_raw: RawDataset, tmp_path: Path) -> None:
    write_yolo(sample_raw, tmp_path / "yolo", link=False)
    item = sample_raw.items[0]
    image = tmp_path / "yolo" / "images" / item.split / sample_raw.dataset_name(item.dataset_id) / item.name
    assert os.stat(image).st_ino != os.stat(sample_raw.image_path(item)).st_ino
    assert image.read_bytes() == sample_raw.image_path(item).read_bytes()


def test_segmentation_writes_polygons_for_every_shape(sample_raw: RawDataset, tmp_path: Path) -> None:
    write_yolo(sample_raw, tmp_path / "yolo", task="segment")
    rows = [row for rows in _labels(tmp_path / "yolo").values() for row in rows]
    assert len(rows) == sum(len(i.objects) for i in sample_raw.items)
    assert all(len(row) >= 7 and len(row) % 2 == 1 for row in rows)
    squares = [row for row in rows if row[0] == 0]
    assert squares and all(len(row) == 9 for row in squares)  # rectangles: 4 corners


def test_items_without_a_split_are_refused(sample_raw: RawDataset, tmp_path: Path) -> None:
    raw = sample_raw.model_copy(deep=True).attach(sample_raw.root)
    raw.items[3].split = None
    with pytest.raises(InputError) as err:
        write_yolo(raw, tmp_path / "yolo")
    assert err.value.field == "items[3].split"
    assert "validate on its training images" in str(err.value)
    assert not (tmp_path / "yolo").exists()


def test_one_sided_split_is_refused(sample_raw: RawDataset, tmp_path: Path) -> None:
    raw = sample_raw.model_copy(deep=True).attach(sample_raw.root)
    for item in raw.items:
        item.split = "train"
    with pytest.raises(InputError, match="at least one val item"):
        write_yolo(raw, tmp_path / "yolo")


def test_class_filter_keeps_only_the_chosen_classes(sample_raw: RawDataset, tmp_path: Path) -> None:
    data_yaml = write_yolo(sample_raw, tmp_path / "yolo", classes=["hexagon", "square"])
    # Numbered in the project's class order, whatever order the user typed.
    assert yaml.safe_load(data_yaml.read_text())["names"] == {0: "square", 1: "hexagon"}
    rows = [row for rows in _labels(tmp_path / "yolo").values() for row in rows]
    expected = sum(1 for i in sample_raw.items for o in i.objects if o.class_name in ("square", "hexagon"))
    assert len(rows) == expected and {row[0] for row in rows} == {0.0, 1.0}
    # Every image is still there (background images teach the model too).
    assert len(list((tmp_path / "yolo" / "images").rglob("*.jpg"))) == len(sample_raw.items)


def test_unknown_class_is_an_error_listing_the_classes(sample_raw: RawDataset, tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        write_yolo(sample_raw, tmp_path / "yolo", classes=["circle", "sqaure"])
    assert err.value.field == "classes" and err.value.got == ["sqaure"]
    assert "square" in str(err.value)


def test_shape_mismatch_without_conversion_names_the_class(sample_raw: RawDataset, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'triangle'"):
        write_yolo(sample_raw, tmp_path / "yolo", classes=["square", "triangle"], convert=False)
    # Only rectangles selected: nothing to convert, so it works.
    write_yolo(sample_raw, tmp_path / "yolo", classes=["square"], convert=False)


def test_existing_export_folder_is_not_overwritten(sample_raw: RawDataset, tmp_path: Path) -> None:
    write_yolo(sample_raw, tmp_path / "yolo")
    with pytest.raises(InputError) as err:
        write_yolo(sample_raw, tmp_path / "yolo")
    assert err.value.field == "dest"


def test_names_that_would_share_a_label_file_are_refused(own_raw: RawDataset, tmp_path: Path) -> None:
    first, second = [i for i in own_raw.items if i.dataset_id == 1 and i.split == "train"][:2]
    png = own_raw.root / "images" / own_raw.dataset_name(1) / (Path(first.name).stem + ".png")
    Image.open(own_raw.image_path(second)).save(png)
    second.name, second.image = png.name, str(png)
    with pytest.raises(InputError, match="stems differ"):
        write_yolo(own_raw, tmp_path / "yolo")


def test_boxes_are_clipped_to_the_image(own_raw: RawDataset, tmp_path: Path) -> None:
    item = own_raw.items[0]
    item.objects = [
        LabelObject(class_name="square", geometry=Rectangle(x1=-10, y1=40, x2=20, y2=90)),
        LabelObject(class_name="square", geometry=Rectangle(x1=70, y1=70, x2=90, y2=90)),  # fully outside
    ]
    write_yolo(own_raw, tmp_path / "yolo")
    label = tmp_path / "yolo" / "labels" / item.split / own_raw.dataset_name(item.dataset_id) / "img_00000.txt"
    (row,) = [[float(v) for v in line.split()] for line in label.read_text().splitlines()]
    assert row == pytest.approx([0, 10 / 64, (40 + 64) / 2 / 64, 20 / 64, 24 / 64], abs=1e-5)


def test_our_export_reads_back_into_the_same_project(sample_raw: RawDataset, tmp_path: Path) -> None:
    write_yolo(sample_raw, tmp_path / "yolo", task="segment")
    raw = read_yolo(tmp_path / "yolo", name="again")
    assert raw.meta.project_name == "again"
    assert raw.class_names() == sample_raw.class_names()
    assert {d.name for d in raw.meta.datasets} == {d.name for d in sample_raw.meta.datasets}
    by_key = {(raw.dataset_name(i.dataset_id), i.name): i for i in raw.items}
    for item in sample_raw.items:
        back = by_key[(sample_raw.dataset_name(item.dataset_id), item.name)]
        assert back.split == item.split and back.tags == [item.split]
        assert Path(back.image).is_absolute() and Path(back.image).is_relative_to(tmp_path / "yolo")
        assert (back.width, back.height) == (item.width, item.height)
        assert [o.class_name for o in back.objects] == [o.class_name for o in item.objects]
    # ... and writes out again to the same labels.
    write_yolo(raw, tmp_path / "yolo2", task="segment")
    assert _close(_labels(tmp_path / "yolo"), _labels(tmp_path / "yolo2"))


def _flat_yolo(root: Path) -> Path:
    """A dataset as people download them: flat split folders, names as a list, relative path."""
    for split, names in (("train", ["a.jpg", "b.png"]), ("val", ["c.jpg"])):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for name in names:
            Image.new("RGB", (200, 100), (90, 90, 90)).save(root / "images" / split / name)
    (root / "labels" / "train" / "a.txt").write_text("0 0.5 0.5 0.2 0.4\n1 0.1 0.1 0.3 0.1 0.2 0.3\n")
    (root / "labels" / "val" / "c.txt").write_text("1 0.25 0.5 0.5 0.5\n")
    # b.png has no label file: a background image.
    (root / "data.yaml").write_text("path: .\ntrain: images/train\nval: images/val\nnames: [cat, dog]\n")
    return root / "data.yaml"


def test_yolo_to_raw_to_yolo_keeps_every_label(tmp_path: Path) -> None:
    _flat_yolo(tmp_path / "src")
    raw = read_yolo(tmp_path / "src")
    assert [(c.name, c.shape) for c in raw.meta.classes] == [("cat", "rectangle"), ("dog", "polygon")]
    assert {raw.dataset_name(i.dataset_id): i.split for i in raw.items} == {"train": "train", "val": "val"}
    assert sorted(i.name for i in raw.items) == ["a.jpg", "b.png", "c.jpg"]
    a = next(i for i in raw.items if i.name == "a.jpg")
    assert a.image == str((tmp_path / "src" / "images" / "train" / "a.jpg").resolve())  # in place, no copy
    assert a.objects[0].geometry == Rectangle(x1=80, y1=30, x2=120, y2=70)
    assert a.objects[1].geometry == Polygon(points=[(20, 10), (60, 10), (40, 30)])
    write_yolo(raw, tmp_path / "out")
    out = _labels(tmp_path / "out")
    src = _labels(tmp_path / "src")
    # Same labels under the same file names; each split's images sit in a dataset folder.
    assert out["train/train/a.txt"][0] == pytest.approx(src["train/a.txt"][0])
    assert out["train/train/a.txt"][1] == pytest.approx([1, 0.2, 0.2, 0.2, 0.2])  # the polygon's box (detect)
    assert out["val/val/c.txt"] == [pytest.approx(r) for r in src["val/c.txt"]]
    assert out["train/train/b.txt"] == []
    write_yolo(raw, tmp_path / "seg", task="segment")
    assert _labels(tmp_path / "seg")["train/train/a.txt"][1] == pytest.approx(src["train/a.txt"][1])


def test_reader_reports_bad_label_lines(tmp_path: Path) -> None:
    data_yaml = _flat_yolo(tmp_path / "src")
    (tmp_path / "src" / "labels" / "val" / "c.txt").write_text("5 0.5 0.5 0.1 0.1\n")
    with pytest.raises(InputError, match="class index in 0..1"):
        read_yolo(data_yaml)
    (tmp_path / "src" / "labels" / "val" / "c.txt").write_text("0 0.5 0.5 0.1\n")
    with pytest.raises(InputError, match="line 1"):
        read_yolo(data_yaml)
    with pytest.raises(InputError) as err:
        read_yolo(tmp_path / "nowhere")
    assert err.value.field == "path"


@given(
    st.floats(0, 90), st.floats(0, 90), st.floats(1, 60), st.floats(1, 60), st.integers(20, 400), st.integers(20, 400)
)
def test_label_line_round_trip_for_boxes_inside_the_image(x: float, y: float, w: float, h: float, width: int, height: int) -> None:
    x, y = x * width / 100, y * height / 100
    w, h = min(w * width / 100, width - x), min(h * height / 100, height - y)
    if w <= 0.01 or h <= 0.01:
        return
    obj = LabelObject(class_name="b", geometry=Rectangle(x1=x, y1=y, x2=x + w, y2=y + h))
    line = object_line(obj, 0, "detect", width, height)
    assert line is not None
    path = Path(os.environ["SYNAPSE_NB_HOME"]) / f"prop-{os.getpid()}.txt"
    path.write_text(line + "\n")
    (back,) = parse_label_file(path, ["b"], width, height)
    assert back.geometry.bbox() == pytest.approx(obj.geometry.bbox(), abs=1e-5 * max(width, height) + 1e-9)
