"""A resumable, checked download of one file: :func:`download_checked`.

The bytes go to a hidden partial file beside the target (``.<name>.part``); a connection
that drops mid-file is resumed with an HTTP ``Range`` request (from the partial file's size,
also on a later call), a progress bar (``tqdm.auto``: a widget in a notebook, a terminal
bar elsewhere) shows the bytes, and only a file whose sha256 matches is renamed into place.
A mismatch deletes the partial file, so nothing half-written or corrupt stays behind.

Example:
    >>> download_checked("http://127.0.0.1:9/yolo11n.pt", Path("/tmp/w/yolo11n.pt"), "0" * 64)  # doctest: +SKIP
    PosixPath('/tmp/w/yolo11n.pt')
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import httpx
from tenacity import RetryCallState

from synapse_nb._home import sub_dir
from synapse_nb._locks import file_lock
from synapse_nb._retry import backend_retrying
from synapse_nb.errors import SynapseNBError

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20
_ATTEMPTS = 4  # the first try and three resumes


class WeightsDownloadError(SynapseNBError):
    """A weights file could not be fetched, or its bytes are not the expected ones."""


class _CutShort(Exception):
    """The server closed the connection before the whole file arrived (resumed from there)."""


def sha256_of(path: Path) -> str:
    """The sha256 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch_once(client: httpx.Client, url: str, part: Path, label: str) -> bool:
    """Append what the server sends to ``part``; True when the whole file arrived."""
    from tqdm.auto import tqdm

    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    with client.stream("GET", url, headers=headers) as response:
        if response.status_code == 416 and have:
            return True  # the partial file already holds every byte
        if response.status_code == 404:
            raise WeightsDownloadError(f"{label}: not found at {url} (HTTP 404)")
        if response.status_code not in (200, 206):
            raise WeightsDownloadError(f"{label}: HTTP {response.status_code} from {url}")
        if response.status_code == 200 and have:
            have = 0  # the server ignored the Range header: start over
        length = response.headers.get("content-length")
        total = have + int(length) if length is not None else None
        received = 0
        with part.open("ab" if have else "wb") as out, tqdm(
            total=total, initial=have, unit="B", unit_scale=True, unit_divisor=1024, desc=label, leave=False
        ) as bar:
            for block in response.iter_bytes():  # as the bytes arrive: a cut loses none
                out.write(block)
                received += len(block)
                bar.update(len(block))
        return length is None or received == int(length)


def download_checked(url: str, target: Path, sha256: str | None, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``target`` (resuming a partial file), check ``sha256``, then rename.

    ``sha256=None`` skips the check (the caller decided to trust the source) and logs the
    digest it got. A wrong digest raises :class:`WeightsDownloadError` and leaves nothing.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.part")
    # Two processes pulling the same file would interleave their bytes in one partial file.
    # The lock lives outside the weights folder, which holds only weights.
    key = hashlib.sha256(str(target.resolve()).encode()).hexdigest()[:16]
    with file_lock(sub_dir("locks") / f"weights-{key}.lock"):
        with httpx.Client(timeout=timeout, follow_redirects=True) as client:

            def fetch() -> None:
                if not _fetch_once(client, url, part, target.name):
                    raise _CutShort("connection closed early")

            def resuming(state: RetryCallState) -> None:
                assert state.outcome is not None
                logger.warning("%s: %s (attempt %d of %d); resuming", target.name, state.outcome.exception(),
                               state.attempt_number, _ATTEMPTS)

            try:
                backend_retrying(retry=lambda exc: isinstance(exc, (_CutShort, httpx.TransportError)),
                                 attempts=_ATTEMPTS, before_sleep=resuming)(fetch)
            except (_CutShort, httpx.TransportError) as exc:
                have = part.stat().st_size if part.exists() else 0
                raise WeightsDownloadError(f"{target.name}: download from {url} kept breaking off "
                                           f"({have} bytes kept; pull again to resume)") from exc
        got = sha256_of(part)
        if sha256 is not None and got != sha256:
            part.unlink()
            raise WeightsDownloadError(f"{target.name}: sha256 {got} does not match the expected {sha256}; "
                                       "the file was deleted (a corrupt download or a wrong mirror)")
        if sha256 is None:
            logger.warning("%s: not verified (no sha256 known); its sha256 is %s", target.name, got)
        os.replace(part, target)
    return target
