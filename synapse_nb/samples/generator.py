"""Generate a sample project: coloured shapes on noise, written as a raw dataset folder.

The project has 2 to 5 classes (square: rectangle; triangle, circle, hexagon: polygon;
blob: bitmap), 1 to 4 objects per image, items spread over several datasets, ``train`` /
``val`` tags on most items and two collections, so every split kind has something to
work with. The same arguments always give the same bytes and annotations.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> raw = generate_sample_project(Path(tempfile.mkdtemp()) / "shapes", num_images=8, image_size=32)
    >>> len(raw.items), raw.class_names()
    (8, ['square', 'triangle', 'circle'])
"""

from __future__ import annotations

__all__ = ["COLLECTIONS", "JPEG_QUALITY", "generate_sample_project"]

import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from synapse_nb.errors import InputError
from synapse_nb.formats._files import check_new_folder, staged_folder
from synapse_nb.formats.palette import TAB10
from synapse_nb.formats.raw import RawCollectionRef, RawDataset, RawDatasetRef, RawItem, RawMeta
from synapse_nb.samples._draw import SAMPLE_CLASSES, draw_image
from synapse_nb.schemas.common import NAME_PATTERN
from synapse_nb.schemas.project import ClassMeta, TagMeta

MIN_IMAGES, MAX_IMAGES = 8, 10_000
MIN_SIZE, MAX_SIZE = 32, 2048
JPEG_QUALITY = 90
TRAIN_SHARE, VAL_SHARE = 0.60, 0.25
COLLECTIONS = ("batch-a", "batch-b")


def _check_int(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise InputError(field, f"a whole number from {low:,} to {high:,}", got=value)
    return int(value)


def _tag_plan(n: int, seed: int) -> list[list[str]]:
    """Tags per item index: a fixed shuffle, ~60 % ``train``, ~25 % ``val``, the rest none."""
    order = np.random.default_rng([seed, 1]).permutation(n)
    n_train, n_val = round(n * TRAIN_SHARE), round(n * VAL_SHARE)
    tags: list[list[str]] = [[] for _ in range(n)]
    for rank, index in enumerate(order):
        if rank < n_train:
            tags[index] = ["train"]
        elif rank < n_train + n_val:
            tags[index] = ["val"]
    return tags


def _collection_plan(n: int, seed: int) -> list[int]:
    """Collection id per item index: a fixed shuffle cut in half (ids 1 and 2)."""
    order = np.random.default_rng([seed, 2]).permutation(n)
    result = [0] * n
    for rank, index in enumerate(order):
        result[index] = 1 if rank < n // 2 else 2
    return result


def _progress(iterable: Iterable[int], total: int, enabled: bool, name: str) -> Iterator[int]:
    if not enabled:
        return iter(iterable)
    from tqdm.auto import tqdm  # lazy: picks a notebook bar in Jupyter, a terminal bar elsewhere

    return iter(tqdm(iterable, total=total, desc=f"Generating {name}", unit="img"))


def generate_sample_project(
    dest: Path,
    num_images: int = 64,
    image_size: int = 128,
    num_classes: int = 3,
    num_datasets: int = 2,
    seed: int = 0,
    name: str = "shapes",
    progress: bool = False,
) -> RawDataset:
    """Write a sample project of ``num_images`` synthetic images to the new folder ``dest``.

    ``num_images`` 8..10,000; ``image_size`` 32..2,048 pixels (square JPEGs, quality 90);
    ``num_classes`` 2..5 (square, triangle, circle, hexagon, blob, in that order);
    ``num_datasets`` 1..num_images (items in consecutive blocks). Tags: ~60 % ``train``,
    ~25 % ``val``, the rest untagged; collections ``batch-a`` and ``batch-b`` split the
    items in half. Everything is a fixed function of ``seed``. Bad arguments are an
    :class:`InputError` naming the parameter, before anything is written; the folder is
    built beside ``dest`` and renamed into place.

    Example:
        >>> raw = generate_sample_project(Path("/tmp/shapes"), num_images=256, seed=1)  # doctest: +SKIP
        >>> raw.meta.datasets  # doctest: +SKIP
        [RawDatasetRef(id=1, name='set-1'), RawDatasetRef(id=2, name='set-2')]
    """
    num_images = _check_int("num_images", num_images, MIN_IMAGES, MAX_IMAGES)
    image_size = _check_int("image_size", image_size, MIN_SIZE, MAX_SIZE)
    num_classes = _check_int("num_classes", num_classes, 2, len(SAMPLE_CLASSES))
    num_datasets = _check_int("num_datasets", num_datasets, 1, num_images)
    seed = _check_int("seed", seed, 0, 2**63 - 1)
    if not isinstance(name, str) or not re.fullmatch(NAME_PATTERN, name):
        raise InputError("name", "a project name of 1-200 characters without '/', '\\' or control characters", got=name)
    dest = check_new_folder("dest", dest)

    class_names = list(SAMPLE_CLASSES)[:num_classes]
    meta = RawMeta(
        project_name=name,
        classes=[ClassMeta(name=c, shape=SAMPLE_CLASSES[c][0], color=TAB10[i]) for i, c in enumerate(class_names)],
        tags=[TagMeta(name="train", color="#2ca02c"), TagMeta(name="val", color="#ff7f0e")],
        datasets=[RawDatasetRef(id=k + 1, name=f"set-{k + 1}") for k in range(num_datasets)],
        collections=[RawCollectionRef(id=k + 1, name=c) for k, c in enumerate(COLLECTIONS)],
    )
    tags = _tag_plan(num_images, seed)
    collections = _collection_plan(num_images, seed)
    items: list[RawItem] = []
    with staged_folder(dest) as stage:
        folders = {ref.id: stage / "images" / ref.name for ref in meta.datasets}
        for folder in folders.values():
            folder.mkdir(parents=True)
        for i in _progress(range(num_images), num_images, progress, name):
            # One generator per image: image i is the same whatever num_images is.
            pixels, objects = draw_image(np.random.default_rng([seed, 0, i]), image_size, class_names)
            buffer = io.BytesIO()
            Image.fromarray(pixels, "RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY)
            data = buffer.getvalue()
            dataset_id = i * num_datasets // num_images + 1
            file_name = f"img_{i:05d}.jpg"
            (folders[dataset_id] / file_name).write_bytes(data)
            items.append(
                RawItem(
                    id=i + 1,
                    name=file_name,
                    dataset_id=dataset_id,
                    image=f"images/{meta.datasets[dataset_id - 1].name}/{file_name}",
                    width=image_size,
                    height=image_size,
                    tags=tags[i],
                    collections=[collections[i]],
                    objects=objects,
                    image_hash=hashlib.sha256(data).hexdigest(),
                )
            )
        raw = RawDataset(meta=meta, items=items)
        raw.write_manifest(stage)
    return raw.attach(dest)
