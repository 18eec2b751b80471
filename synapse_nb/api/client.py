"""``Api``: the client of a synapse_nb backend.

Example:
    >>> import synapse_nb as snb
    >>> api = snb.Api.from_env()            # doctest: +SKIP
    >>> project = api.project.import_samples(num_images=64)  # doctest: +SKIP
    >>> api.dataset.list(project.id)        # doctest: +SKIP
"""

from __future__ import annotations

__all__ = ["Api"]

import os
from pathlib import Path
from typing import Any

import httpx

from synapse_nb._home import TOKEN_ENV, URL_ENV, home_dir
from synapse_nb.api._tls import ca_verify
from synapse_nb.api import _embedded
from synapse_nb.api._http import Http
from synapse_nb.api.resources.access import AuditResource, TokenResource
from synapse_nb.api.resources.agents import AgentResource
from synapse_nb.api.resources.collections import CollectionResource
from synapse_nb.api.resources.datasets import DatasetResource
from synapse_nb.api.resources.items import ItemResource
from synapse_nb.api.resources.models import ModelResource
from synapse_nb.api.resources.projects import ProjectResource
from synapse_nb.api.resources.tasks import TaskResource
from synapse_nb.errors import InputError
from synapse_nb.schemas.backend import ServerInfo
from synapse_nb.weights import WeightsResource


class Api:
    """A client of one backend: ``Api(url, token)``, or ``Api.from_env()``.

    Resources: ``api.project``, ``api.dataset``, ``api.item``, ``api.collection``,
    ``api.agent``, ``api.task``, ``api.model``, ``api.tokens`` and ``api.audit`` (admins).
    Every method returns the shared pydantic
    models of :mod:`synapse_nb.schemas`; a refused request raises
    :class:`~synapse_nb.errors.BackendError` (``NotFoundError`` for 404) with the backend's
    message, which names the field.

    ``verify``: how an ``https://`` backend's certificate is checked: True (the system's
    CAs), a CA bundle file, or False (never on a network you don't control); default:
    ``SYNAPSE_NB_CA_BUNDLE`` when set, else True.

    ``transport`` replaces the network (e.g. ``httpx.MockTransport``) for tests of client
    logic.

    Example:
        >>> import httpx
        >>> api = Api("http://backend.invalid", "t", transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"status": "ok"})))
        >>> api.url
        'http://backend.invalid'
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        verify: bool | str | None = None,
        _embedded_home: Path | None = None,
        _owner: bool = True,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InputError("url", "the backend's http(s) URL, e.g. http://127.0.0.1:8765", got=url)
        if not isinstance(token, str) or not token:
            raise InputError("token", "the backend's token (see <home>/server/token)", got=token)
        self._embedded_home = _embedded_home
        self._owner = _owner
        self._server_info: ServerInfo | None = None
        reconnect = self._reconnect if _embedded_home is not None else None
        self._http = Http(url, token, transport=transport, timeout=timeout, retries=retries, on_unreachable=reconnect,
                          verify=ca_verify(verify))
        self.project = ProjectResource(self._http, self)
        self.dataset = DatasetResource(self._http)
        self.item = ItemResource(self._http)
        self.collection = CollectionResource(self._http)
        self.agent = AgentResource(self._http, local_agent_starting=self._local_agent_starting)
        self.task = TaskResource(self._http, self)
        self.model = ModelResource(self._http)
        # Pretrained weights are files of this machine (where a local agent finds them), not
        # backend records: pulling needs no backend.
        self.weights = WeightsResource()
        self.tokens = TokenResource(self._http)
        self.audit = AuditResource(self._http)

    # -- construction ------------------------------------------------------------------

    @classmethod
    def from_env(cls, *, start_agent: bool = True, keep_alive: bool | None = None, timeout: float = 60.0) -> Api:
        """A client for ``SYNAPSE_NB_URL`` + ``SYNAPSE_NB_TOKEN``, or for this machine's
        embedded backend (started in the background if needed) when no URL is set.

        With the embedded backend and ``start_agent=True``, the local agent is started too
        (if this installation has one). ``keep_alive``: the embedded backend runs as long
        as this process does, and is started again if it went away (default: as
        ``start_agent``; the agent itself passes ``start_agent=False``, so it never keeps
        a backend alive on its own). A process that starts the backend always keeps it.

        Example:
            >>> api = Api.from_env()  # doctest: +SKIP
            >>> api.url               # doctest: +SKIP
            'http://127.0.0.1:40213'
        """
        url = os.environ.get(URL_ENV)
        if url:
            token = os.environ.get(TOKEN_ENV)
            if not token:
                raise InputError(TOKEN_ENV, f"the backend's token when {URL_ENV} is set", hint="copy it from <home>/server/token on the backend's machine")
            return cls(url, token, timeout=timeout)
        home = home_dir()
        owner = start_agent if keep_alive is None else keep_alive
        found = _embedded.ensure_server(home, owner=owner)
        assert found is not None  # start=True always finds or starts one
        api = cls(found[0], found[1], timeout=timeout, _embedded_home=home, _owner=owner)
        if start_agent:
            _embedded.ensure_local_agent(api)
        return api

    @staticmethod
    def shutdown_embedded(home: Path | None = None) -> bool:
        """Stop the embedded backend of ``home`` (default: SYNAPSE_NB_HOME) and its local agent.

        Returns True if one was running. (It also stops by itself once every process that
        used it has ended.)
        """
        return _embedded.shutdown(Path(home) if home is not None else home_dir())

    def _reconnect(self) -> str | None:
        """The URL of this home's backend after it was restarted (None if there is none)."""
        assert self._embedded_home is not None
        found = _embedded.ensure_server(self._embedded_home, owner=self._owner, start=self._owner)
        if found is None or found[1] != self._http.token:
            return None
        self._server_info = None
        return found[0]

    def _local_agent_starting(self) -> bool:
        if self._embedded_home is None:
            return False
        from synapse_nb.api._local_agent import local_agent_pid

        if local_agent_pid() is None and self._owner:
            # The local agent died (killed, crashed): a client that runs the embedded stack
            # starts it again rather than report "no local agent" for ever.
            _embedded.ensure_local_agent(self)
        return local_agent_pid() is not None

    # -- facts -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The backend's base URL."""
        return self._http.url

    @property
    def token(self) -> str:
        """The bearer token."""
        return self._http.token

    @property
    def verify(self) -> bool | str:
        """How the backend's TLS certificate is checked: True, False or a CA bundle path."""
        return self._http.verify

    @property
    def is_embedded(self) -> bool:
        """Whether this client talks to this machine's embedded backend."""
        return self._embedded_home is not None

    def server_info(self) -> ServerInfo:
        """Version, pid, home, storage folder and limits of the backend."""
        if self._server_info is None:
            self._server_info = ServerInfo.model_validate(self._http.json("GET", "/server"))
        return self._server_info

    def local_store(self) -> Path | None:
        """The backend's storage folder if it is on this machine (images can be copied from it)."""
        root = Path(self.server_info().storage_root)
        return root if (root / "images").is_dir() and os.access(root / "images", os.R_OK) else None

    def health(self) -> dict[str, Any]:
        """The backend's liveness answer, ``{"status": "ok"}``."""
        return dict(self._http.json("GET", "/health"))

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Api(url={self.url!r}{', embedded' if self.is_embedded else ''})"
