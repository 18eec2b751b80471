"""Projects, datasets, items and collections through the real backend."""

from __future__ import annotations

import hashlib

import httpx
from server_helpers import box, make_dataset, make_project, png, upload


def test_project_crud_and_paging(http: httpx.Client) -> None:
    made = [make_project(http, name=f"paging-{i}") for i in range(5)]
    ids = [p["id"] for p in made]
    assert http.get(f"/projects/{ids[0]}").json()["name"] == "paging-0"

    total = http.get("/projects", params={"limit": 1}).json()["total"]
    seen = []
    offset = 0
    while offset < total:
        page = http.get("/projects", params={"offset": offset, "limit": 2}).json()
        assert page["limit"] == 2 and page["offset"] == offset and page["total"] == total
        seen += [p["id"] for p in page["items"]]
        offset += len(page["items"])
    assert set(ids) <= set(seen) and len(seen) == len(set(seen)) == total

    assert http.delete(f"/projects/{ids[0]}").status_code == 204
    missing = http.get(f"/projects/{ids[0]}")
    assert missing.status_code == 404 and f"project {ids[0]}" in missing.json()["detail"]
    assert http.get("/projects", params={"limit": 0}).status_code == 422


def test_meta_update_adds_and_bumps_version(http: httpx.Client) -> None:
    project = make_project(http, classes=("cat",), tags=())
    version = project["content_version"]
    updated = http.patch(
        f"/projects/{project['id']}/meta", json={"classes": [{"name": "dog", "shape": "polygon"}, {"name": "cat", "color": "#000000"}], "tags": [{"name": "hard"}]}
    ).json()
    assert [c["name"] for c in updated["classes"]] == ["cat", "dog"]
    assert updated["classes"][0]["color"] == "#000000"
    assert [t["name"] for t in updated["tags"]] == ["hard"]
    assert updated["content_version"] == version + 1


def test_items_are_validated_against_the_project(http: httpx.Client) -> None:
    project = make_project(http, classes=("cat",), tags=("train",))
    dataset = make_dataset(http, project["id"])
    unknown_class = upload(http, dataset["id"], [{"name": "a.png", "file_index": 0, "objects": [{"class_name": "dog", "geometry": box()}]}], [png()])
    assert unknown_class.status_code == 422
    assert "items[0].objects[0].class_name" in unknown_class.json()["detail"] and "'dog'" in unknown_class.json()["detail"]
    unknown_tag = upload(http, dataset["id"], [{"name": "a.png", "file_index": 0, "tags": ["val"]}], [png()])
    assert unknown_tag.status_code == 422 and "items[0].tags[0]" in unknown_tag.json()["detail"]
    not_image = upload(http, dataset["id"], [{"name": "a.png", "file_index": 0}], [b"not an image at all"])
    assert not_image.status_code == 422 and "files[0]" in not_image.json()["detail"]
    dots = upload(http, dataset["id"], [{"name": "..", "file_index": 0}], [png()])
    assert dots.status_code == 422 and "items[0].name" in dots.json()["detail"]
    # Nothing of the refused batches was stored.
    assert http.get("/items", params={"project_id": project["id"]}).json()["total"] == 0


def test_batch_upload_dedupes_images_and_bumps_version(http: httpx.Client) -> None:
    project = make_project(http)
    dataset = make_dataset(http, project["id"])
    image = png(10, 7)
    digest = hashlib.sha256(image).hexdigest()
    reply = upload(
        http,
        dataset["id"],
        [
            {"name": "a.png", "file_index": 0, "tags": ["train"], "objects": [{"class_name": "cat", "geometry": box()}]},
            {"name": "b.png", "file_index": 0},
        ],
        [image],
    )
    assert reply.status_code == 201, reply.text
    items = reply.json()
    assert [i["image_hash"] for i in items] == [digest, digest]
    assert (items[0]["width"], items[0]["height"]) == (10, 7)
    assert http.post("/images/missing", json={"hashes": [digest, "0" * 64]}).json()["hashes"] == ["0" * 64]
    # A known image is referenced by hash alone.
    by_hash = upload(http, dataset["id"], [{"name": "c.png", "image_hash": digest}], [])
    assert by_hash.status_code == 201
    assert http.get(f"/images/{digest}").content == image
    duplicate = upload(http, dataset["id"], [{"name": "a.png", "image_hash": digest}], [])
    assert duplicate.status_code == 409 and "a.png" in duplicate.json()["detail"]
    after = http.get(f"/projects/{project['id']}").json()
    assert after["item_count"] == 3 and after["content_version"] >= project["content_version"] + 3


def test_annotation_update_and_bitmap_size(http: httpx.Client) -> None:
    project = make_project(http, classes=("cat",))
    http.patch(f"/projects/{project['id']}/meta", json={"classes": [{"name": "blob", "shape": "bitmap"}]})
    dataset = make_dataset(http, project["id"])
    item = upload(http, dataset["id"], [{"name": "a.png", "file_index": 0}], [png(8, 6)]).json()[0]
    version = http.get(f"/projects/{project['id']}").json()["content_version"]
    wrong_size = {"class_name": "blob", "geometry": {"type": "bitmap", "size": [8, 6], "counts": "abc"}}
    reply = http.put(f"/items/{item['id']}/annotation", json={"objects": [wrong_size]})
    assert reply.status_code == 422 and "geometry.size" in reply.json()["detail"]
    reply = http.put(f"/items/{item['id']}/annotation", json={"objects": [{"class_name": "cat", "geometry": box()}], "tags": ["val"]})
    assert reply.status_code == 200
    assert reply.json()["tags"] == ["val"] and reply.json()["objects"][0]["class_name"] == "cat"
    assert http.get(f"/projects/{project['id']}").json()["content_version"] == version + 1
    # A class shape can't change under existing objects.
    clash = http.patch(f"/projects/{project['id']}/meta", json={"classes": [{"name": "cat", "shape": "polygon"}]})
    assert clash.status_code == 409 and "cat" in clash.json()["detail"]


def test_collections(http: httpx.Client) -> None:
    project = make_project(http)
    other = make_project(http, name="other")
    dataset = make_dataset(http, project["id"])
    items = upload(http, dataset["id"], [{"name": f"{i}.png", "file_index": i} for i in range(3)], [png(4 + i, 4) for i in range(3)]).json()
    ids = [i["id"] for i in items]
    made = http.post(f"/projects/{project['id']}/collections", json={"name": "hard", "item_ids": ids[:2]})
    assert made.status_code == 201 and made.json()["item_ids"] == ids[:2]
    collection = made.json()
    assert http.post(f"/collections/{collection['id']}/items", json={"item_ids": [ids[2], ids[0]]}).json()["item_ids"] == ids
    assert http.post(f"/collections/{collection['id']}/items/remove", json={"item_ids": [ids[1]]}).json()["item_ids"] == [ids[0], ids[2]]
    assert http.get(f"/items/{ids[0]}").json()["collections"] == [collection["id"]]
    foreign = make_dataset(http, other["id"])
    stranger = upload(http, foreign["id"], [{"name": "x.png", "file_index": 0}], [png(3, 3)]).json()[0]
    refused = http.post(f"/collections/{collection['id']}/items", json={"item_ids": [stranger["id"]]})
    assert refused.status_code == 422 and "item_ids[0]" in refused.json()["detail"]
    listed = http.get(f"/projects/{project['id']}/collections").json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == "hard"
    assert http.post(f"/projects/{project['id']}/collections", json={"name": "hard"}).status_code == 409
