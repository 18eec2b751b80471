"""Bad data found while reading a dataset: refused by name, or skipped and reported.

Readers check every image (decoded in full: a truncated file is caught here, not half-way
through training) and every label; ``on_error="raise"`` stops at the first problem with an
:class:`~synapse_nb.errors.InputError` naming the file (and line or annotation id), before
anything is stored; ``on_error="skip"`` leaves the bad images out and lists each one, with
why, as ultralytics reports the corrupt images and labels it drops.

Example:
    >>> report = Problems("skip")
    >>> report.found(InputError("label file /d/labels/a.txt, line 2", "coordinates in 0..1", got="0 1.5 0.5 0.1 0.1"),
    ...              "/d/images/a.jpg", line=2)
    >>> [(s.file, s.line) for s in report.skipped]
    [('/d/images/a.jpg', 2)]
"""

from __future__ import annotations

__all__ = ["OnError", "Problems", "SkippedFile", "verify_image"]

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from synapse_nb.errors import InputError

OnError = Literal["raise", "skip"]


class SkippedFile(BaseModel):
    """An image left out of an import, and why (the file, the label line or annotation id)."""

    file: str
    reason: str
    line: int | None = None
    annotation_id: int | None = None


class Problems:
    """Collects problems for ``on_error="skip"``; raises them for ``"raise"``."""

    def __init__(self, on_error: OnError = "raise") -> None:
        if on_error not in ("raise", "skip"):
            raise InputError("on_error", "'raise' or 'skip'", got=on_error)
        self.on_error = on_error
        self.skipped: list[SkippedFile] = []

    def found(self, error: InputError, file: str | Path, line: int | None = None,
              annotation_id: int | None = None) -> None:
        """Raise ``error`` or record ``file`` as skipped because of it."""
        if self.on_error == "raise":
            raise error
        self.skipped.append(SkippedFile(file=str(file), reason=str(error), line=line, annotation_id=annotation_id))


def verify_image(path: Path) -> tuple[int, int]:
    """``(width, height)`` of an image that decodes in full; an InputError naming the file
    otherwise (unreadable, not an image, truncated).

    Example:
        >>> verify_image(Path("/nonexistent.jpg"))
        Traceback (most recent call last):
        ...
        synapse_nb.errors.InputError: image /nonexistent.jpg: expected a readable image file, got 'not found'
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()  # decodes every pixel: a truncated file fails here ("image file is truncated")
            return im.size
    except FileNotFoundError:
        raise InputError(f"image {path}", "a readable image file", got="not found") from None
    # ImportError: a format plugin whose optional library is missing (PIL tries each on a
    # file it cannot identify) -- the file is not readable here either way.
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, ImportError) as exc:
        raise InputError(f"image {path}", "a readable image file", got=f"{type(exc).__name__}: {exc}") from None
