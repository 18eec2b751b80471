"""A COCO file as annotation tools write it (CVAT, Label Studio) survives import and export:
image ids and file names as given, multi-part polygons with their vertices, attributes,
crowd RLE masks and fractional boxes exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pycocotools import mask as mask_utils

from synapse_nb.formats.coco import read_coco, write_coco

W, H = 40, 30
coords = st.integers(0, 8 * (W - 1)).map(lambda v: v / 8)  # eighths: exact in 3 decimals


@st.composite
def ring(draw: Any) -> list[float]:
    x, y = draw(st.integers(0, W - 12)), draw(st.integers(0, H - 12))
    w, h = draw(st.integers(2, 10)) + draw(st.sampled_from([0, 0.25, 0.5])), draw(st.integers(2, 10))
    return [x, y, x + w, y, x + w / 2, y + h]


@st.composite
def annotation(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(["box", "polygon", "multipart", "crowd"]))
    ann: dict[str, Any] = {"category_id": draw(st.integers(1, 3)), "iscrowd": 0}
    if kind == "box":
        x, y = draw(coords), draw(coords)
        ann["bbox"] = [x, y, draw(st.integers(1, 40)) / 8, draw(st.integers(1, 40)) / 8]
        ann["segmentation"] = []
    elif kind in ("polygon", "multipart"):
        rings = [draw(ring()) for _ in range(1 if kind == "polygon" else draw(st.integers(2, 3)))]
        ann["segmentation"] = rings
        xs = [v for r in rings for v in r[0::2]]
        ys = [v for r in rings for v in r[1::2]]
        ann["bbox"] = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    else:
        mask = np.zeros((H, W), dtype=np.uint8)
        x, y = draw(st.integers(0, W - 5)), draw(st.integers(0, H - 5))
        mask[y:y + draw(st.integers(1, 5)), x:x + draw(st.integers(1, 5))] = 1
        rle = mask_utils.encode(np.asfortranarray(mask))
        ann["segmentation"] = {"size": [H, W], "counts": rle["counts"].decode()}
        ann["bbox"] = mask_utils.toBbox(rle).tolist()
        ann["iscrowd"] = 1
    attributes = draw(st.dictionaries(st.sampled_from(["occluded", "track_id", "keyframe", "note"]),
                                      st.booleans() | st.integers(0, 99) | st.text(max_size=5), max_size=3))
    if attributes:
        ann["attributes"] = attributes
    return ann


@st.composite
def documents(draw: Any) -> dict[str, Any]:
    ids = draw(st.lists(st.integers(1, 10**6), min_size=1, max_size=4, unique=True))
    images = [{"id": i, "file_name": f"frame_{i:07d}.png", "width": W, "height": H} for i in ids]
    anns = [{**draw(annotation()), "image_id": draw(st.sampled_from(ids))} for _ in range(draw(st.integers(0, 6)))]
    for n, ann in enumerate(anns, start=1):
        ann["id"] = n
    categories = [{"id": i, "name": name, "supercategory": ""} for i, name in enumerate(["car", "person", "sign"], 1)]
    return {"images": images, "annotations": anns, "categories": categories}


def _numbers(value: Any) -> Any:
    """Coordinates as floats (JSON writes 2 and 2.0 alike; the values must be equal)."""
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _comparable(doc: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    images = sorted((im["id"], im["file_name"], im["width"], im["height"]) for im in doc["images"])
    anns = sorted(json.dumps({**{k: a[k] for k in ("image_id", "category_id", "iscrowd")},
                              "bbox": _numbers(a["bbox"]), "segmentation": _numbers(a["segmentation"]),
                              "attributes": a.get("attributes", {})}, sort_keys=True) for a in doc["annotations"])
    return images, anns


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents())
def test_a_coco_file_survives_import_and_export(tmp_path_factory: Any, doc: dict[str, Any]) -> None:
    root = tmp_path_factory.mktemp("coco")
    (root / "images").mkdir()
    for im in doc["images"]:
        Image.new("RGB", (W, H), (90, 120, 200)).save(root / "images" / im["file_name"])
    (root / "annotations.json").write_text(json.dumps(doc))
    raw = read_coco(root / "images", root / "annotations.json")
    out = json.loads(write_coco(raw, root / "out").read_text())
    assert _comparable(out) == _comparable(doc)
    assert sorted(p.name for p in (root / "out" / "images").iterdir()) == sorted(im["file_name"] for im in doc["images"])


def test_a_multipart_polygon_and_its_attributes_come_back(tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    Image.new("RGB", (W, H)).save(tmp_path / "images" / "a.png")
    ann = {"id": 7, "image_id": 42, "category_id": 1, "iscrowd": 0, "bbox": [1, 2, 11, 10],
           "segmentation": [[1, 2, 5, 2, 5, 6, 1, 6], [8, 8, 12, 8, 12, 12, 8, 12]],
           "attributes": {"occluded": True, "track_id": 3}}
    doc = {"images": [{"id": 42, "file_name": "a.png", "width": W, "height": H}], "annotations": [ann],
           "categories": [{"id": 1, "name": "car"}]}
    (tmp_path / "annotations.json").write_text(json.dumps(doc))
    out = json.loads(write_coco(read_coco(tmp_path / "images", tmp_path / "annotations.json"), tmp_path / "out").read_text())
    (back,) = out["annotations"]
    assert back["segmentation"] == ann["segmentation"], "two parts, every vertex, not an RLE mask"
    assert back["attributes"] == {"occluded": True, "track_id": 3}
    assert out["images"][0]["id"] == 42 and out["images"][0]["file_name"] == "a.png"


def test_ids_that_repeat_across_datasets_are_renumbered_and_said(tmp_path: Path) -> None:
    import pytest

    from synapse_nb.formats.raw import RawDataset, RawDatasetRef, RawItem, RawMeta
    from synapse_nb.schemas import ClassMeta

    for name in ("a.png", "b.png"):
        Image.new("RGB", (W, H)).save(tmp_path / name)
    raw = RawDataset(
        meta=RawMeta(project_name="two-files", classes=[ClassMeta(name="car")],
                     datasets=[RawDatasetRef(id=1, name="day"), RawDatasetRef(id=2, name="night")]),
        items=[RawItem(id=1, name="a.png", dataset_id=1, image=str(tmp_path / "a.png"), width=W, height=H, source_id=3),
               RawItem(id=2, name="b.png", dataset_id=2, image=str(tmp_path / "b.png"), width=W, height=H, source_id=3)])
    with pytest.warns(UserWarning, match="1 image ids repeat across datasets"):
        out = json.loads(write_coco(raw, tmp_path / "out").read_text())
    assert [(im["file_name"], im["id"]) for im in out["images"]] == [("day/a.png", 3), ("night/b.png", 4)]
    assert out["info"]["renumbered_images"] == [{"file_name": "night/b.png", "id_in_source": 3, "id": 4}]
