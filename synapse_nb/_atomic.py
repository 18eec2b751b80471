"""The one way this package writes a file that someone may read meanwhile: to a temporary
name beside it, then a rename, so a reader sees the old file or the new one, never half.

A crash or an error mid-write leaves the old file (or none) and no temporary file behind.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> target = Path(tempfile.mkdtemp()) / "state" / "a.json"
    >>> atomic_write_text(target, '{"epoch": 3}').read_text()
    '{"epoch": 3}'
    >>> try:
    ...     with atomic_path(target) as tmp:
    ...         _ = tmp.write_text("half")
    ...         raise OSError("disk full")
    ... except OSError:
    ...     pass
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('{"epoch": 3}', ['a.json'])
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text"]

_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


@contextmanager
def atomic_path(path: Path | str, *, folder: Path | None = None, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to; renamed onto ``path`` when the
    block ends, removed when it raises.

    The temporary file is made beside ``path`` (its folder is created), or in ``folder``,
    which must be on the same filesystem (a rename does not cross filesystems).

    Example:
        >>> import shutil, tempfile
        >>> target = Path(tempfile.mkdtemp()) / "copy.txt"
        >>> with atomic_path(target) as tmp:
        ...     shutil.copyfile(__file__, tmp).name.startswith(".copy.txt.")
        True
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # pid and a random part: two processes (or threads) writing one file never share a name.
    tmp = (folder or path.parent) / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{suffix}"
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: Path | str, data: bytes, *, mode: int = 0o666) -> Path:
    """Write ``data`` to ``path`` atomically; a new file gets ``mode`` (less the umask).

    Example:
        >>> import tempfile
        >>> p = atomic_write_bytes(Path(tempfile.mkdtemp()) / "token", b"s3cret", mode=0o600)
        >>> oct(p.stat().st_mode & 0o777)
        '0o600'
    """
    with atomic_path(path) as tmp:
        fd = os.open(tmp, _NEW, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    return Path(path)


def atomic_write_text(path: Path | str, text: str, *, mode: int = 0o666) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"), mode=mode)
