"""File plumbing shared by the writers and the dataset cache.

Hard links where the filesystem allows (a conversion of 5,000 images then costs no image
bytes), copies otherwise (through :mod:`synapse_nb._atomic`); whole export folders built
beside their destination and renamed into place, so a reader never sees a half-written
export.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "a.txt").write_text("hello")
    >>> Linker().place(d / "a.txt", d / "b.txt"); (d / "b.txt").read_text()
    'hello'
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from synapse_nb._atomic import atomic_path
from synapse_nb.errors import InputError


class Linker:
    """Places a file at a new path: a hard link when possible, else a copy.

    One instance per export: after the first link that fails for a reason that will not
    change (another device, no link support), it copies straight away instead of failing
    and catching once per file.

    Example:
        >>> linker = Linker(link=False)
        >>> linker.mode
        'copy'
    """

    # Reasons a hard link can fail that say "this filesystem pair can't link", not "this file is bad".
    _NO_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES}

    def __init__(self, link: bool = True) -> None:
        self._link = link

    @property
    def mode(self) -> str:
        """``"link"`` while hard links are being tried, ``"copy"`` after they failed or when off."""
        return "link" if self._link else "copy"

    def place(self, source: str | Path, target: str | Path) -> None:
        """Make ``target`` hold ``source``'s bytes; ``target`` must not exist yet."""
        if self._link:
            try:
                os.link(source, target)
                return
            except OSError as exc:
                if exc.errno not in self._NO_LINK:
                    raise
                self._link = False
        # Copy to a temporary name first: a crash mid-copy must not leave a truncated image
        # under the final name, where a later run would take it for a good one.
        with atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def write_new_file(path: str, data: bytes) -> None:
    """Create ``path`` (it must not exist) holding ``data``, with as few system calls as
    possible: exports write one small label file per image, thousands at a time.

    Example:
        >>> import tempfile
        >>> p = tempfile.mkdtemp() + "/a.txt"
        >>> write_new_file(p, b"0 0.5 0.5 0.1 0.1")
        >>> open(p).read()
        '0 0.5 0.5 0.1 0.1'
    """
    fd = os.open(path, _NEW_FILE, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def check_new_folder(field: str, dest: Path) -> Path:
    """Resolve ``dest`` and require that it is absent or an empty folder (before any work).

    Example:
        >>> import tempfile
        >>> check_new_folder("dest", Path(tempfile.mkdtemp()) / "out").name
        'out'
    """
    dest = Path(dest).expanduser().resolve()
    if dest.exists():
        if not dest.is_dir():
            raise InputError(field, "a folder path (absent or empty)", got=str(dest), hint="it is a file")
        if any(dest.iterdir()):
            raise InputError(
                field,
                "an absent or empty folder",
                got=str(dest),
                hint="it already holds files; choose a new folder or remove the old export first",
            )
    return dest


@contextlib.contextmanager
def staged_folder(dest: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``dest``; on success rename it to ``dest``.

    ``dest`` must be absent or empty (see :func:`check_new_folder`). On any error the
    temporary folder is removed and ``dest`` is left as it was.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    stage = dest.with_name(f".{dest.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.partial")
    stage.mkdir()
    try:
        yield stage
        if dest.is_dir():
            dest.rmdir()  # empty (checked before the work); rename can't replace it on every OS
        os.replace(stage, dest)
    finally:
        if stage.exists():
            shutil.rmtree(stage)


def is_component(value: str) -> bool:
    """Whether ``value`` is a single, safe path component (see :func:`check_component`).

    Example:
        >>> is_component(".."), is_component("a.jpg")
        (False, True)
    """
    return bool(value) and value not in (".", "..") and "/" not in value and "\\" not in value and "\x00" not in value


def check_component(field: str, value: str) -> str:
    """Require a single, safe path component (no separators, not ``.`` or ``..``).

    Dataset and item names become folder and file names in exports; this keeps every
    written file inside the export folder.

    Example:
        >>> check_component("items[0].name", "cat.jpg")
        'cat.jpg'
    """
    if not is_component(value):
        raise InputError(field, "a plain file or folder name (no '/', '\\', '.' or '..')", got=value)
    return value
