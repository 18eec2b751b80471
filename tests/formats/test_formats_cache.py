"""The dataset cache: reuse when nothing changed, item-by-item updates, repair after a crash."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest

from synapse_nb.errors import InputError
from synapse_nb.formats._files import Linker
from synapse_nb.formats.cache import MANIFEST, CacheManifest, DatasetCache
from synapse_nb.formats.coco import write_coco
from synapse_nb.formats.raw import RawDataset
from synapse_nb.formats.yolo import write_yolo
from synapse_nb.schemas import LabelObject, Rectangle


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of every file below ``folder``."""
    return {str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def _contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix != ".cache"}


def _same_as_fresh_yolo(raw: RawDataset, data_yaml: Path, tmp: Path) -> None:
    fresh = write_yolo(raw, tmp / "fresh-yolo").parent
    cached = _contents(data_yaml.parent)
    expected = _contents(fresh)
    assert cached.pop("dataset.yaml") != b"" and expected.pop("dataset.yaml") != b""
    assert cached == expected


def test_a_second_prepare_touches_nothing(own_raw: RawDataset, tmp_path: Path) -> None:
    cache = DatasetCache(tmp_path / "cache")
    data_yaml = cache.prepare(own_raw, "yolo", task="detect", key_extra={"split": "tags"})
    assert data_yaml.name == "dataset.yaml" and data_yaml.is_relative_to(tmp_path / "cache")
    before = _snapshot(tmp_path / "cache")
    assert cache.prepare(own_raw, "yolo", task="detect", key_extra={"split": "tags"}) == data_yaml
    assert _snapshot(tmp_path / "cache") == before
    _same_as_fresh_yolo(own_raw, data_yaml, tmp_path)


def test_what_the_key_covers(own_raw: RawDataset, tmp_path: Path) -> None:
    cache = DatasetCache(tmp_path / "cache")
    base = cache.prepare(own_raw, "yolo")
    assert cache.prepare(own_raw, "yolo", classes=["circle"]) != base
    assert cache.prepare(own_raw, "yolo", task="segment") != base
    assert cache.prepare(own_raw, "yolo", key_extra={"split": {"kind": "random", "seed": 1}}) != base
    assert cache.prepare(own_raw, "coco").name == "annotations.json"
    assert cache.prepare(own_raw, None) == own_raw.root
    with pytest.raises(InputError) as err:
        cache.prepare(RawDataset(meta=own_raw.meta, items=own_raw.items), None)  # never written to a folder
    assert err.value.field == "raw"
    with pytest.raises(InputError) as err:
        cache.prepare(own_raw, "voc")  # type: ignore[arg-type]
    assert err.value.field == "target_format"


def test_only_changed_added_and_removed_items_are_touched(own_raw: RawDataset, tmp_path: Path) -> None:
    cache = DatasetCache(tmp_path / "cache")
    data_yaml = cache.prepare(own_raw, "yolo")
    data = data_yaml.parent
    before = _snapshot(data)

    edited, removed = own_raw.items[0], own_raw.items[1]
    edited.objects = [LabelObject(class_name="square", geometry=Rectangle(x1=1, y1=1, x2=30, y2=30))]
    own_raw.items.remove(removed)
    added = own_raw.items[2].model_copy(deep=True)
    shutil.copyfile(own_raw.image_path(added), own_raw.root / "images" / "set-1" / "extra.jpg")
    added.id, added.name, added.dataset_id, added.image = 999, "extra.jpg", 1, "images/set-1/extra.jpg"
    own_raw.items.append(added)
    (data / "labels" / "train" / "set-1.cache").write_bytes(b"ultralytics label cache")

    assert cache.prepare(own_raw, "yolo") == data_yaml
    after = _snapshot(data)
    ds = own_raw.dataset_name
    edited_label = f"labels/{edited.split}/{ds(edited.dataset_id)}/img_00000.txt"
    edited_image = f"images/{edited.split}/{ds(edited.dataset_id)}/img_00000.jpg"
    removed_files = {f"images/{removed.split}/{ds(removed.dataset_id)}/{removed.name}", f"labels/{removed.split}/{ds(removed.dataset_id)}/img_00001.txt"}
    added_files = {f"images/{added.split}/set-1/extra.jpg", f"labels/{added.split}/set-1/extra.txt"}
    assert set(after) == (set(before) | added_files) - removed_files - {"labels/train/set-1.cache"}
    changed = {k for k in after if k in before and after[k] != before[k]}
    assert changed == {edited_label, "dataset.yaml"}  # the image of an annotation-only change stays
    assert after[edited_image] == before[edited_image]
    _same_as_fresh_yolo(own_raw, data_yaml, tmp_path)


def test_an_item_that_moves_to_the_other_split_moves_its_files(own_raw: RawDataset, tmp_path: Path) -> None:
    cache = DatasetCache(tmp_path / "cache")
    data_yaml = cache.prepare(own_raw, "yolo")
    item = next(i for i in own_raw.items if i.split == "train")
    item.split = "val"
    cache.prepare(own_raw, "yolo")
    _same_as_fresh_yolo(own_raw, data_yaml, tmp_path)


def test_coco_entries_update_their_annotations(own_raw: RawDataset, tmp_path: Path) -> None:
    cache = DatasetCache(tmp_path / "cache")
    path = cache.prepare(own_raw, "coco", classes=["square", "circle"])
    del own_raw.items[5]
    own_raw.items[0].objects = []
    assert cache.prepare(own_raw, "coco", classes=["square", "circle"]) == path
    fresh = write_coco(own_raw, tmp_path / "fresh", classes=["square", "circle"]).parent
    assert _contents(path.parent) == _contents(fresh)


class _Crash(Exception):
    pass


def test_a_crash_mid_update_is_repaired_next_time(own_raw: RawDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = DatasetCache(tmp_path / "cache")
    data_yaml = cache.prepare(own_raw, "yolo")
    for item in own_raw.items[:6]:
        item.image_hash = "changed-" + (item.image_hash or "")  # new image content for six items
        item.objects = item.objects[:1]

    real_link, calls = os.link, []

    def link_then_crash(src: object, dst: object) -> None:
        calls.append(dst)
        if len(calls) == 3:
            raise _Crash("power cut")
        real_link(src, dst)

    monkeypatch.setattr(os, "link", link_then_crash)
    with pytest.raises(_Crash):
        cache.prepare(own_raw, "yolo")
    monkeypatch.setattr(os, "link", real_link)
    manifest = CacheManifest.model_validate_json((data_yaml.parent.parent / MANIFEST).read_bytes())
    assert manifest.pending  # the journal says what was in flight

    assert cache.prepare(own_raw, "yolo") == data_yaml
    manifest = CacheManifest.model_validate_json((data_yaml.parent.parent / MANIFEST).read_bytes())
    assert not manifest.pending and len(manifest.entries) == len(own_raw.items)
    _same_as_fresh_yolo(own_raw, data_yaml, tmp_path)


def test_a_crash_while_removing_old_files_leaves_no_orphans(own_raw: RawDataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = DatasetCache(tmp_path / "cache")
    data_yaml = cache.prepare(own_raw, "yolo")
    movers = [i for i in own_raw.items if i.split == "train"][:3]
    for item in movers:
        item.split = "val"
    del own_raw.items[-1]

    real_unlink, calls = os.unlink, []

    def unlink_then_crash(path: object, *args: object, **kwargs: object) -> None:
        if "/data/" in str(path):
            calls.append(path)
            if len(calls) == 2:
                raise _Crash("power cut")
        real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink_then_crash)
    with pytest.raises(_Crash):
        cache.prepare(own_raw, "yolo")
    monkeypatch.setattr(os, "unlink", real_unlink)
    assert cache.prepare(own_raw, "yolo") == data_yaml
    _same_as_fresh_yolo(own_raw, data_yaml, tmp_path)


def test_leftovers_without_a_manifest_and_a_broken_manifest_are_rebuilt(own_raw: RawDataset, tmp_path: Path) -> None:
    cache = DatasetCache(tmp_path / "cache")
    data_yaml = cache.prepare(own_raw, "yolo")
    entry = data_yaml.parent.parent
    (entry / MANIFEST).unlink()
    (data_yaml.parent / "labels" / "train" / "junk.txt").write_text("9 9 9 9 9\n")
    assert cache.prepare(own_raw, "yolo") == data_yaml
    _same_as_fresh_yolo(own_raw, data_yaml, tmp_path / "a")

    (entry / MANIFEST).write_text("{not json")
    assert cache.prepare(own_raw, "yolo") == data_yaml
    assert json.loads((entry / MANIFEST).read_text())["pending"] == {}
    _same_as_fresh_yolo(own_raw, data_yaml, tmp_path / "b")


def test_bad_input_is_refused_before_the_cache_is_touched(own_raw: RawDataset, tmp_path: Path) -> None:
    cache = DatasetCache(tmp_path / "cache")
    own_raw.items[0].split = None
    with pytest.raises(InputError):
        cache.prepare(own_raw, "yolo")
    with pytest.raises(InputError):
        cache.prepare(own_raw, "yolo", classes=["dragon"])
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_copies_when_hard_links_cannot_cross_devices(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("no second filesystem to link across")
    source = tmp_path / "a.jpg"
    source.write_bytes(b"pixels")
    linker = Linker(link=True)
    target_dir = Path(__import__("tempfile").mkdtemp(dir=shm))
    try:
        linker.place(source, target_dir / "a.jpg")
        assert (target_dir / "a.jpg").read_bytes() == b"pixels" and linker.mode == "copy"
    finally:
        shutil.rmtree(target_dir)


def test_a_failing_link_for_another_reason_is_not_hidden(tmp_path: Path) -> None:
    with pytest.raises(OSError) as err:
        Linker(link=True).place(tmp_path / "missing.jpg", tmp_path / "out.jpg")
    assert err.value.errno == errno.ENOENT
