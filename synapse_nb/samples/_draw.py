"""One synthetic image: coloured shapes on noise, and the annotation of every shape.

Each class has its own shape and a hue of its own (with some jitter), so a small
detector learns them in a few dozen epochs; sizes, positions, rotations and the number of
objects vary, and shapes may overlap a little (never hiding most of another).

Example:
    >>> import numpy as np
    >>> pixels, objects = draw_image(np.random.default_rng(0), 64, ["square", "triangle"])
    >>> pixels.shape, 1 <= len(objects) <= 4
    ((64, 64, 3), True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from synapse_nb.formats.shapes import mask_to_bitmap
from synapse_nb.schemas.project import ClassShape, LabelObject, Polygon, Rectangle

# name -> (annotation shape, base colour). The order is the class order of a sample project.
SAMPLE_CLASSES: dict[str, tuple[ClassShape, tuple[int, int, int]]] = {
    "square": ("rectangle", (220, 60, 60)),
    "triangle": ("polygon", (60, 200, 80)),
    "circle": ("polygon", (60, 110, 235)),
    "hexagon": ("polygon", (235, 200, 40)),
    "blob": ("bitmap", (200, 70, 210)),
}

_MAX_OBJECTS = 4
_MIN_SIZE, _MAX_SIZE = 0.18, 0.42  # object size as a fraction of the image side
_PLACEMENT_TRIES = 25


def _noise_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Grey of a random level plus per-pixel noise of +-32, vectorised."""
    level = int(rng.integers(70, 186))
    noise = rng.integers(0, 64, size=(size, size, 3), dtype=np.uint8)
    return (noise + np.uint8(level - 32)).astype(np.uint8)


def _colour(rng: np.random.Generator, base: tuple[int, int, int]) -> tuple[int, int, int]:
    jitter = rng.integers(-30, 31, size=3)
    return tuple(int(v) for v in np.clip(np.asarray(base) + jitter, 0, 255))  # type: ignore[return-value]


def _regular_polygon(cx: float, cy: float, radius: float, sides: int, angle: float) -> list[tuple[float, float]]:
    return [
        (round(cx + radius * math.cos(angle + 2 * math.pi * k / sides), 2), round(cy + radius * math.sin(angle + 2 * math.pi * k / sides), 2))
        for k in range(sides)
    ]


def _overlaps_too_much(box: tuple[float, float, float, float], placed: list[tuple[float, float, float, float]]) -> bool:
    x1, y1, x2, y2 = box
    for px1, py1, px2, py2 in placed:
        iw = min(x2, px2) - max(x1, px1)
        ih = min(y2, py2) - max(y1, py1)
        if iw <= 0 or ih <= 0:
            continue
        inter = iw * ih
        # New shapes are drawn on top: keep every earlier shape mostly visible.
        if inter / ((px2 - px1) * (py2 - py1)) > 0.25 or inter / ((x2 - x1) * (y2 - y1)) > 0.25:
            return True
    return False


def _blob_mask(rng: np.random.Generator, size: int, box: tuple[int, int, int, int]) -> Image.Image:
    """A few overlapping ellipses inside ``box``: an irregular region only a mask describes well."""
    x1, y1, x2, y2 = box
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    w, h = x2 - x1, y2 - y1
    draw.ellipse([x1 + w * 0.15, y1 + h * 0.15, x2 - w * 0.15 - 1, y2 - h * 0.15 - 1], fill=1)
    for _ in range(2):
        cx, cy = rng.uniform(x1 + w * 0.3, x2 - w * 0.3), rng.uniform(y1 + h * 0.3, y2 - h * 0.3)
        rx, ry = rng.uniform(0.15, 0.3) * w, rng.uniform(0.15, 0.3) * h
        draw.ellipse([max(x1, cx - rx), max(y1, cy - ry), min(x2 - 1, cx + rx), min(y2 - 1, cy + ry)], fill=1)
    return mask


def draw_image(rng: np.random.Generator, size: int, class_names: Sequence[str]) -> tuple[np.ndarray, list[LabelObject]]:
    """Draw one image of ``size`` x ``size`` pixels; return its RGB pixels and annotations.

    ``class_names`` are keys of :data:`SAMPLE_CLASSES`; every object's class is drawn
    from them uniformly.
    """
    image = Image.fromarray(_noise_background(rng, size), "RGB")
    draw = ImageDraw.Draw(image)
    placed: list[tuple[float, float, float, float]] = []
    objects: list[LabelObject] = []
    wanted = int(rng.integers(1, _MAX_OBJECTS + 1))
    for _ in range(wanted):
        name = class_names[int(rng.integers(len(class_names)))]
        shape, base = SAMPLE_CLASSES[name]
        for _try in range(_PLACEMENT_TRIES):
            side = max(4, int(round(rng.uniform(_MIN_SIZE, _MAX_SIZE) * size)))
            x1 = int(rng.integers(1, max(2, size - side - 1)))
            y1 = int(rng.integers(1, max(2, size - side - 1)))
            box = (x1, y1, min(size - 1, x1 + side), min(size - 1, y1 + side))
            if not _overlaps_too_much(box, placed):
                break
        else:
            continue  # no room left on this image for another shape
        placed.append(box)
        colour = _colour(rng, base)
        bx1, by1, bx2, by2 = box
        cx, cy, radius = (bx1 + bx2) / 2, (by1 + by2) / 2, (bx2 - bx1) / 2
        geometry: Rectangle | Polygon
        if name == "square":
            # PIL fills both end pixels: pixels x1..x2-1 cover exactly the box [x1, x2).
            draw.rectangle([bx1, by1, bx2 - 1, by2 - 1], fill=colour)
            geometry = Rectangle(x1=bx1, y1=by1, x2=bx2, y2=by2)
        elif shape == "bitmap":
            mask = _blob_mask(rng, size, box)
            image.paste(colour, (0, 0, size, size), mask.point(lambda v: 255 if v else 0))
            objects.append(LabelObject(class_name=name, geometry=mask_to_bitmap(np.asarray(mask))))
            continue
        else:
            sides = {"triangle": 3, "hexagon": 6}.get(name, 32)
            angle = float(rng.uniform(0, 2 * math.pi)) if sides < 32 else 0.0
            points = _regular_polygon(cx, cy, radius, sides, angle)
            draw.polygon(points, fill=colour)
            geometry = Polygon(points=points)
        objects.append(LabelObject(class_name=name, geometry=geometry))
    return np.asarray(image), objects
