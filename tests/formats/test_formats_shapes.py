"""Shape conversion: the geometry a task trains on, never a silent skip."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils

from synapse_nb.errors import InputError
from synapse_nb.formats.shapes import (
    bitmap_area,
    bitmap_to_bbox,
    bitmap_to_mask,
    bitmap_to_polygon,
    convert_classes,
    convert_objects,
    mask_to_bitmap,
    normalise_task,
    polygon_area,
    polygon_to_bbox,
    polygon_to_bitmap,
    rectangle_to_polygon,
)
from synapse_nb.schemas import Bitmap, ClassMeta, LabelObject, Polygon, Rectangle

coords = st.floats(min_value=-500, max_value=5000, allow_nan=False, allow_infinity=False)
points = st.lists(st.tuples(coords, coords), min_size=3, max_size=40)


def _iou(a: Bitmap, b: Bitmap) -> float:
    rle = lambda bm: {"size": list(bm.size), "counts": bm.counts.encode()}  # noqa: E731
    return float(mask_utils.iou([rle(a)], [rle(b)], [0])[0][0])


@given(points)
def test_the_box_of_a_polygon_holds_all_its_points(pts: list[tuple[float, float]]) -> None:
    box = polygon_to_bbox(Polygon(points=pts))
    for x, y in pts:
        assert box.x1 <= x <= box.x2 and box.y1 <= y <= box.y2
    assert box.x1 == min(x for x, _ in pts) and box.y2 >= max(y for _, y in pts)


@st.composite
def regular_polygons(draw: st.DrawFn) -> tuple[Polygon, int, int]:
    height, width = draw(st.integers(48, 160)), draw(st.integers(48, 160))
    radius = draw(st.floats(8, min(height, width) / 2 - 1))
    cx = draw(st.floats(radius, width - radius))
    cy = draw(st.floats(radius, height - radius))
    sides = draw(st.sampled_from([3, 4, 5, 6, 8, 24]))
    angle = draw(st.floats(0, 2 * math.pi))
    pts = [(cx + radius * math.cos(angle + 2 * math.pi * k / sides), cy + radius * math.sin(angle + 2 * math.pi * k / sides)) for k in range(sides)]
    return Polygon(points=pts), height, width


@settings(max_examples=60, deadline=None)
@given(regular_polygons())
def test_polygon_to_bitmap_to_polygon_keeps_the_region(case: tuple[Polygon, int, int]) -> None:
    polygon, height, width = case
    bitmap = polygon_to_bitmap(polygon, height, width)
    assert bitmap.size == (height, width)
    assert abs(bitmap_area(bitmap) - polygon_area(polygon)) <= 0.15 * polygon_area(polygon) + 4 * len(polygon.points)
    back = bitmap_to_polygon(bitmap)
    assert _iou(polygon_to_bitmap(back, height, width), bitmap) > 0.85


@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 39), st.integers(0, 39))
def test_bitmap_box_is_the_extent_of_its_pixels(w: int, h: int, x: int, y: int) -> None:
    mask = np.zeros((80, 80), dtype=np.uint8)
    mask[y : y + h, x : x + w] = 1
    box = bitmap_to_bbox(mask_to_bitmap(mask))
    assert box.bbox() == (x, y, x + w, y + h)
    assert np.array_equal(bitmap_to_mask(mask_to_bitmap(mask)), mask)
    # The traced outline of a filled rectangle is that rectangle.
    assert bitmap_to_polygon(mask_to_bitmap(mask)).bbox() == (x, y, x + w, y + h)


@given(st.floats(0, 100), st.floats(0, 100), st.floats(0.5, 50), st.floats(0.5, 50))
def test_rectangle_to_polygon_and_back(x: float, y: float, w: float, h: float) -> None:
    rect = Rectangle(x1=x, y1=y, x2=x + w, y2=y + h)
    polygon = rectangle_to_polygon(rect)
    assert len(polygon.points) == 4
    assert polygon_to_bbox(polygon) == rect
    assert math.isclose(polygon_area(polygon), w * h, rel_tol=1e-9)


def test_single_pixel_mask_becomes_its_pixel_square() -> None:
    mask = np.zeros((5, 5), dtype=np.uint8)
    mask[2, 3] = 1
    assert bitmap_to_polygon(mask_to_bitmap(mask)).bbox() == (3, 2, 4, 3)


def test_empty_mask_is_an_error_not_a_box() -> None:
    empty = mask_to_bitmap(np.zeros((4, 4), dtype=np.uint8))
    with pytest.raises(InputError):
        bitmap_to_bbox(empty)
    with pytest.raises(InputError):
        bitmap_to_polygon(empty)


CLASSES = [ClassMeta(name="box", shape="rectangle"), ClassMeta(name="tri", shape="polygon"), ClassMeta(name="blob", shape="bitmap")]


def _objects() -> list[LabelObject]:
    mask = np.zeros((20, 20), dtype=np.uint8)
    mask[4:9, 5:15] = 1
    return [
        LabelObject(class_name="box", geometry=Rectangle(x1=1, y1=1, x2=5, y2=6)),
        LabelObject(class_name="tri", geometry=Polygon(points=[(2, 2), (12, 2), (7, 10)]), tags=["hard"]),
        LabelObject(class_name="blob", geometry=mask_to_bitmap(mask)),
    ]


def test_detection_turns_every_shape_into_its_box() -> None:
    objects = _objects()
    converted, names = convert_objects(objects, CLASSES, "detection", convert=True)
    assert names == ["blob", "tri"]
    assert [o.geometry.type for o in converted] == ["rectangle"] * 3
    assert [o.geometry.bbox() for o in converted] == [(1, 1, 5, 6), (2, 2, 12, 10), (5, 4, 15, 9)]
    assert converted[1].tags == ["hard"] and converted[0] is objects[0]
    assert objects[1].geometry.type == "polygon"  # inputs are left untouched


def test_segmentation_turns_boxes_and_masks_into_polygons() -> None:
    converted, names = convert_objects(_objects(), CLASSES, "segment", convert=True)
    assert names == ["blob", "box"]
    assert [o.geometry.type for o in converted] == ["polygon"] * 3
    assert converted[0].geometry.points == [(1, 1), (5, 1), (5, 6), (1, 6)]
    assert converted[2].geometry.bbox() == (5, 4, 15, 9)


@pytest.mark.parametrize(("task", "culprit"), [("detection", "tri"), ("segmentation", "box")])
def test_without_conversion_a_misfit_names_its_class(task: str, culprit: str) -> None:
    with pytest.raises(InputError) as err:
        convert_objects(_objects(), CLASSES, task, convert=False)
    assert err.value.field == "convert_class_shapes"
    assert repr(culprit) in str(err.value)


def test_fitting_objects_need_no_conversion() -> None:
    boxes = [_objects()[0]]
    assert convert_objects(boxes, CLASSES, "detect", convert=False) == (boxes, [])


def test_unknown_class_and_task_are_errors() -> None:
    with pytest.raises(InputError) as err:
        convert_objects(_objects(), CLASSES[:2], "detection", convert=True)
    assert err.value.field == "objects" and err.value.got == "blob"
    with pytest.raises(InputError) as err:
        normalise_task("pose")
    assert err.value.field == "task_type"


def test_class_shapes_follow_the_task() -> None:
    assert [c.shape for c in convert_classes(CLASSES, "segmentation")] == ["polygon"] * 3
    assert [c.name for c in convert_classes(CLASSES, "detection")] == ["box", "tri", "blob"]
