"""A weights mirror on 127.0.0.1 for the tests: files, an optional weights.json, Range requests,
and a first response that breaks off mid-file for the names asked."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Mirror:
    """What the mirror serves and what it was asked."""

    files: dict[str, bytes] = field(default_factory=dict)
    manifest: dict[str, str] | None = None
    cut_once: set[str] = field(default_factory=set)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    url: str = ""

    def publish(self, name: str, data: bytes, sha256: str | None = None) -> str:
        """Serve ``data`` as ``name`` and list it in the manifest (with ``sha256`` or its real one)."""
        self.files[name] = data
        digest = sha256 or hashlib.sha256(data).hexdigest()
        self.manifest = {**(self.manifest or {}), name: digest}
        return digest


def _handler(mirror: Mirror) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            name = self.path.rsplit("/", 1)[-1]
            mirror.requests.append((name, self.headers.get("Range")))
            if name == "weights.json" and mirror.manifest is not None:
                body = json.dumps(mirror.manifest).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            data = mirror.files.get(name)
            if data is None:
                self.send_error(404)
                return
            start = 0
            ranged = self.headers.get("Range")
            if ranged and ranged.startswith("bytes=") and ranged.endswith("-"):
                start = int(ranged[len("bytes="):-1])
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if name in mirror.cut_once:
                mirror.cut_once.discard(name)
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


class MirrorServer:
    """Start with ``with MirrorServer(mirror) as url:``; stops (and joins its thread) on exit."""

    def __init__(self, mirror: Mirror) -> None:
        self.mirror = mirror
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(mirror))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        self.mirror.url = f"http://127.0.0.1:{self.server.server_address[1]}/weights"
        return self.mirror.url

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
