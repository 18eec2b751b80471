"""What the project step shows of a project: thumbnails with their annotations drawn, and
how many items each dataset, tag and collection holds. Pure functions of plain data.

Example:
    >>> import io
    >>> from PIL import Image
    >>> from types import SimpleNamespace as NS
    >>> from synapse_nb.schemas import LabelObject, Rectangle
    >>> buf = io.BytesIO(); Image.new("RGB", (32, 16), "white").save(buf, format="PNG")
    >>> box = LabelObject(class_name="square", geometry=Rectangle(x1=2, y1=2, x2=10, y2=10))
    >>> thumb = Image.open(io.BytesIO(annotated_thumbnail(buf.getvalue(), [box], {"square": "#ff0000"}, size=64)))
    >>> thumb.size, thumb.getpixel((4, 4))
    ((64, 32), (255, 0, 0))
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

DEFAULT_COLOR = "#1f77b4"


def _rgb(color: str) -> tuple[int, int, int]:
    text = color.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def annotated_thumbnail(image: bytes, objects: Iterable[Any], colors: Mapping[str, str], size: int = 96) -> bytes:
    """A PNG of ``image`` scaled so its longer side is ``size`` pixels, with each object drawn
    in its class's colour: rectangles and polygons outlined, bitmaps filled half-transparent.

    Lines are drawn after scaling, so they stay crisp on small images.
    """
    from PIL import Image, ImageDraw

    picture = Image.open(io.BytesIO(image)).convert("RGB")
    scale = size / max(picture.size)
    width, height = max(1, round(picture.width * scale)), max(1, round(picture.height * scale))
    picture = picture.resize((width, height))
    overlay = Image.new("RGBA", picture.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(picture)
    fill = ImageDraw.Draw(overlay)
    for obj in objects:
        color = _rgb(colors.get(obj.class_name, DEFAULT_COLOR))
        geometry = obj.geometry
        if geometry.type == "rectangle":
            draw.rectangle([geometry.x1 * scale, geometry.y1 * scale, geometry.x2 * scale, geometry.y2 * scale],
                           outline=color, width=2)
        elif geometry.type == "polygon":
            for part in geometry.rings():
                draw.polygon([(x * scale, y * scale) for x, y in part], outline=color, width=2)
        else:
            from pycocotools import mask as mask_utils  # lazy: only bitmaps need it

            mask = mask_utils.decode({"size": list(geometry.size), "counts": geometry.counts.encode()})
            alpha = Image.fromarray((mask * 140).astype("uint8")).resize(picture.size)
            fill.bitmap((0, 0), alpha, fill=(*color, 140))
    picture = Image.alpha_composite(picture.convert("RGBA"), overlay).convert("RGB")
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def thumbnail_items(items: Iterable[Any], per_dataset: int, dataset_order: Iterable[int]) -> list[Any]:
    """The first ``per_dataset`` items of each dataset, datasets in ``dataset_order``.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> items = [NS(id=i, dataset_id=d) for i, d in enumerate([1, 1, 1, 2, 2])]
        >>> [i.id for i in thumbnail_items(items, 2, [2, 1])]
        [3, 4, 0, 1]
    """
    by_dataset: dict[int, list[Any]] = {}
    for item in items:
        shown = by_dataset.setdefault(item.dataset_id, [])
        if len(shown) < per_dataset:
            shown.append(item)
    return [item for dataset_id in dataset_order for item in by_dataset.get(dataset_id, [])]


def group_counts(items: Iterable[Any], datasets: Iterable[Any], tags: Iterable[str],
                 collections: Iterable[Any]) -> pd.DataFrame:
    """Items per dataset, per tag and per collection: columns ``group`` (dataset, tag,
    collection), ``name`` and ``items``.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> items = [NS(tags=["train"]), NS(tags=["train", "val"]), NS(tags=[])]
        >>> group_counts(items, [NS(name="a", item_count=3)], ["train", "val"], [NS(name="c", item_ids=[1])]).values.tolist()
        [['dataset', 'a', 3], ['tag', 'train', 2], ['tag', 'val', 1], ['collection', 'c', 1]]
    """
    items = list(items)
    rows = [("dataset", d.name, d.item_count) for d in datasets]
    rows += [("tag", tag, sum(tag in item.tags for item in items)) for tag in tags]
    rows += [("collection", c.name, len(c.item_ids)) for c in collections]
    return pd.DataFrame(rows, columns=["group", "name", "items"])


def group_counts_of(stats: Any, datasets: Iterable[Any], tags: Iterable[str], collections: Iterable[Any]) -> pd.DataFrame:
    """:func:`group_counts` from the backend's counts (a ``ProjectStats``), without the items.

    Example:
        >>> from types import SimpleNamespace as NS
        >>> stats = NS(tags={"train": 2}, collections={7: 1})
        >>> group_counts_of(stats, [NS(name="a", item_count=3)], ["train", "val"], [NS(id=7, name="c")]).values.tolist()
        [['dataset', 'a', 3], ['tag', 'train', 2], ['tag', 'val', 0], ['collection', 'c', 1]]
    """
    rows = [("dataset", d.name, d.item_count) for d in datasets]
    rows += [("tag", tag, int(stats.tags.get(tag, 0))) for tag in tags]
    rows += [("collection", c.name, int(stats.collections.get(c.id, 0))) for c in collections]
    return pd.DataFrame(rows, columns=["group", "name", "items"])
