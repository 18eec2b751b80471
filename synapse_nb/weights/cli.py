"""``synapse-nb weights list | pull NAME... [--from URL]``.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(); add_arguments(parser)
    >>> args = parser.parse_args(["pull", "yolo11n-det", "--from", "http://127.0.0.1:8000"])
    >>> (args.action, args.names, args.base_url)
    ('pull', ['yolo11n-det'], 'http://127.0.0.1:8000')
"""

from __future__ import annotations

__all__ = ["add_arguments", "run"]

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``list`` and ``pull`` sub-commands and their options."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="{list,pull}")
    actions.add_parser("list", help="every model's weights file and whether it is here, pullable or trains from scratch")
    pull = actions.add_parser("pull", help="download weights into this machine's weights folder")
    pull.add_argument("names", nargs="+", help="model names (yolo11n-det) or weights files (yolo11n.pt)")
    pull.add_argument("--from", dest="base_url", default=None,
                      help="base URL of a mirror (default: $SYNAPSE_NB_WEIGHTS_URL, else ultralytics' releases)")
    pull.add_argument("--allow-unverified", action="store_true",
                      help="accept a file no sha256 is known for (the mirror has no weights.json entry)")
    pull.add_argument("--force", action="store_true", help="download again even when the file is here")


def run(args: argparse.Namespace) -> int:
    """Print the list, or pull and print where each file landed."""
    from synapse_nb.weights import list_weights, pull, weights_dir

    if args.action == "list":
        print(f"weights folder: {weights_dir()}")
        print(f"{'model':<24}{'file':<20}{'size':>9}  status")
        labels = {"local": "pretrained weights here", "pullable": "can be pulled", "scratch": "trains from scratch"}
        for row in list_weights():
            print(f"{row.ref:<24}{row.file:<20}{row.size_mb:>6.1f} MB  {labels[row.status]}")
        return 0
    for path in pull(args.names, base_url=args.base_url, allow_unverified=args.allow_unverified, force=args.force):
        print(path)
    return 0
