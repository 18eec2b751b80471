"""YOLO label lines: our objects to normalised text lines and back, and ultralytics' path rules.

A detection line is ``class cx cy w h``; a segmentation line ``class x1 y1 x2 y2 ...``;
every coordinate normalised by the image size and clipped to ``[0, 1]``.

Example:
    >>> from synapse_nb.schemas import LabelObject, Rectangle
    >>> obj = LabelObject(class_name="car", geometry=Rectangle(x1=0, y1=0, x2=50, y2=25))
    >>> object_line(obj, 0, "detect", 100, 100)
    '0 0.25 0.125 0.5 0.25'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from synapse_nb.errors import InputError
from synapse_nb.formats.shapes import bitmap_to_polygon, rectangle_to_polygon, ring_area
from synapse_nb.schemas.project import LabelObject, Polygon, Rectangle

YoloTask = Literal["detect", "segment"]

# What ultralytics accepts as an image (ultralytics.data.utils.IMG_FORMATS); anything else
# in an images folder is ignored by its loader, so we refuse it up front instead.
IMG_FORMATS = frozenset({"bmp", "dng", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp", "pfm", "heic"})


def label_path_for(image_path: str) -> str:
    """The label file ultralytics looks for beside an image: last ``/images/`` -> ``/labels/``,
    extension -> ``.txt`` (the rule of ``ultralytics.data.utils.img2label_paths``).

    Example:
        >>> label_path_for("/d/images/train/ds1/a.b.jpg")
        '/d/labels/train/ds1/a.b.txt'
    """
    sa, sb = f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}"
    return sb.join(image_path.rsplit(sa, 1)).rsplit(".", 1)[0] + ".txt"


def _clip01(v: float) -> float:
    return 0.0 if v < 0.0 else 1.0 if v > 1.0 else v


def object_line(obj: LabelObject, class_index: int, task: YoloTask, width: int, height: int) -> str | None:
    """One label line for ``obj``, or ``None`` when nothing of it lies inside the image.

    Detection takes the enclosing box of any shape; segmentation takes a polygon (a
    rectangle gives its 4 corners, a bitmap its largest outline). Whether a shape may be
    converted at all is decided before this is called (see ``shapes.convert_objects``).
    Six significant digits: 0.01 px on a 10,000 px image, and short lines.
    """
    geom = obj.geometry
    if task == "detect":
        if isinstance(geom, Rectangle):
            x1, y1, x2, y2 = geom.x1, geom.y1, geom.x2, geom.y2
        elif isinstance(geom, Polygon):
            x1, y1, x2, y2 = geom.bbox()  # every part of a multi-part object
        else:
            x1, y1, x2, y2 = geom.bbox()
        x1, x2 = _clip01(x1 / width), _clip01(x2 / width)
        y1, y2 = _clip01(y1 / height), _clip01(y2 / height)
        if x2 <= x1 or y2 <= y1:
            return None
        # One %-format per line: this runs for every object of every image.
        return "%d %.6g %.6g %.6g %.6g" % (class_index, (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)
    if isinstance(geom, Rectangle):
        polygon = rectangle_to_polygon(geom)
    elif isinstance(geom, Polygon):
        # A YOLO line holds one polygon: a multi-part object keeps its largest part.
        polygon = geom if not geom.pieces else Polygon(points=max(geom.rings(), key=ring_area))
    else:
        polygon = bitmap_to_polygon(geom)
    coords = []
    xs, ys = set(), set()
    for x, y in polygon.points:
        nx, ny = _clip01(x / width), _clip01(y / height)
        xs.add(nx)
        ys.add(ny)
        coords.append("%.6g %.6g" % (nx, ny))
    if len(xs) < 2 or len(ys) < 2:  # clipped flat: the object lies outside the image
        return None
    return f"{class_index} " + " ".join(coords)


def _at(error: InputError, line: int) -> InputError:
    error.line = line  # type: ignore[attr-defined]  # for the skip report
    return error


def parse_label_file(path: Path, names: list[str], width: int, height: int) -> list[LabelObject]:
    """Read a YOLO label file into objects in pixels: 5 values a box, 7+ (odd) a polygon.

    A missing file means no objects (a background image, as ultralytics treats it).
    Coordinates must be normalised (0..1): ultralytics drops a label file with any other,
    so such a line is an error naming the file and line (``InputError.line`` holds it).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    objects = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        where = f"label file {path}, line {lineno}"
        try:
            cls = int(float(parts[0]))
            values = [float(v) for v in parts[1:]]
        except ValueError:
            raise _at(InputError(where, "numbers: class then coordinates", got=line), lineno) from None
        if not 0 <= cls < len(names):
            raise _at(InputError(where, f"a class index in 0..{len(names) - 1}", got=cls), lineno)
        outside = [v for v in values if not 0.0 <= v <= 1.0]
        if outside:
            raise _at(InputError(where, "normalised coordinates in 0..1 (ultralytics drops label files with others)",
                                 got=line, hint=f"outside 0..1: {outside[:4]}"), lineno)
        if len(values) == 4:
            cx, cy, w, h = values
            x1, y1 = (cx - w / 2) * width, (cy - h / 2) * height
            x2, y2 = (cx + w / 2) * width, (cy + h / 2) * height
            if x2 <= x1 or y2 <= y1:
                raise _at(InputError(where, "a box with positive width and height", got=line), lineno)
            geometry: Rectangle | Polygon = Rectangle(x1=x1, y1=y1, x2=x2, y2=y2)
        elif len(values) >= 6 and len(values) % 2 == 0:
            geometry = Polygon(points=[(values[i] * width, values[i + 1] * height) for i in range(0, len(values), 2)])
        else:
            raise _at(InputError(where, "4 box values or 3+ polygon points (keypoint labels are not supported)", got=line),
                      lineno)
        objects.append(LabelObject(class_name=names[cls], geometry=geometry))
    return objects
