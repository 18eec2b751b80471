"""Shape conversion: boxes, polygons and masks into the shape a training task needs.

Pure functions on our annotation models. A detection model learns boxes, so polygons and
bitmaps become their enclosing rectangles; a segmentation model learns outlines, so
bitmaps become their largest contour and rectangles 4-point polygons. Conversion is
either asked for (``convert=True``) or refused with an error naming the class; an object
is never silently dropped or left in a shape the task can't use.

Example:
    >>> from synapse_nb.schemas import ClassMeta, LabelObject, Polygon
    >>> tri = LabelObject(class_name="triangle", geometry=Polygon(points=[(0, 0), (10, 0), (5, 8)]))
    >>> objects, converted = convert_objects([tri], [ClassMeta(name="triangle", shape="polygon")], "detection", True)
    >>> objects[0].geometry.bbox(), converted
    ((0.0, 0.0, 10.0, 8.0), ['triangle'])
"""

from __future__ import annotations

__all__ = [
    "TASK_SHAPE", "TaskType", "bitmap_area", "bitmap_to_bbox", "bitmap_to_mask", "bitmap_to_polygon",
    "convert_classes", "convert_objects", "mask_to_bitmap", "normalise_task", "polygon_area",
    "polygon_to_bbox", "polygon_to_bitmap", "rectangle_to_polygon", "ring_area", "to_shape",
]

import warnings
from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np

from synapse_nb.errors import InputError
from synapse_nb.schemas.project import Bitmap, ClassMeta, ClassShape, LabelObject, Polygon, Rectangle

TaskType = Literal["detection", "segmentation"]

# The one shape each task trains on. The writers and ultralytics call the tasks
# "detect" / "segment"; both spellings are accepted.
TASK_SHAPE: dict[str, ClassShape] = {"detection": "rectangle", "segmentation": "polygon"}
_TASK_ALIASES = {"detection": "detection", "detect": "detection", "segmentation": "segmentation", "segment": "segmentation"}


def normalise_task(task_type: str, field: str = "task_type") -> TaskType:
    """``"detect"``/``"detection"`` -> ``"detection"``, ``"segment"``/``"segmentation"`` -> ``"segmentation"``.

    Example:
        >>> normalise_task("segment")
        'segmentation'
    """
    try:
        return _TASK_ALIASES[task_type]  # type: ignore[return-value]
    except (KeyError, TypeError):
        raise InputError(field, "'detection' or 'segmentation' (or 'detect' / 'segment')", got=task_type) from None


def polygon_to_bbox(polygon: Polygon) -> Rectangle:
    """The enclosing rectangle of a polygon.

    Example:
        >>> polygon_to_bbox(Polygon(points=[(1, 2), (5, 3), (2, 9)])).bbox()
        (1.0, 2.0, 5.0, 9.0)
    """
    x1, y1, x2, y2 = polygon.bbox()
    return Rectangle(x1=x1, y1=y1, x2=_wider(x1, x2), y2=_wider(y1, y2))


def bitmap_to_bbox(bitmap: Bitmap) -> Rectangle:
    """The enclosing rectangle of a mask's pixels (a pixel ``(x, y)`` covers ``[x, x+1)``).

    Example:
        >>> bitmap_to_bbox(polygon_to_bitmap(Polygon(points=[(2, 2), (6, 2), (6, 6), (2, 6)]), 10, 10)).bbox()
        (2.0, 2.0, 6.0, 6.0)
    """
    x1, y1, x2, y2 = bitmap.bbox()
    if x2 <= x1 or y2 <= y1:
        raise InputError("geometry", "a bitmap with at least one pixel set", got="an empty mask")
    return Rectangle(x1=x1, y1=y1, x2=x2, y2=y2)


def rectangle_to_polygon(rect: Rectangle) -> Polygon:
    """The 4 corners of a rectangle, clockwise from the top-left.

    Example:
        >>> rectangle_to_polygon(Rectangle(x1=0, y1=0, x2=4, y2=2)).points
        [(0.0, 0.0), (4.0, 0.0), (4.0, 2.0), (0.0, 2.0)]
    """
    return Polygon(points=[(rect.x1, rect.y1), (rect.x2, rect.y1), (rect.x2, rect.y2), (rect.x1, rect.y2)])


def polygon_to_bitmap(polygon: Polygon, height: int, width: int) -> Bitmap:
    """Rasterise a polygon into a COCO RLE mask of an image ``height`` x ``width`` (pycocotools).

    Example:
        >>> bm = polygon_to_bitmap(Polygon(points=[(0, 0), (4, 0), (4, 4), (0, 4)]), 8, 8)
        >>> bitmap_area(bm)
        16
    """
    from pycocotools import mask as mask_utils  # lazy: only masks need it

    flats = [[float(c) for point in ring for c in point] for ring in polygon.rings()]
    rles = mask_utils.frPyObjects(flats, height, width)
    rle = mask_utils.merge(rles)
    return Bitmap(size=(height, width), counts=rle["counts"].decode("ascii"))


def mask_to_bitmap(mask: np.ndarray) -> Bitmap:
    """Encode a 2-D boolean/uint8 mask (``mask[y, x]``) as a COCO RLE bitmap.

    Example:
        >>> m = np.zeros((4, 4), dtype=np.uint8); m[1:3, 1:3] = 1
        >>> bitmap_area(mask_to_bitmap(m))
        4
    """
    from pycocotools import mask as mask_utils

    if mask.ndim != 2:
        raise InputError("mask", "a 2-D array (height x width)", got=f"{mask.ndim} dimensions")
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return Bitmap(size=(int(mask.shape[0]), int(mask.shape[1])), counts=rle["counts"].decode("ascii"))


def bitmap_to_mask(bitmap: Bitmap) -> np.ndarray:
    """Decode a bitmap into a ``uint8`` array ``[height, width]`` of 0/1.

    Example:
        >>> m = np.zeros((3, 5), dtype=np.uint8); m[0, 4] = 1
        >>> int(bitmap_to_mask(mask_to_bitmap(m))[0, 4])
        1
    """
    from pycocotools import mask as mask_utils

    with warnings.catch_warnings():
        # pycocotools' decoder trips a numpy 2 deprecation about its own array wrapper; the
        # result is correct, and the warning is not something our users can act on.
        warnings.filterwarnings("ignore", message="__array__ implementation doesn't accept a copy keyword", category=DeprecationWarning)
        return mask_utils.decode({"size": list(bitmap.size), "counts": bitmap.counts.encode("ascii")})


def bitmap_area(bitmap: Bitmap) -> int:
    """Number of pixels set in a mask.

    Example:
        >>> bitmap_area(polygon_to_bitmap(Polygon(points=[(0, 0), (2, 0), (2, 2), (0, 2)]), 4, 4))
        4
    """
    from pycocotools import mask as mask_utils

    return int(mask_utils.area({"size": list(bitmap.size), "counts": bitmap.counts.encode("ascii")}))


def polygon_area(polygon: Polygon) -> float:
    """Area of a polygon: the sum of its parts' (shoelace formula).

    Example:
        >>> polygon_area(Polygon(points=[(0, 0), (4, 0), (4, 3)]))
        6.0
    """
    return sum(ring_area(ring) for ring in polygon.rings())


def ring_area(points: list[tuple[float, float]]) -> float:
    """Area of one closed ring of points (shoelace formula).

    Example:
        >>> ring_area([(0, 0), (2, 0), (2, 2), (0, 2)])
        4.0
    """
    pts = np.asarray(points, dtype=np.float64)
    x, y = pts[:, 0], pts[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def bitmap_to_polygon(bitmap: Bitmap) -> Polygon:
    """The outline of a mask's largest connected region (cv2 contour), in pixel corners.

    Contour points are pixel centres; the outline is pushed out by half a pixel so that the
    polygon covers the pixels it was traced from (a 1-pixel mask becomes a 1x1 square).

    Example:
        >>> m = np.zeros((10, 10), dtype=np.uint8); m[2:6, 3:8] = 1
        >>> bitmap_to_polygon(mask_to_bitmap(m)).bbox()
        (3.0, 2.0, 8.0, 6.0)
    """
    import cv2  # lazy: heavy, only masks need it

    mask = bitmap_to_mask(bitmap)
    if not mask.any():
        raise InputError("geometry", "a bitmap with at least one pixel set", got="an empty mask")
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    largest = max(contours, key=lambda c: (cv2.contourArea(c), len(c)))
    pts = largest.reshape(-1, 2).astype(np.float64)
    if len(pts) < 3:
        # A line or a single pixel: its pixel box is the honest outline.
        return rectangle_to_polygon(bitmap_to_bbox(bitmap))
    centre = pts.mean(axis=0)
    # Move each centre-of-pixel point half a pixel away from the region's centre, per axis.
    pts = pts + 0.5 + 0.5 * np.sign(pts - centre + 1e-9)
    return Polygon(points=[(float(x), float(y)) for x, y in pts])


def to_shape(obj: LabelObject, shape: ClassShape, height: int, width: int) -> LabelObject:
    """``obj`` with its geometry converted to ``shape`` (unchanged when it already has it).

    Example:
        >>> o = LabelObject(class_name="box", geometry=Rectangle(x1=0, y1=0, x2=2, y2=2))
        >>> to_shape(o, "polygon", 4, 4).geometry.type
        'polygon'
    """
    geom = obj.geometry
    if geom.type == shape:
        return obj
    new: Rectangle | Polygon | Bitmap
    if shape == "rectangle":
        new = polygon_to_bbox(geom) if isinstance(geom, Polygon) else bitmap_to_bbox(geom)  # type: ignore[arg-type]
    elif shape == "polygon":
        new = rectangle_to_polygon(geom) if isinstance(geom, Rectangle) else bitmap_to_polygon(geom)  # type: ignore[arg-type]
    else:
        polygon = rectangle_to_polygon(geom) if isinstance(geom, Rectangle) else geom
        new = polygon_to_bitmap(polygon, height, width)  # type: ignore[arg-type]
    return obj.model_copy(update={"geometry": new})


def convert_objects(
    objects: Iterable[LabelObject],
    classes: Sequence[ClassMeta],
    task_type: TaskType | str,
    convert: bool,
    image_size: tuple[int, int] | None = None,
) -> tuple[list[LabelObject], list[str]]:
    """Bring ``objects`` into the shape ``task_type`` trains on.

    Detection needs rectangles: polygons and bitmaps become their enclosing boxes.
    Segmentation needs polygons: bitmaps become their largest outline, rectangles 4-point
    polygons. With ``convert=False`` an object in another shape is an :class:`InputError`
    naming its class (and nothing is converted). An object of a class missing from
    ``classes`` is an error too. ``image_size`` (height, width) is only needed to rasterise
    into bitmaps, which no task asks for today.

    Returns the objects (new list, inputs untouched) and the sorted names of the classes
    that had at least one object converted.

    Example:
        >>> box = LabelObject(class_name="car", geometry=Rectangle(x1=0, y1=0, x2=3, y2=3))
        >>> convert_objects([box], [ClassMeta(name="car")], "segmentation", convert=False)
        Traceback (most recent call last):
        ...
        synapse_nb.errors.InputError: convert_class_shapes: expected class 'car' in polygon shape for segmentation, got 'rectangle'. Turn on shape conversion or remove the class from the selection
    """
    task = normalise_task(task_type)
    wanted = TASK_SHAPE[task]
    known = {c.name for c in classes}
    objects = list(objects)
    for obj in objects:
        if obj.class_name not in known:
            raise InputError("objects", f"objects of the classes {sorted(known)}", got=obj.class_name)
        if obj.geometry.type != wanted and not convert:
            raise InputError(
                "convert_class_shapes",
                f"class {obj.class_name!r} in {wanted} shape for {task}",
                got=obj.geometry.type,
                hint="Turn on shape conversion or remove the class from the selection",
            )
    height, width = image_size if image_size is not None else (0, 0)
    converted: set[str] = set()
    result = []
    for obj in objects:
        if obj.geometry.type != wanted:
            converted.add(obj.class_name)
            obj = to_shape(obj, wanted, height, width)
        result.append(obj)
    return result, sorted(converted)


def convert_classes(classes: Sequence[ClassMeta], task_type: TaskType | str) -> list[ClassMeta]:
    """The class metas as they are after conversion for ``task_type`` (shape set to the task's).

    Example:
        >>> [c.shape for c in convert_classes([ClassMeta(name="a", shape="bitmap")], "detect")]
        ['rectangle']
    """
    wanted = TASK_SHAPE[normalise_task(task_type)]
    return [c.model_copy(update={"shape": wanted}) for c in classes]


def _wider(lo: float, hi: float) -> float:
    # A polygon flattened to a line still needs a box with some extent to be valid.
    return hi if hi > lo else lo + 1e-3
