"""Settings of a backend: where it keeps its files, where it listens, its limits.

Example:
    >>> from pathlib import Path
    >>> config = ServerConfig(home=Path("/tmp/snb"))
    >>> config.db_path.name, config.host
    ('db.sqlite3', '127.0.0.1')
"""

from __future__ import annotations

__all__ = ["MiB", "ServerConfig"]

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

MiB = 1024 * 1024


class ServerConfig(BaseModel):
    """Everything a backend needs to start. Files go below ``<home>/server/``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    home: Path
    # Loopback only unless someone asks for more: the token is the only lock on the door.
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    heartbeat_timeout: float = Field(default=15.0, gt=0, description="seconds without a heartbeat before an agent is offline")
    reaper_interval: float | None = Field(default=None, gt=0, description="seconds between reaper passes; default timeout/5")
    max_body_bytes: int = Field(default=64 * MiB, ge=1024, description="largest JSON request body")
    max_upload_bytes: int = Field(default=8 * 1024 * MiB, ge=1024, description="largest upload (items, model files, task files)")
    max_batch: int = Field(default=1000, ge=1, description="most records in one batch request")
    certfile: Path | None = Field(default=None, description="PEM certificate (chain): serve HTTPS")
    keyfile: Path | None = Field(default=None, description="PEM private key of certfile")

    @model_validator(mode="after")
    def _tls_pair(self) -> ServerConfig:
        if (self.certfile is None) != (self.keyfile is None):
            missing = "keyfile" if self.keyfile is None else "certfile"
            raise ValueError(f"{missing}: HTTPS needs both --certfile and --keyfile")
        for name in ("certfile", "keyfile"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise ValueError(f"{name}: an existing PEM file, got {str(path)!r}")
        return self

    @property
    def scheme(self) -> str:
        """``https`` with a certificate, else ``http``."""
        return "http" if self.certfile is None else "https"

    @property
    def server_dir(self) -> Path:
        """``<home>/server``: database, token, storage, server.json."""
        return Path(self.home) / "server"

    @property
    def db_path(self) -> Path:
        """The SQLite database file."""
        return self.server_dir / "db.sqlite3"

    @property
    def storage_root(self) -> Path:
        """The only folder uploads are written to."""
        return self.server_dir / "storage"

    @property
    def token_path(self) -> Path:
        """The bearer token file (mode 0600)."""
        return self.server_dir / "token"

    @property
    def info_path(self) -> Path:
        """Where a running embedded backend writes its URL and pid."""
        return self.server_dir / "server.json"

    @property
    def reaper_period(self) -> float:
        """Seconds between reaper passes."""
        return self.reaper_interval or max(0.05, min(self.heartbeat_timeout / 5, 2.0))
