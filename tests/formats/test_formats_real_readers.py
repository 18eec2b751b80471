"""Our exports, read by the libraries that will consume them: ultralytics and pycocotools."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from synapse_nb.formats.cache import DatasetCache
from synapse_nb.formats.coco import write_coco
from synapse_nb.formats.raw import RawDataset
from synapse_nb.formats.yolo import write_yolo

# pycocotools' mask decoder trips a numpy 2 deprecation inside its own code; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


@pytest.fixture(scope="module")
def ultralytics_data():  # noqa: ANN201 - returns ultralytics modules
    from synapse_nb._offline import configure_ultralytics

    configure_ultralytics()
    from ultralytics.data import YOLODataset
    from ultralytics.data.utils import check_det_dataset

    return YOLODataset, check_det_dataset


def _expected(raw: RawDataset, split: str, classes: set[str] | None = None) -> tuple[int, int]:
    items = [i for i in raw.items if i.split == split]
    objects = sum(1 for i in items for o in i.objects if classes is None or o.class_name in classes)
    return len(items), objects


def _load(ultralytics_data, data_yaml: Path, task: str) -> dict[str, object]:  # noqa: ANN001
    YOLODataset, check_det_dataset = ultralytics_data
    data = check_det_dataset(str(data_yaml), autodownload=False)
    result = {"data": data}
    for split in ("train", "val"):
        dataset = YOLODataset(img_path=data[split], data=data, task=task, imgsz=64, augment=False, batch_size=4)
        result[split] = dataset
    return result


@pytest.mark.parametrize("task", ["detect", "segment"])
def test_ultralytics_loads_our_yolo_export(ultralytics_data, sample_raw: RawDataset, tmp_path: Path, task: str, no_network) -> None:  # noqa: ANN001
    data_yaml = write_yolo(sample_raw, tmp_path / "yolo", task=task)
    loaded = _load(ultralytics_data, data_yaml, task)
    data = loaded["data"]
    assert data["nc"] == 5 and data["names"] == dict(enumerate(sample_raw.class_names()))
    for split in ("train", "val"):
        dataset = loaded[split]
        n_images, n_objects = _expected(sample_raw, split)
        assert len(dataset.im_files) == n_images
        # Every image found its label file (nested dataset folders included).
        assert all(Path(f).is_file() for f in dataset.label_files)
        assert sum(len(lb["cls"]) for lb in dataset.labels) == n_objects
        if task == "segment":
            assert sum(len(lb["segments"]) for lb in dataset.labels) == n_objects
        names = Counter(int(c) for lb in dataset.labels for c in lb["cls"].ravel())
        ours = Counter(
            sample_raw.class_names().index(o.class_name) for i in sample_raw.items if i.split == split for o in i.objects
        )
        assert names == ours
    assert no_network == []


def test_ultralytics_loads_a_filtered_cached_export_after_an_update(ultralytics_data, own_raw: RawDataset, tmp_path: Path) -> None:  # noqa: ANN001
    cache = DatasetCache(tmp_path / "cache")
    data_yaml = cache.prepare(own_raw, "yolo", classes=["circle", "blob"], task="detect")
    first = _load(ultralytics_data, data_yaml, "detect")
    assert first["data"]["names"] == {0: "circle", 1: "blob"}
    # The labels change but keep their byte size: ultralytics' own label cache must not hide it.
    item = next(i for i in own_raw.items if i.split == "val" and any(o.class_name == "circle" for o in i.objects))
    circle = next(o for o in item.objects if o.class_name == "circle")
    circle.class_name = "blob"
    assert cache.prepare(own_raw, "yolo", classes=["circle", "blob"], task="detect") == data_yaml
    again = _load(ultralytics_data, data_yaml, "detect")
    assert _expected(own_raw, "val", {"circle", "blob"})[1] == sum(len(lb["cls"]) for lb in again["val"].labels)
    blobs = lambda ds: sum(int((lb["cls"] == 1).sum()) for lb in ds.labels)  # noqa: E731
    assert blobs(again["val"]) == blobs(first["val"]) + 1


def test_pycocotools_loads_our_coco_export(sample_raw: RawDataset, tmp_path: Path) -> None:
    from pycocotools.coco import COCO

    path = write_coco(sample_raw, tmp_path / "coco")
    coco = COCO(str(path))
    assert len(coco.getImgIds()) == len(sample_raw.items)
    assert len(coco.getAnnIds()) == sum(len(i.objects) for i in sample_raw.items)
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == sample_raw.class_names()
    for cat_id, name in enumerate(sample_raw.class_names(), start=1):
        assert len(coco.getAnnIds(catIds=[cat_id])) == sum(1 for i in sample_raw.items for o in i.objects if o.class_name == name)
    # Masks decode for every segmented annotation, with the area we wrote.
    for ann in coco.loadAnns(coco.getAnnIds()):
        if ann["segmentation"]:
            assert abs(int(coco.annToMask(ann).sum()) - ann["area"]) <= 0.2 * ann["area"] + 10
    for side in ("train", "val"):
        split = COCO(str(tmp_path / "coco" / f"annotations_{side}.json"))
        n_images, n_objects = _expected(sample_raw, side)
        assert (len(split.getImgIds()), len(split.getAnnIds())) == (n_images, n_objects)
