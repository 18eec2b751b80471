"""The client's HTTP layer: one httpx client, the token, timeouts, retries, error mapping.

Retries (what is safe to send twice):
- connection failures (nothing reached the backend): every request, by httpx's transport;
- 5xx replies and read timeouts: GET, PUT and DELETE, and the POSTs given an idempotency
  key (log and metric batches: the backend stores a keyed batch once);
- other POSTs (they create records) are not retried after the request was sent: a 5xx is
  raised, so nothing is created twice.

Every non-2xx reply becomes a :class:`~synapse_nb.errors.BackendError` (``NotFoundError`` for
404) carrying the backend's message, which names the field at fault.

Example:
    >>> import httpx
    >>> transport = httpx.MockTransport(lambda request: httpx.Response(404, json={"detail": "project 9 does not exist"}))
    >>> http = Http("http://backend.invalid", "token", transport=transport)
    >>> http.json("GET", "/projects/9")
    Traceback (most recent call last):
    ...
    synapse_nb.errors.NotFoundError: GET /projects/9: 404 project 9 does not exist
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from typing import Any

import httpx
from tenacity import Retrying

from synapse_nb._retry import backend_retrying
from synapse_nb.errors import BackendError, NotFoundError

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
# Sent, but no answer came back: worth another try where sending twice is safe.
_TRANSIENT: tuple[type[Exception], ...] = (httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.WriteError)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine.

    Example:
        >>> is_loopback("http://127.0.0.1:8765"), is_loopback("https://backend.example.com")
        (True, False)
    """
    return httpx.URL(url).host in LOOPBACK_HOSTS
RETRY_STATUSES = frozenset({500, 502, 503, 504})


class Http:
    """A small wrapper over ``httpx.Client`` for one backend.

    ``on_unreachable`` is called when the backend can't be reached after the transport's
    retries; if it returns a new base URL (an embedded backend that was restarted), the
    request is sent once more there.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.25,
        on_unreachable: Callable[[], str | None] | None = None,
        verify: bool | str = True,
    ) -> None:
        self.retries = retries
        self.backoff = backoff
        self.on_unreachable = on_unreachable
        self._token = token
        self.verify = verify
        self._client = httpx.Client(
            base_url=url.rstrip("/"),
            # A proxy from the environment must never sit between us and a loopback backend.
            trust_env=not is_loopback(url),
            headers={"Authorization": f"Bearer {token}", "User-Agent": "synapse_nb"},
            timeout=httpx.Timeout(timeout, connect=5.0),
            verify=_ssl_verify(verify),
            transport=transport or httpx.HTTPTransport(retries=retries, verify=_ssl_verify(verify)),
        )

    @property
    def url(self) -> str:
        """The backend's base URL."""
        return str(self._client.base_url).rstrip("/")

    @url.setter
    def url(self, value: str) -> None:
        self._client.base_url = httpx.URL(value.rstrip("/"))

    @property
    def token(self) -> str:
        """The bearer token sent with every request."""
        return self._token

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    # -- requests ----------------------------------------------------------------------

    def request(self, method: str, path: str, *, idempotent: bool | None = None, **kwargs: Any) -> httpx.Response:
        """Send a request; return the 2xx response or raise BackendError."""
        retry = method.upper() in IDEMPOTENT if idempotent is None else idempotent
        sent: list[bool] = []

        def send() -> httpx.Response:
            if sent:
                _rewind(kwargs)  # a retried body is read from its start again
            sent.append(True)
            return self._send(method, path, **kwargs)

        try:
            response = self._retrying(retry)(send)
        except _TRANSIENT as exc:
            raise BackendError(0, f"the backend did not answer ({type(exc).__name__}: {exc})", method, path) from exc
        return self._check(response, method, path)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._client.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            new_url = self.on_unreachable() if self.on_unreachable is not None else None
            if new_url is None:
                raise BackendError(0, f"can't reach the backend at {self.url} ({exc})", method, path) from exc
            self.url = new_url
            _rewind(kwargs)
            try:
                return self._client.request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as again:
                raise BackendError(0, f"can't reach the backend at {self.url} ({again})", method, path) from again

    def _retrying(self, retry: bool, transient: tuple[type[Exception], ...] = ()) -> Retrying:
        """The project's retry policy with this client's tries and first pause."""
        return backend_retrying(
            retry=lambda exc: isinstance(exc, _TRANSIENT + transient),
            retry_result=lambda response: response.status_code in RETRY_STATUSES,
            attempts=self.retries + 1 if retry else 1,
            first=self.backoff,
        )

    @staticmethod
    def _check(response: httpx.Response, method: str, path: str) -> httpx.Response:
        if response.is_success:
            return response
        try:
            body = response.json()
            detail = body.get("detail", body) if isinstance(body, dict) else body
        except ValueError:
            detail = response.text[:500] or response.reason_phrase
        error = NotFoundError if response.status_code == 404 else BackendError
        raise error(response.status_code, detail, method, path)

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return the decoded JSON body (None for an empty body)."""
        response = self.request(method, path, **kwargs)
        if not response.content:
            return None
        return response.json()

    def stream_to(self, path: str, out: Any, params: dict[str, Any] | None = None) -> httpx.Headers:
        """GET ``path`` and write the body into the binary file ``out``; return the headers."""

        def download() -> httpx.Response:
            with self._client.stream("GET", path, params=params) as response:
                if response.status_code in RETRY_STATUSES:
                    response.read()  # the error's text, for the message when no try is left
                    return response
                if not response.is_success:
                    response.read()
                    self._check(response, "GET", path)
                out.seek(0)
                out.truncate()
                for chunk in response.iter_bytes(1024 * 1024):
                    out.write(chunk)
                return response

        try:
            response = self._retrying(True, transient=(httpx.ConnectError,))(download)
        except (*_TRANSIENT, httpx.ConnectError) as exc:
            raise BackendError(0, f"download failed ({type(exc).__name__}: {exc})", "GET", path) from exc
        self._check(response, "GET", path)
        return response.headers


def _ssl_verify(verify: bool | str) -> bool | ssl.SSLContext:
    """httpx's form of ``verify``: a CA bundle path becomes an SSL context trusting it."""
    return verify if isinstance(verify, bool) else ssl.create_default_context(cafile=verify)


def _rewind(kwargs: dict[str, Any]) -> None:
    """Rewind the file objects of a body so the request can be sent again."""
    content = kwargs.get("content")
    if hasattr(content, "seek"):
        content.seek(0)
    files = kwargs.get("files")
    if not files:
        return
    entries = files.values() if isinstance(files, dict) else (value for _, value in files)
    for entry in entries:
        handle = entry[1] if isinstance(entry, tuple) else entry
        if hasattr(handle, "seek"):
            handle.seek(0)
