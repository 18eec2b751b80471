"""A user pulls pretrained weights from a mirror: checked, resumable, never half-written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from synapse_nb import weights
from synapse_nb.cli import main
from synapse_nb.errors import InputError
from synapse_nb.frameworks import list_models

from weights_mirror import Mirror


def test_a_pulled_file_lands_in_the_weights_folder_checked(mirror: Mirror, built_pt: bytes, tmp_path: Path,
                                                           no_network: list[object]) -> None:
    mirror.publish("yolov8n.pt", built_pt)
    [path] = weights.pull("YOLO/yolov8n-det", base_url=mirror.url, dest=tmp_path)
    assert path == tmp_path / "yolov8n.pt" and path.read_bytes() == built_pt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["yolov8n.pt"]
    assert weights.status_of("yolov8n.pt", tmp_path) == "local"
    # Already here: nothing is fetched again.
    asked = len(mirror.requests)
    assert weights.pull("yolov8n-det", base_url=mirror.url, dest=tmp_path) == [path]
    assert len(mirror.requests) == asked
    assert no_network == []


def test_a_corrupt_file_is_refused_and_nothing_is_left(mirror: Mirror, built_pt: bytes, tmp_path: Path) -> None:
    mirror.publish("yolo11n.pt", built_pt[:-10] + b"corrupted!", sha256=hashlib.sha256(built_pt).hexdigest())
    with pytest.raises(weights.WeightsDownloadError, match="does not match"):
        weights.pull("yolo11n-det", base_url=mirror.url, dest=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_download_cut_in_the_middle_is_resumed_with_a_range_request(mirror: Mirror, built_pt: bytes,
                                                                      tmp_path: Path) -> None:
    mirror.publish("yolo26n.pt", built_pt)
    mirror.cut_once.add("yolo26n.pt")
    [path] = weights.pull("yolo26n-det", base_url=mirror.url, dest=tmp_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(built_pt).hexdigest()
    file_requests = [rng for name, rng in mirror.requests if name == "yolo26n.pt"]
    assert file_requests == [None, f"bytes={len(built_pt) // 2}-"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["yolo26n.pt"]


def test_without_a_known_sha256_the_pull_is_refused_unless_trusted(mirror: Mirror, built_pt: bytes,
                                                                   tmp_path: Path) -> None:
    mirror.files["yolov8s.pt"] = built_pt  # served, but no manifest
    with pytest.raises(InputError) as caught:
        weights.pull("yolov8s-det", base_url=mirror.url, dest=tmp_path)
    assert caught.value.field == "sha256" and "weights.json" in str(caught.value)
    assert list(tmp_path.iterdir()) == []
    [path] = weights.pull("yolov8s-det", base_url=mirror.url, dest=tmp_path, allow_unverified=True)
    assert path.read_bytes() == built_pt
    # A digest the caller vouches for is checked too.
    with pytest.raises(weights.WeightsDownloadError):
        weights.pull("yolov8s-det", base_url=mirror.url, dest=tmp_path, sha256={"yolov8s.pt": "0" * 64}, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["yolov8s.pt"]


def test_bad_input_is_refused_before_anything_is_fetched(mirror: Mirror, tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        weights.pull("resnet-50", base_url=mirror.url, dest=tmp_path)
    assert caught.value.field == "name"
    with pytest.raises(InputError) as caught:
        weights.pull("yolo11n-det", base_url="ftp://mirror", dest=tmp_path)
    assert caught.value.field == "base_url"
    with pytest.raises(InputError) as caught:
        weights.pull("yolo11n-det", base_url=mirror.url, dest=tmp_path, sha256={"yolo11n.pt": "abc"})
    assert caught.value.field == "sha256['yolo11n.pt']"
    assert mirror.requests == []


def test_a_manifest_that_is_not_sha256_values_is_named(mirror: Mirror, tmp_path: Path) -> None:
    mirror.manifest = {"yolo11n.pt": "not-a-digest"}
    with pytest.raises(InputError) as caught:
        weights.pull("yolo11n-det", base_url=mirror.url, dest=tmp_path)
    assert caught.value.field == "weights.json['yolo11n.pt']"


def test_the_mirror_comes_from_the_environment_and_the_cli_pulls(mirror: Mirror, built_pt: bytes,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    mirror.publish("yolo11n-seg.pt", built_pt)
    monkeypatch.setenv(weights.WEIGHTS_URL_ENV, mirror.url)
    target = weights.weights_dir() / "yolo11n-seg.pt"
    try:
        assert main(["weights", "pull", "yolo11n-seg"]) == 0
        assert capsys.readouterr().out.strip() == str(target)
        assert next(m for m in list_models() if m.name == "yolo11n-seg").weights_status == "local"
        assert main(["weights", "list"]) == 0
        listing = capsys.readouterr().out
        assert "YOLO/yolo11n-seg" in listing and "pretrained weights here" in listing
    finally:
        target.unlink(missing_ok=True)
    assert next(m for m in list_models() if m.name == "yolo11n-seg").weights_status == "pullable"
    assert main(["weights", "pull", "resnet-50"]) == 2
    assert "name: expected a model name" in capsys.readouterr().err


def test_every_model_shows_where_its_weights_stand(tmp_path: Path) -> None:
    statuses = {m.name: m.weights_status for m in list_models()}
    assert set(statuses.values()) <= {"local", "pullable", "scratch"}
    assert statuses["yolo11n-det"] in ("local", "pullable") and statuses["rtdetr-x-det"] in ("local", "pullable")
    released = json.loads((Path(weights.__file__).parent / "released.json").read_text())["files"]
    assert set(released) == {m.weights for m in list_models()}
    rows = weights.list_weights(tmp_path)
    assert {r.status for r in rows} == {"pullable"} and all(r.path is None for r in rows)
