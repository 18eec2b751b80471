"""A COCO file imported into a project and exported again keeps what annotation tools wrote."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from synapse_nb.api import Api


def test_multipart_polygons_attributes_and_file_names_survive_the_project(api: Api, tmp_path: Path) -> None:
    (tmp_path / "images").mkdir()
    for name in ("frame_1.png", "frame_2.png"):
        Image.new("RGB", (40, 30), (20, 90, 160)).save(tmp_path / "images" / name)
    parts = [[1.0, 2.0, 5.0, 2.0, 5.0, 6.0, 1.0, 6.0], [8.0, 8.0, 12.0, 8.0, 12.0, 12.0, 8.0, 12.0]]
    doc = {
        "images": [{"id": 5, "file_name": "frame_1.png", "width": 40, "height": 30},
                   {"id": 9, "file_name": "frame_2.png", "width": 40, "height": 30}],
        "categories": [{"id": 4, "name": "car"}],
        "annotations": [
            {"id": 1, "image_id": 5, "category_id": 4, "iscrowd": 0, "bbox": [1, 2, 11, 10], "segmentation": parts,
             "attributes": {"occluded": True, "track_id": 3}},
            {"id": 2, "image_id": 9, "category_id": 4, "iscrowd": 0, "bbox": [2.25, 3.5, 4.125, 6.0], "segmentation": []},
        ],
    }
    (tmp_path / "annotations.json").write_text(json.dumps(doc))
    project = api.project.import_coco(tmp_path / "images", tmp_path / "annotations.json", name="cvat-export", progress=False)
    out = json.loads(api.project.export(project.id, "coco", tmp_path / "out").read_text())
    names = {im["id"]: im["file_name"] for im in out["images"]}
    assert names == {5: "frame_1.png", 9: "frame_2.png"}, "image ids and names as given (no dataset folder in front)"
    assert out["categories"][0]["id"] == 4 and {a["category_id"] for a in out["annotations"]} == {4}
    assert "renumbered_images" not in out["info"]
    by_file = {names[a["image_id"]]: a for a in out["annotations"]}
    assert by_file["frame_1.png"]["segmentation"] == parts, "a polygon in two parts stays one, every vertex kept"
    assert by_file["frame_1.png"]["attributes"] == {"occluded": True, "track_id": 3}
    assert by_file["frame_2.png"]["bbox"] == [2.25, 3.5, 4.125, 6.0] and "attributes" not in by_file["frame_2.png"]
