"""Liveness (open to all) and facts about this backend (token required)."""

from __future__ import annotations

__all__ = ["health", "server_info"]

import os

from fastapi import APIRouter

from synapse_nb.schemas.backend import Health, ServerInfo
from synapse_nb.server.context import Ctx

router = APIRouter(tags=["system"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """``{"status": "ok"}`` while the backend serves; the only route besides /openapi.json open without the token."""
    return Health()


@router.get("/server", response_model=ServerInfo)
def server_info(ctx: Ctx) -> ServerInfo:
    """Version, pid, home, storage folder and limits of this backend."""
    from synapse_nb import __version__

    return ServerInfo(
        version=__version__,
        pid=os.getpid(),
        home=str(ctx.config.home),
        storage_root=str(ctx.storage.root),
        started_at=ctx.started_at,
        heartbeat_timeout=ctx.config.heartbeat_timeout,
        max_body_bytes=ctx.config.max_body_bytes,
        max_upload_bytes=ctx.config.max_upload_bytes,
    )
