"""Where synapse_nb keeps its files on this machine.

Everything the toolkit writes locally (the embedded backend's database and artifact
storage, the dataset cache, training runs, ultralytics' settings) lives under one folder,
``SYNAPSE_NB_HOME`` (default ``~/.synapse_nb``), so that tests and users can point it
elsewhere with one variable.

Example:
    >>> from synapse_nb._home import home_dir
    >>> home_dir().name  # doctest: +SKIP
    '.synapse_nb'
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "SYNAPSE_NB_HOME"
URL_ENV = "SYNAPSE_NB_URL"
TOKEN_ENV = "SYNAPSE_NB_TOKEN"


def home_dir(create: bool = True) -> Path:
    """Return the synapse_nb home folder (``$SYNAPSE_NB_HOME`` or ``~/.synapse_nb``)."""
    raw = os.environ.get(HOME_ENV) or str(Path.home() / ".synapse_nb")
    path = Path(raw).expanduser().resolve()
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def sub_dir(*parts: str, create: bool = True) -> Path:
    """Return a folder below the home folder, e.g. ``sub_dir("cache", "datasets")``."""
    path = home_dir(create=create).joinpath(*parts)
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
