"""The backend's bearer token: made once with ``secrets``, kept in a file only its owner reads.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "token"
    >>> load_or_create_token(path) == load_or_create_token(path)
    True
    >>> oct(path.stat().st_mode & 0o777)
    '0o600'
"""

from __future__ import annotations

__all__ = ["TOKEN_BYTES", "load_or_create_token", "read_token"]

import os
import secrets
import stat
from pathlib import Path

TOKEN_BYTES = 32


def read_token(path: Path) -> str | None:
    """The token stored at ``path``, or None when there is none yet."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text or None


def load_or_create_token(path: Path) -> str:
    """Return the token at ``path``, creating it (mode 0600, written atomically) if absent.

    An existing file readable by others is tightened to 0600: a token others can read is
    no lock at all.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = read_token(path)
    if existing is not None:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, 0o600)
        return existing
    token = secrets.token_urlsafe(TOKEN_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, token.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        # Two servers starting at once for one home must agree on one token: link() fails if
        # the other won, and then we read theirs.
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    result = read_token(path)
    if result is None:  # pragma: no cover - only if someone truncates the file meanwhile
        raise RuntimeError(f"could not read the token back from {path}")
    return result
