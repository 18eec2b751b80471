"""Pretrained weights: list them, pull them from a release or a mirror, see what is here.

Offline is the default: nothing is fetched unless :func:`pull` is called (``synapse-nb
weights pull NAME``, ``api.weights.pull(NAME)``) or ``SYNAPSE_NB_ALLOW_DOWNLOADS=1`` lets
a run pull the weights of its model by itself. Files come from ``SYNAPSE_NB_WEIGHTS_URL``
(default: ultralytics' release assets) or ``base_url``, and land in
``$SYNAPSE_NB_HOME/weights``, where the next run finds them and fine-tunes from them.

Each file is checked against a sha256: the mirror's ``weights.json`` manifest when it lists
the file, else the table shipped in this package (``released.json``), else ``sha256=``
given by the caller. With none of these the pull is refused unless ``allow_unverified``.

Example:
    >>> from synapse_nb import weights
    >>> row = next(r for r in weights.list_weights() if r.name == "yolo11n-det")
    >>> (row.file, row.status in ("local", "pullable"))
    ('yolo11n.pt', True)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

import httpx
from pydantic import BaseModel, ConfigDict, Field

from synapse_nb.errors import InputError
from synapse_nb.weights._catalog import (
    ALLOW_DOWNLOADS_ENV,
    MANIFEST_NAME,
    WEIGHTS_URL_ENV,
    WeightsStatus,
    check_sha256,
    default_base_url,
    downloads_allowed,
    released_files,
    status_of,
    weights_dir,
    weights_file,
)
from synapse_nb.weights._download import WeightsDownloadError, download_checked, sha256_of

__all__ = [
    "ALLOW_DOWNLOADS_ENV",
    "MANIFEST_NAME",
    "WEIGHTS_URL_ENV",
    "WeightsDownloadError",
    "WeightsEntry",
    "WeightsResource",
    "WeightsStatus",
    "default_base_url",
    "downloads_allowed",
    "fetch_manifest",
    "list_weights",
    "pull",
    "released_files",
    "sha256_of",
    "status_of",
    "weights_dir",
    "weights_file",
]

logger = logging.getLogger(__name__)


class WeightsEntry(BaseModel):
    """One model's pretrained weights, as ``synapse-nb weights list`` shows them."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="model name, e.g. 'yolo11n-det'")
    ref: str = Field(description="'Framework/name'")
    file: str = Field(description="weights file name, e.g. 'yolo11n.pt'")
    status: WeightsStatus
    size_mb: float = Field(description="estimated size of the released file")
    path: Path | None = Field(default=None, description="the local file, when status is 'local'")


def list_weights(folder: Path | None = None) -> list[WeightsEntry]:
    """Every registry model with its weights file and whether it is here, pullable or not.

    Nothing is fetched: "pullable" means the file is a released one the package knows.
    """
    from synapse_nb.frameworks import default_registry

    folder = Path(folder) if folder is not None else weights_dir()
    rows = []
    for framework in default_registry().list():
        for model in framework.models:
            status = status_of(model.weights, folder)
            rows.append(WeightsEntry(name=model.name, ref=model.ref, file=model.weights, status=status,
                                     size_mb=model.size_mb, path=folder / model.weights if status == "local" else None))
    return rows


def fetch_manifest(base_url: str, timeout: float = 30.0) -> dict[str, str] | None:
    """The mirror's ``weights.json`` (file name -> sha256), or None when it serves none (404).

    A manifest that is not a JSON object of sha256 hex strings is an InputError naming it.
    """
    url = f"{base_url.rstrip('/')}/{MANIFEST_NAME}"
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
    except httpx.TransportError as exc:
        raise WeightsDownloadError(f"cannot reach the weights mirror {base_url}: {exc}") from exc
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise WeightsDownloadError(f"{url}: HTTP {response.status_code}")
    try:
        data = response.json()
    except json.JSONDecodeError:
        raise InputError(MANIFEST_NAME, 'a JSON object {"file.pt": "<sha256>"}', got=response.text[:80]) from None
    if not isinstance(data, dict):
        raise InputError(MANIFEST_NAME, 'a JSON object {"file.pt": "<sha256>"}', got=type(data).__name__)
    return {str(name): check_sha256(sha, f"{MANIFEST_NAME}[{name!r}]") for name, sha in data.items()}


def _expected_sha(file: str, manifest: dict[str, str] | None, given: dict[str, str]) -> str | None:
    if file in given:
        return given[file]
    if manifest and file in manifest:
        return manifest[file]
    return released_files().get(file)


def pull(
    names: str | Iterable[str],
    base_url: str | None = None,
    dest: Path | None = None,
    sha256: dict[str, str] | None = None,
    allow_unverified: bool = False,
    force: bool = False,
) -> list[Path]:
    """Download the weights of ``names`` (model names or ``.pt`` file names) into ``dest``.

    ``base_url`` defaults to ``$SYNAPSE_NB_WEIGHTS_URL`` or ultralytics' release assets; a
    file already here is kept (``force=True`` fetches it again). ``sha256`` maps file names
    to digests the caller vouches for. Returns the local paths, in the order asked.

    Example:
        >>> pull("yolo11n-det", base_url="http://127.0.0.1:8000/weights")  # doctest: +SKIP
        [PosixPath('/home/me/.synapse_nb/weights/yolo11n.pt')]
    """
    wanted = [names] if isinstance(names, str) else list(names)
    if not wanted:
        raise InputError("names", "at least one model or weights file name", got=[])
    files = [weights_file(name) for name in wanted]
    given = {str(k): check_sha256(v, f"sha256[{k!r}]") for k, v in (sha256 or {}).items()}
    base = (base_url or default_base_url()).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise InputError("base_url", "an http:// or https:// URL", got=base)
    folder = Path(dest) if dest is not None else weights_dir()
    todo = [f for f in files if force or not (folder / f).is_file()]
    manifest = fetch_manifest(base) if todo else None
    unverified = [f for f in todo if _expected_sha(f, manifest, given) is None]
    if unverified and not allow_unverified:
        raise InputError("sha256", f"a known sha256 for {', '.join(unverified)}", got=None,
                         hint=f"serve a {MANIFEST_NAME} manifest from {base}, pass sha256={{...}}, "
                              "or pass allow_unverified=True (--allow-unverified) to trust the source")
    for file in todo:
        download_checked(f"{base}/{file}", folder / file, _expected_sha(file, manifest, given))
        logger.info("pulled %s from %s into %s", file, base, folder)
    return [folder / f for f in files]


class WeightsResource:
    """``api.weights``: pull pretrained weights into this machine's weights folder.

    Example:
        >>> WeightsResource().status("toy.pt")
        'scratch'
    """

    def pull(self, names: str | Iterable[str], base_url: str | None = None, sha256: dict[str, str] | None = None,
             allow_unverified: bool = False, force: bool = False) -> list[Path]:
        """See :func:`pull` (``api.weights.pull("yolo11n-det", base_url=...)``)."""
        return pull(names, base_url=base_url, sha256=sha256, allow_unverified=allow_unverified, force=force)

    def list(self) -> list[WeightsEntry]:
        """See :func:`list_weights`."""
        return list_weights()

    def status(self, name: str) -> WeightsStatus:
        """``"local"``, ``"pullable"`` or ``"scratch"`` for a model or file name."""
        return status_of(weights_file(name))
