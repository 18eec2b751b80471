"""``synapse-nb token create|list|revoke``: manage who may use a backend.

On the backend's machine the command works on the server's home directly (its database);
with ``--url`` (or SYNAPSE_NB_URL) it goes through the API with an admin token
(SYNAPSE_NB_TOKEN). A new token is printed once; the backend keeps only its hash.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_arguments(parser)
    >>> parser.parse_args(["create", "--name", "gpu-1", "--role", "agent"]).role
    'agent'
"""

from __future__ import annotations

__all__ = ["add_arguments", "run"]

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from synapse_nb.schemas.auth import TokenCreate, TokenInfo


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``synapse-nb token``."""
    parser.add_argument("--home", type=Path, default=None, help="the backend's SYNAPSE_NB_HOME (default: the environment's)")
    parser.add_argument("--url", default=None, help="manage a remote backend over its API (default: SYNAPSE_NB_URL if set)")
    actions = parser.add_subparsers(dest="token_action", required=True, metavar="{create,list,revoke}")
    create = actions.add_parser("create", help="a new token for a person or an agent (printed once)")
    create.add_argument("--name", required=True, help="unique name of the person or agent")
    create.add_argument("--role", required=True, choices=["admin", "user", "agent"])
    create.add_argument("--agent-name", default=None, help="agents: the agent name it may register as (default: --name)")
    listing = actions.add_parser("list", help="every token's name, role and state (never the tokens)")
    listing.add_argument("--all", action="store_true", help="include the short-lived tokens of tasks")
    revoke = actions.add_parser("revoke", help="revoke a token: it stops working at once")
    revoke.add_argument("name")


class _Local:
    """The server's home, worked on directly (the backend may be running: SQLite copes)."""

    def __init__(self, home: Path) -> None:
        import getpass

        from synapse_nb.server.auth.principals import Principal, PrincipalStore
        from synapse_nb.server.config import ServerConfig
        from synapse_nb.server.db import Database

        config = ServerConfig(home=home)
        config.server_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(config.db_path)
        self.store = PrincipalStore(self.db)
        self.me = Principal(name=f"{getpass.getuser()} (cli)", role="admin")

    def create(self, body: TokenCreate) -> Any:
        from synapse_nb.server.auth import audit

        created = self.store.create(body.name, body.role, body.agent_name)
        audit.record(self.db, self.me, "token.create", f"token:{created.name}", "cli")
        return created

    def list(self, include_task_tokens: bool) -> list[TokenInfo]:
        return self.store.list(include_task_tokens=include_task_tokens)

    def revoke(self, name: str) -> TokenInfo:
        from synapse_nb.server.auth import audit

        revoked = self.store.revoke(name)
        audit.record(self.db, self.me, "token.revoke", f"token:{name}", "cli")
        return revoked


class _Remote:
    def __init__(self, url: str) -> None:
        from synapse_nb._home import TOKEN_ENV
        from synapse_nb.api import Api
        from synapse_nb.errors import InputError

        token = os.environ.get(TOKEN_ENV)
        if not token:
            raise InputError(TOKEN_ENV, f"an admin token of the backend at {url}")
        self.api = Api(url, token)

    def create(self, body: TokenCreate) -> Any:
        return self.api.tokens.create(body.name, body.role, body.agent_name)

    def list(self, include_task_tokens: bool) -> list[TokenInfo]:
        return self.api.tokens.list(include_task_tokens=include_task_tokens)

    def revoke(self, name: str) -> TokenInfo:
        return self.api.tokens.revoke(name)


def run(args: argparse.Namespace) -> int:
    """Run ``synapse-nb token ...``; returns the exit code."""
    from pydantic import ValidationError

    from synapse_nb._home import URL_ENV, home_dir
    from synapse_nb.server.errors import ApiError

    url = args.url or (os.environ.get(URL_ENV) if args.home is None else None)
    target: Any = _Remote(url) if url else _Local(args.home.expanduser().resolve() if args.home else home_dir())
    try:
        if args.token_action == "create":
            created = target.create(TokenCreate(name=args.name, role=args.role, agent_name=args.agent_name))
            print(f"token for {created.name} ({created.role}); shown this once, keep it secret:")
            print(created.token)
        elif args.token_action == "list":
            for info in target.list(args.all):
                state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "active"
                bound = f" agent={info.agent_name}" if info.agent_name else (f" task={info.task_id}" if info.task_id else "")
                print(f"{info.name}\t{info.role}{bound}\t{state}\tcreated {info.created_at:%Y-%m-%d %H:%M}")
        else:
            info = target.revoke(args.name)
            print(f"revoked {info.name} ({info.role})")
    except ValidationError as exc:
        print(f"synapse-nb token: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    except ApiError as exc:
        print(f"synapse-nb token: {exc.detail}", file=sys.stderr)
        return 2
    return 0
