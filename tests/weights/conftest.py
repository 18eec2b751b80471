"""A loopback weights mirror and a real ``.pt`` built here (an untrained YOLO saved from its YAML)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from weights_mirror import Mirror, MirrorServer


@pytest.fixture(scope="session")
def built_pt(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of yolov8n built from its YAML and saved as a checkpoint (no download)."""
    from synapse_nb._offline import configure_ultralytics

    configure_ultralytics()
    from ultralytics import YOLO

    path = tmp_path_factory.mktemp("built") / "yolov8n.pt"
    YOLO("yolov8n.yaml").save(path)
    return path.read_bytes()


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    """A running mirror (its URL in ``mirror.url``) serving nothing until a test publishes."""
    served = Mirror()
    with MirrorServer(served):
        yield served
