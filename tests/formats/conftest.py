"""Sample projects shared by the format tests (generated once per session, never modified)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from synapse_nb.formats.raw import RawDataset
from synapse_nb.samples import generate_sample_project


def with_tag_split(raw: RawDataset) -> RawDataset:
    """A copy whose items carry the split an export by tags would give them (untagged -> train)."""
    copy = raw.model_copy(deep=True).attach(raw.root)
    for item in copy.items:
        item.split = "val" if "val" in item.tags else "train"
    return copy


@pytest.fixture(scope="session")
def sample_raw(tmp_path_factory: pytest.TempPathFactory) -> RawDataset:
    """24 images of 64 px with all five classes (rectangles, polygons, bitmaps), split by tags."""
    raw = generate_sample_project(tmp_path_factory.mktemp("samples") / "shapes5", num_images=24, image_size=64, num_classes=5, seed=7)
    return with_tag_split(raw)


@pytest.fixture
def own_raw(sample_raw: RawDataset, tmp_path: Path) -> RawDataset:
    """A private copy of the sample project's folder that a test may change."""
    shutil.copytree(sample_raw.root, tmp_path / "raw")
    return with_tag_split(RawDataset.read(tmp_path / "raw"))
