"""Read a YOLO dataset (ultralytics layout) into a raw dataset, images referenced in place.

Example:
    >>> raw = read_yolo(Path("/data/coco8/coco8.yaml"))  # doctest: +SKIP
    >>> sorted({raw.dataset_name(i.dataset_id) for i in raw.items})  # doctest: +SKIP
    ['train', 'val']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from synapse_nb.errors import InputError
from synapse_nb.formats._yolo_labels import IMG_FORMATS, label_path_for, parse_label_file
from synapse_nb.formats.raw import RawDatasetRef, RawDataset, RawItem, RawMeta
from synapse_nb.formats.palette import class_colour
from synapse_nb.formats.problems import Problems, verify_image
from synapse_nb.schemas.project import ClassMeta, TagMeta

_SPLITS = ("train", "val", "test")
_YAML_NAMES = ("dataset.yaml", "data.yaml")


def _find_yaml(path: Path) -> Path:
    path = Path(path).expanduser().resolve()
    if path.is_file():
        return path
    if not path.is_dir():
        raise InputError("path", "a dataset.yaml or a folder holding one", got=str(path), hint="it does not exist")
    for name in _YAML_NAMES:
        if (path / name).is_file():
            return path / name
    found = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
    if len(found) == 1:
        return found[0]
    raise InputError("path", "a folder with one dataset YAML (dataset.yaml or data.yaml)", got=str(path), hint=f"YAML files there: {[p.name for p in found]}")


def _names(doc: dict[str, Any], where: str) -> list[str]:
    names = doc.get("names")
    if isinstance(names, dict):
        keys = sorted(names)
        if keys != list(range(len(keys))):
            raise InputError(f"{where}: names", "class indices 0..N-1", got=keys)
        return [str(names[k]) for k in keys]
    if isinstance(names, list) and names:
        return [str(n) for n in names]
    raise InputError(f"{where}: names", "a mapping {index: name} or a list of names", got=names)


def _split_images(root: Path, entry: str, split: str, where: str) -> list[tuple[Path, str]]:
    """``(image path, dataset name)`` of one split entry: a folder (searched recursively, as
    ultralytics does) or a text file listing images."""
    path = Path(entry)
    path = path if path.is_absolute() else root / path
    if path.is_dir():
        result = []
        for p in sorted(path.rglob("*.*")):
            if p.suffix[1:].lower() in IMG_FORMATS and p.is_file():
                # Sub-folders of a split become datasets; images directly in it, a dataset named by the split.
                parents = p.relative_to(path).parts[:-1]
                result.append((p, "-".join(parents) if parents else split))
        return result
    if path.is_file():
        result = []
        for line in path.read_text(encoding="utf-8-sig").splitlines():
            line = line.strip()
            if not line:
                continue
            image = Path(line.replace("./", str(path.parent) + "/", 1) if line.startswith("./") else line)
            result.append((image if image.is_absolute() else root / image, split))
        return result
    raise InputError(f"{where}: {split}", "an existing folder or image list", got=str(path))


def read_yolo(path: Path, name: str | None = None, problems: Problems | None = None) -> RawDataset:
    """Read a YOLO ``dataset.yaml`` (or a folder with one) into a :class:`RawDataset`.

    Boxes become rectangles and polygon lines polygons; a class is ``polygon`` when any of
    its labels is a polygon, else ``rectangle``. Each split folder becomes a dataset named
    after it (its sub-folders, if any, become datasets named after them), and items carry
    the tag and ``split`` of the folder they came from (``test`` items: tag only). File
    names are kept and images are referenced in place by absolute path; nothing is copied.

    Every image is decoded and every label checked (see :mod:`synapse_nb.formats.problems`):
    a bad one raises an InputError naming the file (and line), or, with ``problems`` in
    ``"skip"`` mode, is left out and listed there.

    Example:
        >>> raw = read_yolo(Path("exports/shapes-yolo"))  # doctest: +SKIP
        >>> raw.items[0].tags  # doctest: +SKIP
        ['train']
    """
    yaml_path = _find_yaml(path)
    where = str(yaml_path)
    try:
        doc = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(where, "valid YAML", got=str(exc)) from None
    if not isinstance(doc, dict):
        raise InputError(where, "a YAML mapping", got=type(doc).__name__)
    if "kpt_shape" in doc:
        raise InputError(f"{where}: kpt_shape", "a detection or segmentation dataset", got="a keypoint (pose) dataset")
    names = _names(doc, where)
    root = Path(doc.get("path") or yaml_path.parent)
    root = root if root.is_absolute() else (yaml_path.parent / root)
    root = root.resolve()

    found: list[tuple[Path, str, str]] = []
    for split in _SPLITS:
        entries = doc.get(split)
        if not entries:
            continue
        for entry in entries if isinstance(entries, list) else [entries]:
            found += [(p, ds, split) for p, ds in _split_images(root, str(entry), split, where)]
    if not found:
        raise InputError(where, "train/val entries that hold images", got={s: doc.get(s) for s in _SPLITS})

    problems = problems if problems is not None else Problems("raise")
    dataset_ids: dict[str, int] = {}
    items: list[RawItem] = []
    polygon_classes: set[str] = set()
    seen: dict[tuple[str, str], Path] = {}
    for image, dataset, split in found:
        key = (dataset, image.name)
        if key in seen:
            raise InputError("path", "file names unique within each dataset folder", got=str(image), hint=f"same name as {seen[key]}")
        seen[key] = image
        try:
            width, height = verify_image(image)
            objects = parse_label_file(Path(label_path_for(str(image))), names, width, height)
        except InputError as exc:
            problems.found(exc, image, line=getattr(exc, "line", None))
            continue
        polygon_classes.update(o.class_name for o in objects if o.geometry.type == "polygon")
        ds_id = dataset_ids.setdefault(dataset, len(dataset_ids) + 1)
        items.append(
            RawItem(
                id=len(items) + 1,
                name=image.name,
                dataset_id=ds_id,
                image=str(image),
                width=width,
                height=height,
                tags=[split],
                objects=objects,
                split=split if split in ("train", "val") else None,
            )
        )
    if not items:
        raise InputError(where, "at least one readable image with valid labels",
                         got=f"all {len(found)} skipped", hint=problems.skipped[0].reason if problems.skipped else None)
    try:
        classes = [
            ClassMeta(name=n, shape="polygon" if n in polygon_classes else "rectangle", color=class_colour(i)) for i, n in enumerate(names)
        ]
    except ValueError as exc:
        raise InputError(f"{where}: names", "class names without '/', '\\' or control characters", got=names) from exc
    splits_present = [s for s in _SPLITS if any(split == s for _, _, split in found)]
    meta = RawMeta(
        project_name=name or yaml_path.parent.name or yaml_path.stem,
        classes=classes,
        tags=[TagMeta(name=s) for s in splits_present],
        datasets=[RawDatasetRef(id=i, name=n) for n, i in dataset_ids.items()],
    )
    return RawDataset(meta=meta, items=items)
