"""Which pretrained weights exist, where they come from, and where they live on this machine.

The package ships ``released.json``: every released weights file it can pull (ultralytics'
release assets), each with its sha256 where one is recorded. A mirror may serve its own
``weights.json`` manifest (``{"yolov8n.pt": "<sha256 hex>"}``) beside the files; for the
files it lists, the mirror's manifest is what a pull checks against.

Example:
    >>> "yolo11n.pt" in released_files()
    True
    >>> weights_file("YOLO/yolo11n-det"), weights_file("yolo11n.pt")
    ('yolo11n.pt', 'yolo11n.pt')
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from synapse_nb._home import sub_dir
from synapse_nb.errors import InputError

WEIGHTS_URL_ENV = "SYNAPSE_NB_WEIGHTS_URL"
ALLOW_DOWNLOADS_ENV = "SYNAPSE_NB_ALLOW_DOWNLOADS"
MANIFEST_NAME = "weights.json"
WeightsStatus = Literal["local", "pullable", "scratch"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\.pt$")


@lru_cache(maxsize=1)
def _released() -> dict[str, object]:
    # Read once per process: the file is part of the installed package and never changes.
    return json.loads((Path(__file__).with_name("released.json")).read_text())


def released_files() -> dict[str, str | None]:
    """Released file name -> sha256 shipped with the package (None where not recorded)."""
    files = _released()["files"]
    assert isinstance(files, dict)
    return {str(name): (str(sha) if sha else None) for name, sha in files.items()}


def default_base_url() -> str:
    """``$SYNAPSE_NB_WEIGHTS_URL``, else ultralytics' release assets.

    Example:
        >>> default_base_url().startswith(("http://", "https://"))
        True
    """
    return (os.environ.get(WEIGHTS_URL_ENV) or str(_released()["default_base_url"])).rstrip("/")


def downloads_allowed() -> bool:
    """Whether a run may pull missing weights by itself (``SYNAPSE_NB_ALLOW_DOWNLOADS=1``).

    Example:
        >>> os.environ.pop(ALLOW_DOWNLOADS_ENV, None); downloads_allowed()
        False
    """
    return os.environ.get(ALLOW_DOWNLOADS_ENV, "").strip().lower() in ("1", "true", "yes")


def weights_dir() -> Path:
    """``$SYNAPSE_NB_HOME/weights``: where pulled (or hand-placed) ``.pt`` files live."""
    return sub_dir("weights")


def weights_file(name: str) -> str:
    """The file name for a model name (``"yolo11n-det"``, ``"YOLO/yolo11n-det"``) or a file name.

    Example:
        >>> weights_file("yolov8x-seg")
        'yolov8x-seg.pt'
        >>> weights_file("resnet")
        Traceback (most recent call last):
        ...
        synapse_nb.errors.InputError: name: expected a model name (e.g. 'yolo11n-det') or a weights file name ending in .pt, got 'resnet'
    """
    text = name.strip()
    if _FILE_NAME.match(text):
        return text
    from synapse_nb.frameworks import default_registry

    models = [m for framework in default_registry().list() for m in framework.models]
    by_name = {key.lower(): m.weights for m in models for key in (m.ref, m.name)}
    found = by_name.get(text.lower())
    if found is None:
        raise InputError("name", "a model name (e.g. 'yolo11n-det') or a weights file name ending in .pt", got=name)
    return found


def check_sha256(value: str, field: str) -> str:
    """A lowercase 64-digit hex sha256, or an InputError naming ``field``."""
    text = str(value).strip().lower()
    if not _SHA256.match(text):
        raise InputError(field, "a sha256 as 64 hex digits", got=value)
    return text


def status_of(file_name: str, folder: Path | None = None) -> WeightsStatus:
    """``"local"`` when the file is in the weights folder, ``"pullable"`` when it is a released
    file, else ``"scratch"`` (the model trains from its architecture config).

    Example:
        >>> status_of("yolo11n.pt", Path("/nonexistent")), status_of("toy.pt", Path("/nonexistent"))
        ('pullable', 'scratch')
    """
    folder = folder if folder is not None else weights_dir()
    if (folder / file_name).is_file():
        return "local"
    return "pullable" if file_name in released_files() else "scratch"
