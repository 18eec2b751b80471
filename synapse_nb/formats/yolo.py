"""Raw dataset <-> YOLO (ultralytics layout).

Written layout (original file names kept, one folder per dataset inside each split)::

    <dest>/dataset.yaml                       path (absolute), train, val, names
    <dest>/images/<split>/<dataset>/<name>    hard-linked from the source where possible
    <dest>/labels/<split>/<dataset>/<stem>.txt

ultralytics finds images recursively below ``images/<split>`` and each label by replacing
the last ``/images/`` with ``/labels/``; the writer uses that same rule.

Unlike the SDK our users come from, an item without a train/val split is an error: a
YAML whose ``val`` points at the training images would report validation scores that
measure nothing.

Example:
    >>> from synapse_nb.samples import generate_sample_project  # doctest: +SKIP
    >>> raw = generate_sample_project(tmp / "raw")              # doctest: +SKIP
    >>> write_yolo(raw, tmp / "yolo")                          # doctest: +SKIP
    PosixPath('.../yolo/dataset.yaml')
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import yaml

from synapse_nb.errors import InputError
from synapse_nb.formats._checks import check_names, check_objects, resolve_classes, source_paths
from synapse_nb.formats._files import Linker, check_new_folder, staged_folder, write_new_file
from synapse_nb.formats._yolo_labels import IMG_FORMATS, YoloTask, label_path_for, object_line
from synapse_nb.formats._yolo_read import read_yolo
from synapse_nb.formats.raw import RawDataset, RawItem
from synapse_nb.formats.shapes import normalise_task

__all__ = ["DATA_YAML", "YoloTask", "check_yolo_export", "read_yolo", "write_yolo", "yolo_item_files", "yolo_yaml_text"]

log = logging.getLogger(__name__)

DATA_YAML = "dataset.yaml"


def _yolo_task(task: str) -> YoloTask:
    return "detect" if normalise_task(task, field="task") == "detection" else "segment"


def check_yolo_export(
    raw: RawDataset, task: str = "detect", classes: Sequence[str] | None = None, convert: bool = True
) -> tuple[YoloTask, list[str]]:
    """Everything :func:`write_yolo` checks before writing; returns ``(task, class names)``.

    Example:
        >>> check_yolo_export(raw, "segment")  # doctest: +SKIP
        ('segment', ['square', 'triangle', 'circle'])
    """
    yolo_task = _yolo_task(task)
    names = resolve_classes(raw, classes)
    check_objects(raw, names, normalise_task(yolo_task), convert)
    datasets = check_names(raw)
    # One label file per (split, dataset, stem): ultralytics pairs images and labels by stem.
    stems: dict[tuple[str, int, str], str] = {}
    sides = {"train": 0, "val": 0}
    for i, item in enumerate(raw.items):
        if item.split is None:
            raise InputError(
                f"items[{i}].split",
                "'train' or 'val' on every item",
                got=None,
                hint=f"item {item.name!r}: export with a train/val split; a YOLO dataset without one "
                "would validate on its training images",
            )
        sides[item.split] += 1
        stem, _, ext = item.name.rpartition(".")
        if not stem or ext.lower() not in IMG_FORMATS:
            raise InputError(f"items[{i}].name", f"an image file name ending in one of {sorted(IMG_FORMATS)}", got=item.name)
        key = (item.split, item.dataset_id, stem)
        if key in stems:
            raise InputError(
                f"items[{i}].name",
                "file names whose stems differ within a dataset (YOLO keeps one label file per stem)",
                got=item.name,
                hint=f"{stems[key]!r} in dataset {datasets[item.dataset_id]!r} has the same stem",
            )
        stems[key] = item.name
    for side, count in sides.items():
        if count == 0:
            raise InputError("items.split", f"at least one {side} item", got=sides)
    return yolo_task, names


def _image_rel(item: RawItem, dataset: str) -> str:
    return f"images/{item.split}/{dataset}/{item.name}"


def _label_rel(image_rel: str) -> str:
    # Apply ultralytics' rule to the path as it will sit below the export folder.
    return label_path_for("/" + image_rel)[1:]


def yolo_item_files(item: RawItem, dataset: str, class_index: dict[str, int], task: YoloTask) -> tuple[str, str, str, int]:
    """``(image path, label path, label text, objects dropped)`` of one item of the dataset
    named ``dataset``, paths relative to the export folder. Objects of classes missing from
    ``class_index`` are left out (the class filter); objects entirely outside the image are
    dropped and counted.

    Example:
        >>> yolo_item_files(raw.items[0], "set-1", {"square": 0}, "detect")[:2]  # doctest: +SKIP
        ('images/train/set-1/img_00000.jpg', 'labels/train/set-1/img_00000.txt')
    """
    image_rel = _image_rel(item, dataset)
    lines = []
    dropped = 0
    for obj in item.objects:
        index = class_index.get(obj.class_name)
        if index is None:
            continue
        line = object_line(obj, index, task, item.width, item.height)
        if line is None:
            dropped += 1
        else:
            lines.append(line)
    text = "\n".join(lines) + "\n" if lines else ""
    return image_rel, _label_rel(image_rel), text, dropped


def yolo_yaml_text(dest: Path, names: Sequence[str]) -> str:
    """The ``dataset.yaml`` ultralytics reads: absolute ``path``, both splits, ``names``.

    Example:
        >>> print(yolo_yaml_text(Path("/data/yolo"), ["cat"]), end="")
        path: /data/yolo
        train: images/train
        val: images/val
        names:
          0: cat
    """
    doc = {"path": str(Path(dest).resolve()), "train": "images/train", "val": "images/val", "names": dict(enumerate(names))}
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def write_yolo(
    raw: RawDataset,
    dest: Path,
    task: YoloTask = "detect",
    classes: list[str] | None = None,
    link: bool = True,
    *,
    convert: bool = True,
) -> Path:
    """Write ``raw`` as a YOLO dataset in the new or empty folder ``dest``; return its ``dataset.yaml``.

    Items go to ``train`` / ``val`` by ``item.split``; every item needs one. ``classes``
    selects classes (default all): other classes' objects are left out and the remaining
    classes are numbered in the project's class order. Shapes are converted to the task's
    (boxes for ``detect``, polygons for ``segment``) unless ``convert=False``, which makes a
    shape mismatch an error naming the class. Images are hard links to the source files
    (copies across devices, or with ``link=False``). The export is built beside ``dest``
    and renamed into place: it is complete or absent.

    Example:
        >>> yaml_path = write_yolo(raw, Path("/tmp/shapes-yolo"), task="detect", classes=["circle"])  # doctest: +SKIP
        >>> yaml_path.name  # doctest: +SKIP
        'dataset.yaml'
    """
    yolo_task, names = check_yolo_export(raw, task, classes, convert)
    sources = source_paths(raw)
    dest = check_new_folder("dest", dest)
    class_index = {name: i for i, name in enumerate(names)}
    datasets = {ref.id: ref.name for ref in raw.meta.datasets}
    plans = [yolo_item_files(item, datasets[item.dataset_id], class_index, yolo_task) for item in raw.items]
    dropped = sum(plan[3] for plan in plans)
    linker = Linker(link)
    with staged_folder(dest) as stage:
        base = str(stage)
        for folder in sorted({os.path.dirname(rel) for plan in plans for rel in plan[:2]}):
            os.makedirs(f"{base}/{folder}", exist_ok=True)
        # Plain strings and raw system calls: this loop runs once per image and its cost is
        # what a conversion of thousands of images costs.
        for source, (image_rel, label_rel, text, _) in zip(sources, plans, strict=True):
            linker.place(source, f"{base}/{image_rel}")
            write_new_file(f"{base}/{label_rel}", text.encode("utf-8"))
        (stage / DATA_YAML).write_text(yolo_yaml_text(dest, names), encoding="utf-8")
    if dropped:
        log.warning("%d objects lie entirely outside their image and were left out of %s", dropped, dest)
    return dest / DATA_YAML
