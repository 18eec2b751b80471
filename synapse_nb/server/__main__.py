"""``python -m synapse_nb.server [--home H] [--host 127.0.0.1] [--port 8765] [--certfile C --keyfile K]``: run the backend.

Example:
    python -m synapse_nb.server --home /tmp/snb --port 0    # a free port; URL in /tmp/snb/server/server.json
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from synapse_nb._home import home_dir
from synapse_nb._offline import configure_service_environment
from synapse_nb.server.config import ServerConfig
from synapse_nb.server.runner import serve


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The backend's command-line options (shared with ``synapse-nb serve``)."""
    parser = parser or argparse.ArgumentParser(prog="python -m synapse_nb.server", description="Run the synapse_nb backend.")
    parser.add_argument("--home", type=Path, default=None, help="SYNAPSE_NB_HOME to serve (default: $SYNAPSE_NB_HOME or ~/.synapse_nb)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind; loopback by default (the token is the only lock)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind; 0 picks a free one")
    parser.add_argument("--heartbeat-timeout", type=float, default=15.0, help="seconds before a silent agent is marked offline")
    parser.add_argument("--max-body-mb", type=float, default=64.0, help="largest JSON request body, MiB")
    parser.add_argument("--max-upload-mb", type=float, default=8192.0, help="largest upload, MiB")
    parser.add_argument("--certfile", type=Path, default=None, help="PEM certificate (chain): serve HTTPS (with --keyfile)")
    parser.add_argument("--keyfile", type=Path, default=None, help="PEM private key of --certfile")
    parser.add_argument("--owner-pid", type=int, default=None, help="stop when this process ends (the embedded backend)")
    parser.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    return parser


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    """A ServerConfig from parsed options."""
    return ServerConfig(
        home=(args.home.expanduser().resolve() if args.home else home_dir()),
        host=args.host,
        port=args.port,
        heartbeat_timeout=args.heartbeat_timeout,
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
        certfile=args.certfile,
        keyfile=args.keyfile,
    )


def run_from_args(args: argparse.Namespace) -> int:
    """Serve in the foreground with the parsed options; returns the exit code."""
    configure_service_environment()
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        config = config_from_args(args)
    except ValidationError as exc:
        print(f"synapse-nb serve: {exc.errors()[0]['msg'].removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    serve(config, owner_pid=args.owner_pid, log_level=args.log_level)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m synapse_nb.server``."""
    return run_from_args(build_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
