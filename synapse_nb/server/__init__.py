"""The synapse_nb backend: an HTTP service (FastAPI) over SQLite and a file store.

It keeps projects (classes, tags, datasets, items with annotations, collections), agents,
tasks with everything they report (progress, logs, metrics, visualizations, trial tables,
files) and the model registry. Every route needs the bearer token from
``<home>/server/token`` except ``GET /openapi.json`` and ``GET /health``.

Run it with ``synapse-nb serve`` or ``python -m synapse_nb.server`` (foreground), or let
``Api.from_env()`` start it in the background for this machine.

Example:
    >>> import tempfile, pathlib, httpx
    >>> from synapse_nb.server import BackgroundServer, ServerConfig
    >>> with BackgroundServer(ServerConfig(home=pathlib.Path(tempfile.mkdtemp()), port=0)) as server:
    ...     httpx.get(server.url + "/projects").status_code
    401
"""

from synapse_nb.server.app import create_app
from synapse_nb.server.config import ServerConfig
from synapse_nb.server.runner import BackgroundServer, read_info, serve

__all__ = ["BackgroundServer", "ServerConfig", "create_app", "read_info", "serve"]
