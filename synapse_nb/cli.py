"""The ``synapse-nb`` command line.

Commands::

    synapse-nb serve [--host 127.0.0.1] [--port 8765] [--home H]   run the backend in the foreground
    synapse-nb import yolo PATH [--name N]                        import a YOLO dataset as a project
    synapse-nb import coco IMAGES ANNOTATIONS [--name N]          import a COCO dataset as a project
    synapse-nb status                                             backend URL and record counts
    synapse-nb stop                                               stop this home's embedded backend
    synapse-nb weights list | pull NAME... [--from URL]          pretrained weights on this machine
    synapse-nb token create --name N --role admin|user|agent      a person's or agent's own token (also list, revoke N)

Each command is a :class:`Command` (name, help, a function adding its options, a function
running it); :func:`default_commands` lists them, and a part of the package that brings
its own command (the agent) is listed there when it is installed.

Example:
    >>> parser = build_parser(default_commands())
    >>> parser.parse_args(["import", "yolo", "data/shapes"]).path
    'data/shapes'
"""

from __future__ import annotations

__all__ = ["Command", "build_parser", "default_commands", "main"]

import argparse
import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from synapse_nb.errors import SynapseNBError


@dataclass(frozen=True)
class Command:
    """One subcommand: ``add_arguments(parser)`` declares its options, ``run(args)`` returns the exit code."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# -- serve -------------------------------------------------------------------------------


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    from synapse_nb.server.__main__ import build_parser as server_parser

    server_parser(parser)


def _serve(args: argparse.Namespace) -> int:
    from synapse_nb.server.__main__ import run_from_args

    return run_from_args(args)


# -- import ------------------------------------------------------------------------------


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    formats = parser.add_subparsers(dest="format", required=True, metavar="{yolo,coco}")
    yolo = formats.add_parser("yolo", help="a YOLO dataset: its dataset.yaml or the folder holding it")
    yolo.add_argument("path", help="dataset.yaml or its folder")
    yolo.add_argument("--name", help="project name (default: from the dataset)")
    coco = formats.add_parser("coco", help="a COCO dataset: images folder and annotations JSON")
    coco.add_argument("images", help="folder of the images")
    coco.add_argument("annotations", help="the annotations JSON file")
    coco.add_argument("--name", help="project name (default: from the dataset)")


def _import(args: argparse.Namespace) -> int:
    from synapse_nb.api import Api

    # A one-off command: it uses a running backend, or one that ends with this command.
    api = Api.from_env(start_agent=False)
    progress = sys.stderr.isatty()
    if args.format == "yolo":
        project = api.project.import_yolo(Path(args.path), name=args.name, progress=progress)
    else:
        project = api.project.import_coco(Path(args.images), Path(args.annotations), name=args.name, progress=progress)
    print(f"project {project.id} {project.name!r}: {project.item_count} items in {project.dataset_count} datasets, classes {project.class_names()}")
    return 0


# -- status and stop ---------------------------------------------------------------------


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", type=Path, default=None, help="SYNAPSE_NB_HOME (default: the environment's)")


def _home(args: argparse.Namespace) -> Path:
    from synapse_nb._home import home_dir

    return args.home.expanduser().resolve() if args.home else home_dir()


def _status(args: argparse.Namespace) -> int:
    import os

    from synapse_nb._home import TOKEN_ENV, URL_ENV
    from synapse_nb.api import Api, _embedded

    home = _home(args)
    if os.environ.get(URL_ENV) and args.home is None:
        api = Api.from_env(start_agent=False)
        where = f"backend {api.url} (from {URL_ENV})"
    else:
        found = _embedded.running_server(home)
        if found is None:
            print(f"embedded backend of {home}: not running (Api.from_env() or `synapse-nb serve` starts one)")
            return 1
        api = Api(found[0], found[1])
        where = f"backend {api.url} (pid {found[2]['pid']}, home {home})"
    projects = api.project.list(limit=1).total
    agents = api.agent.list()
    online = sum(1 for a in agents if a.status == "online")
    statuses = {s: api.task.list(status=s, limit=1).total for s in ("created", "queued", "running", "stopping", "finished", "failed", "stopped")}
    tasks = ", ".join(f"{n} {s}" for s, n in statuses.items() if n) or "none"
    print(where)
    print(f"projects: {projects}")
    print(f"agents: {len(agents)} ({online} online)")
    print(f"tasks: {sum(statuses.values())} ({tasks})")
    if TOKEN_ENV in os.environ:
        print(f"token: from {TOKEN_ENV}")
    return 0


def _stop(args: argparse.Namespace) -> int:
    from synapse_nb.api import Api

    home = _home(args)
    if Api.shutdown_embedded(home):
        print(f"stopped the embedded backend of {home}")
        return 0
    print(f"no embedded backend of {home} was running")
    return 0


# -- weights -----------------------------------------------------------------------------


def _weights_arguments(parser: argparse.ArgumentParser) -> None:
    from synapse_nb.weights import cli as weights_cli

    weights_cli.add_arguments(parser)


def _weights(args: argparse.Namespace) -> int:
    from synapse_nb.weights import cli as weights_cli

    return weights_cli.run(args)


# -- assembly ----------------------------------------------------------------------------


def default_commands() -> list[Command]:
    """The commands of this installation (the agent's when the agent package is present)."""
    commands = [
        Command("serve", "run the backend in the foreground (Ctrl-C stops it)", _serve_arguments, _serve),
        Command("import", "import a YOLO or COCO dataset as a new project", _import_arguments, _import),
        Command("status", "show the backend's URL and its projects, agents and tasks", _no_arguments, _status),
        Command("stop", "stop this home's embedded backend (and its local agent)", _no_arguments, _stop),
        Command("weights", "list pretrained weights, or pull them from a release or mirror", _weights_arguments, _weights),
    ]
    from synapse_nb.server.auth import cli as token_cli

    commands.append(Command("token", "create, list and revoke the tokens of people and agents", token_cli.add_arguments, token_cli.run))
    if importlib.util.find_spec("synapse_nb.agent.cli") is not None:
        from synapse_nb.agent import cli as agent_cli

        commands.append(Command("agent", "run an agent that claims tasks and runs them on Ray", agent_cli.add_arguments, agent_cli.run))
    return commands


def build_parser(commands: Sequence[Command]) -> argparse.ArgumentParser:
    """The ``synapse-nb`` parser with one subcommand per command."""
    parser = argparse.ArgumentParser(prog="synapse-nb", description="Train computer-vision models from a notebook: backend, agent, data import.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{" + ",".join(c.name for c in commands) + "}")
    for command in commands:
        command_parser = sub.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(command_parser)
        command_parser.set_defaults(_run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``synapse-nb``: errors of ours print their message, not a traceback."""
    args = build_parser(default_commands()).parse_args(argv)
    try:
        return int(args._run(args))
    except SynapseNBError as exc:
        print(f"synapse-nb {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
