"""Command line of the agent: ``synapse-nb agent [--name --ray-address --num-cpus --num-gpus]``.

The backend comes from ``--url`` or SYNAPSE_NB_URL (default: the embedded backend of
SYNAPSE_NB_HOME); the token from SYNAPSE_NB_TOKEN or, for the embedded backend, its token
file. The token is removed from the environment before Ray starts, so no worker or trial
inherits it.

Example:
    >>> parser = build_parser()
    >>> parser.parse_args(["--num-cpus", "2"]).num_cpus
    2.0
"""

from __future__ import annotations

__all__ = ["add_arguments", "build_parser", "main", "run"]

import argparse
import logging
import os
import signal
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The agent's options (shared by ``synapse-nb agent`` and ``python -m synapse_nb.agent``)."""
    parser.add_argument("--name", help="agent name shown in the UI (default: agent-<host>)")
    parser.add_argument("--url", help="backend URL (default: SYNAPSE_NB_URL, else the embedded backend)")
    parser.add_argument("--ray-address", help="Ray cluster to run tasks on (default: start a local Ray)")
    parser.add_argument("--num-cpus", type=float, help="CPUs of the local Ray (default: all)")
    parser.add_argument("--num-gpus", type=float, help="GPUs of the local Ray (default: all visible)")
    parser.add_argument("--task-cpus", type=float, help="CPUs per training task")
    parser.add_argument("--max-tasks", type=int, default=1, help="tasks run at once (default 1)")
    parser.add_argument("--allow-plugin", action="append", default=[], metavar="PKG",
                        help="run plugins ('module:Class') from this package (repeatable; also SYNAPSE_NB_ALLOW_PLUGINS)")
    parser.add_argument("--trust-uploaded-checkpoints", action="store_true",
                        help="load pickled checkpoints that users uploaded (they can run code on this machine)")
    parser.add_argument("--local", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--exit-after-backend-lost", type=float, default=None, help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="synapse-nb agent", description="Run tasks from the backend on Ray.")
    add_arguments(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """Start the agent with parsed arguments and serve until interrupted."""
    from synapse_nb._offline import configure_service_environment

    # Before ray.init(): the Ray workers this agent starts inherit its environment.
    configure_service_environment()
    from synapse_nb.agent.agent import Agent, AgentConfig
    from synapse_nb.api import Api

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    api = _connect(args.url)
    config_fields: dict[str, Any] = {
        "ray_address": args.ray_address, "num_cpus": args.num_cpus, "num_gpus": args.num_gpus,
        "task_cpus": args.task_cpus, "max_concurrent_tasks": args.max_tasks, "is_local": args.local,
        "exit_after_backend_lost": args.exit_after_backend_lost,
        "trust_uploaded_checkpoints": args.trust_uploaded_checkpoints,
    }
    if args.allow_plugin:
        from synapse_nb.agent.trust import allowed_from_env

        config_fields["allowed_plugins"] = [*allowed_from_env(), *args.allow_plugin]
    if args.name:
        config_fields["name"] = args.name
    agent = Agent(api, AgentConfig(**config_fields))
    agent.start()
    # After start(): ray.init() installs its own SIGTERM handler (it only logs), which would
    # keep a stopped agent from saying goodbye to the backend.
    signal.signal(signal.SIGTERM, lambda *_: agent.shutdown())
    signal.signal(signal.SIGINT, lambda *_: agent.shutdown())
    print(f"agent {agent.config.name} (id {agent.agent_id}) serving {api.url}", flush=True)
    agent.serve_forever()
    return 0


def _connect(url: str | None) -> Any:
    from synapse_nb.api import Api

    url = url or os.environ.get("SYNAPSE_NB_URL")
    token = os.environ.pop("SYNAPSE_NB_TOKEN", None)
    if url:
        if not token:
            sys.exit("synapse-nb agent: set SYNAPSE_NB_TOKEN to the backend's token")
        return Api(url, token)
    return Api.from_env(start_agent=False)


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))
