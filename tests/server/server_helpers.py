"""Helpers of the server tests: images, projects, uploads (fixtures are in conftest.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
from PIL import Image


def png(width: int = 8, height: int = 6, colour: tuple[int, int, int] = (200, 10, 10)) -> bytes:
    """A small PNG image."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def make_project(http: httpx.Client, name: str = "p", classes: tuple[str, ...] = ("cat", "dog"), tags: tuple[str, ...] = ("train", "val")) -> dict[str, Any]:
    """Create a project with rectangle classes and tags."""
    body = {"name": name, "classes": [{"name": c} for c in classes], "tags": [{"name": t} for t in tags]}
    reply = http.post("/projects", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def make_dataset(http: httpx.Client, project_id: int, name: str = "ds") -> dict[str, Any]:
    """Create a dataset."""
    reply = http.post(f"/projects/{project_id}/datasets", json={"name": name})
    assert reply.status_code == 201, reply.text
    return reply.json()


def upload(http: httpx.Client, dataset_id: int, entries: list[dict[str, Any]], files: list[bytes]) -> httpx.Response:
    """POST an item batch: ``entries`` as the items JSON, ``files`` as the image parts."""
    parts = [("items", ("items.json", json.dumps(entries).encode(), "application/json"))]
    parts += [("files", (f"f{i}.png", data, "image/png")) for i, data in enumerate(files)]
    return http.post(f"/datasets/{dataset_id}/items", files=parts)


def box(x1: float = 1, y1: float = 1, x2: float = 4, y2: float = 4) -> dict[str, Any]:
    """A rectangle geometry."""
    return {"type": "rectangle", "x1": x1, "y1": y1, "x2": x2, "y2": y2}


def storage_files(home: Path, sub: str) -> list[Path]:
    """Files below ``<home>/server/storage/<sub>``."""
    root = home / "server" / "storage" / sub
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
