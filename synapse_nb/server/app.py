"""The backend application: ``create_app(config)`` builds the FastAPI app with its store,
file storage, token gate, body limits, error handlers and reaper.

Example:
    >>> import tempfile, pathlib
    >>> app = create_app(ServerConfig(home=pathlib.Path(tempfile.mkdtemp())))
    >>> "/projects" in app.openapi()["paths"]
    True
"""

from __future__ import annotations

__all__ = ["DESCRIPTION", "create_app"]

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import getpass

from fastapi import Depends, FastAPI

from synapse_nb.server.config import ServerConfig
from synapse_nb.server.context import ServerContext
from synapse_nb.server.db import Database
from synapse_nb.server.errors import install_error_handlers
from synapse_nb.server.auth import PrincipalStore, authorize
from synapse_nb.server.auth.gate import TokenGateMiddleware
from synapse_nb.server.middleware import BodyLimitMiddleware
from synapse_nb.server.reaper import Reaper
from synapse_nb.server.routes import ROUTERS
from synapse_nb.server.storage import Storage
from synapse_nb.server.token import load_or_create_token

DESCRIPTION = """The synapse_nb backend: projects, items and annotations, agents, tasks with
their progress, logs, metrics and trial tables, and the model registry.

Every route needs `Authorization: Bearer <token>`, except `GET /openapi.json` and `GET /health`.
Each person and agent has their own token (`synapse-nb token create`), with a role: admin,
user or agent; the token in `<home>/server/token` is the local user's admin token."""


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "local"


def create_app(config: ServerConfig) -> FastAPI:
    """Build the backend app for ``config`` (creates its folders, database and token)."""
    from synapse_nb import __version__

    config.server_dir.mkdir(parents=True, exist_ok=True)
    # The database and files are the users' data: readable by the owner only.
    config.server_dir.chmod(0o700)
    token = load_or_create_token(config.token_path)
    db = Database(config.db_path)
    principals = PrincipalStore(db)
    # The token file is the local user's admin token: the embedded default needs no set-up.
    principals.adopt(_local_user(), "admin", token)
    context = ServerContext(
        config=config, db=db, storage=Storage(config.storage_root), started_at=dt.datetime.now(dt.timezone.utc)
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        reaper = Reaper(db, config.heartbeat_timeout, config.reaper_period)
        reaper.start()
        try:
            yield
        finally:
            reaper.stop()
            db.close()

    # No /docs or /redoc: their pages load scripts from a CDN, and this backend works offline.
    app = FastAPI(title="synapse_nb backend", version=__version__, description=DESCRIPTION, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.context = context
    app.state.principals = principals
    for router in ROUTERS:
        # Every route passes the role table (and what agent and task tokens are bound to).
        app.include_router(router, dependencies=[Depends(authorize)])
    install_error_handlers(app)
    # Added last = runs first: the token is checked before the body is even read.
    app.add_middleware(BodyLimitMiddleware, max_body=config.max_body_bytes, max_upload=config.max_upload_bytes)
    app.add_middleware(TokenGateMiddleware, store=principals)
    return app
