"""Command line of the agent: ``synapse-nb agent [--name --ray-address --num-cpus --num-gpus]``.

The backend comes from ``--url`` or SYNAPSE_NB_URL (default: the embedded backend of
SYNAPSE_NB_HOME); the token from SYNAPSE_NB_TOKEN or, for the embedded backend, its token
file. The token is removed from the environment before Ray starts, so no worker or trial
inherits it.

Example:
    >>> parser = build_parser()
    >>> parser.parse_args(["--num-cpus", "2"]).num_cpus
    2.0
    >>> _pool_config(parser.parse_args(["--pool-size", "2"])).size
    2
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
    parser.add_argument("--storage", default=None,
                        help="experiment storage of searches: a path or s3://BUCKET/PATH every Ray node reaches "
                             "(default: SYNAPSE_NB_STORAGE, else a folder of this machine's home)")
    parser.add_argument("--storage-shared", action="store_true",
                        help="the --storage path is mounted at the same place on every node (NFS)")
    parser.add_argument("--worker-url", default=None,
                        help="backend URL the Ray workers report to (default: the agent's own; required to be "
                             "reachable from other machines when the cluster has any)")
    parser.add_argument("--task-resources", type=_resources_arg, default={},
                        help='custom Ray resources every task asks for, as JSON, e.g. \'{"trainer": 1}\'')
    parser.add_argument("--pool-size", type=int, default=None,
                        help="warm workers kept ready, with torch and ultralytics imported; 0: a fresh worker per task "
                             "(default 1 on a local Ray, 0 when joining a cluster: an idle warm worker holds a task's "
                             "CPUs that other agents of the cluster could use)")
    parser.add_argument("--pool-max-tasks", type=int, default=20, help="tasks a warm worker runs before it is replaced (default 20)")
    parser.add_argument("--pool-max-memory-mb", type=float, default=8192.0,
                        help="replace a warm worker whose memory after a task is past this many MiB (default 8192)")
    parser.add_argument("--local", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--exit-after-backend-lost", type=float, default=None, help=argparse.SUPPRESS)


def _resources_arg(text: str) -> dict[str, float]:
    import json

    try:
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError("not an object")
        return {str(k): float(v) for k, v in value.items()}
    except (ValueError, TypeError) as exc:
        raise argparse.ArgumentTypeError(f"expected a JSON object of resource amounts, got {text!r} ({exc})") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="synapse-nb agent", description="Run tasks from the backend on Ray.")
    add_arguments(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """Start the agent with parsed arguments and serve until interrupted."""
    from synapse_nb._offline import configure_service_environment

    # Before ray.init(): the Ray workers this agent starts inherit its environment.
    configure_service_environment()
    from synapse_nb.agent.agent import Agent, AgentAlreadyRunning, AgentConfig, acquire_local_lock
    from synapse_nb.errors import BackendError, InputError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    lock = None
    if args.local:
        try:
            # Before connecting: a second local agent must not even start a backend.
            lock = acquire_local_lock()
        except AgentAlreadyRunning as exc:
            print(f"synapse-nb agent: {exc}", file=sys.stderr, flush=True)
            return 2
    api = _connect(args.url, local=args.local)
    if api is None:
        # Its users have all gone (the backend ends with them): a local agent must not start
        # a backend of its own, or each would keep the other alive with no user left.
        print("synapse-nb agent: the embedded backend of this home is not running: nothing to serve", file=sys.stderr,
              flush=True)
        return 0
    config_fields: dict[str, Any] = {
        "ray_address": args.ray_address, "num_cpus": args.num_cpus, "num_gpus": args.num_gpus,
        "task_cpus": args.task_cpus, "max_concurrent_tasks": args.max_tasks, "is_local": args.local,
        "exit_after_backend_lost": args.exit_after_backend_lost,
        "trust_uploaded_checkpoints": args.trust_uploaded_checkpoints,
        "storage_shared": args.storage_shared, "worker_url": args.worker_url, "task_resources": args.task_resources,
        "pool": _pool_config(args),
    }
    if args.storage:
        config_fields["storage"] = args.storage
    if args.allow_plugin:
        from synapse_nb.agent.trust import allowed_from_env

        config_fields["allowed_plugins"] = [*allowed_from_env(), *args.allow_plugin]
    if args.name:
        config_fields["name"] = args.name
    agent = Agent(api, AgentConfig(**config_fields), local_lock=lock)
    try:
        agent.start()
    except (InputError, AgentAlreadyRunning) as exc:
        # Before any task is claimed: say what to change and stop.
        print(f"synapse-nb agent: {exc}", file=sys.stderr, flush=True)
        return 2
    except BackendError as exc:
        if not (args.local and exc.status == 0):
            raise
        # The embedded backend ended with its last user while this agent was starting Ray:
        # the same case as finding it gone above, a little later.
        print(f"synapse-nb agent: the embedded backend of this home went away while the agent was starting "
              f"({exc}): nothing to serve", file=sys.stderr, flush=True)
        return 0
    # After start(): ray.init() installs its own SIGTERM handler (it only logs), which would
    # keep a stopped agent from saying goodbye to the backend.
    signal.signal(signal.SIGTERM, lambda *_: agent.shutdown())
    signal.signal(signal.SIGINT, lambda *_: agent.shutdown())
    print(f"agent {agent.config.name} (id {agent.agent_id}) serving {api.url}", flush=True)
    agent.serve_forever()
    return 0


def _pool_config(args: argparse.Namespace) -> Any:
    """The pool settings from the command line; a bad value exits naming the option."""
    from pydantic import ValidationError

    from synapse_nb.agent.pool import PoolConfig

    try:
        size = args.pool_size if args.pool_size is not None else (0 if args.ray_address else 1)
        return PoolConfig(size=size, max_tasks_per_worker=args.pool_max_tasks,
                          max_memory_mb=args.pool_max_memory_mb)
    except ValidationError as exc:
        error = exc.errors()[0]
        option = {"size": "--pool-size", "max_tasks_per_worker": "--pool-max-tasks",
                  "max_memory_mb": "--pool-max-memory-mb"}.get(str(error["loc"][0]), str(error["loc"][0]))
        sys.exit(f"synapse-nb agent: {option}: {error['msg']}, got {error.get('input')!r}")


def _connect(url: str | None, local: bool = False) -> Any:
    from synapse_nb.api import Api

    url = url or os.environ.get("SYNAPSE_NB_URL")
    token = os.environ.pop("SYNAPSE_NB_TOKEN", None)
    if url:
        if not token:
            sys.exit("synapse-nb agent: set SYNAPSE_NB_TOKEN to the backend's token")
        return Api(url, token)
    if local:
        from synapse_nb._home import home_dir
        from synapse_nb.api import _embedded

        home = home_dir()
        found = _embedded.ensure_server(home, owner=False, start=False)
        return None if found is None else Api(found[0], found[1], _embedded_home=home, _owner=False)
    return Api.from_env(start_agent=False)


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))
