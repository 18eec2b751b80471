"""Progress bars for long operations: an ipywidgets bar in a notebook, a terminal bar elsewhere.

Both come from tqdm (``tqdm.auto`` picks the notebook bar inside Jupyter), imported only
when a bar is shown, so the headless core never loads ipywidgets on import.

Example:
    >>> with progress_bar(3, "upload", enabled=False) as bar:
    ...     bar.update(2)
    ...     bar.update(1)
    >>> bar.n
    3
"""

from __future__ import annotations

__all__ = ["ProgressBar", "progress_bar"]

import sys
from types import TracebackType
from typing import Any


class ProgressBar:
    """A context manager with ``update(n)``; draws nothing when disabled."""

    def __init__(self, total: int, desc: str, enabled: bool = True, unit: str = "it") -> None:
        self.total = total
        self.desc = desc
        self.n = 0
        self._bar: Any = None
        if enabled:
            self._bar = _make_bar(total, desc, unit)

    def update(self, n: int = 1) -> None:
        """Advance by ``n``."""
        self.n += n
        if self._bar is not None:
            self._bar.update(n)

    def set_description(self, desc: str) -> None:
        """Change the label."""
        self.desc = desc
        if self._bar is not None:
            self._bar.set_description(desc)

    def close(self) -> None:
        """Finish the bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _make_bar(total: int, desc: str, unit: str) -> Any:
    # tqdm.auto: the widget bar in a Jupyter kernel that has ipywidgets, the terminal bar elsewhere.
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=False)


def progress_bar(total: int, desc: str, enabled: bool = True, unit: str = "it") -> ProgressBar:
    """A progress bar for ``total`` steps labelled ``desc``; use it as a context manager.

    Example:
        >>> with progress_bar(10, "images", enabled=False) as bar:
        ...     bar.update(10)
    """
    return ProgressBar(total, desc, enabled=enabled, unit=unit)
