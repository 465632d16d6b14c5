"""The ``tritpack`` command line.

Subcommands are plugins registered under the ``tritpack.commands`` entry-point
group, so each package adds its own (``golden`` never imports ``hw`` or
``sim``).  A plugin is a function ``register(subparsers)`` that adds one
subparser whose ``func(args) -> int`` runs the command.

Errors a user can act on are raised as :class:`CliError` (or ValueError,
TypeError, OSError) and printed as one line, with exit status 2; so are
usage errors.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points

__all__ = ["main", "CliError", "build_parser", "Parser"]


class CliError(Exception):
    """A user error: printed as ``tritpack: error: <message>``, exit status 2."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line: what, and where to look."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _register_plugins(subparsers) -> None:
    for ep in sorted(entry_points(group="tritpack.commands"), key=lambda e: e.name):
        try:
            register = ep.load()
        except Exception as exc:  # a broken plugin must not take the others down
            p = subparsers.add_parser(ep.name, help=f"(unavailable: {exc})")
            p.set_defaults(func=_unavailable(ep.name, exc))
            continue
        register(subparsers)


def _unavailable(name, exc):
    def run(args):
        raise CliError(f"command {name!r} is unavailable: {exc}")

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="tritpack",
        description="Ternary weights, five trits per byte: golden model, decode engine, "
        "RTL regression.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _register_plugins(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (CliError, ValueError, TypeError, OSError) as exc:
        message = " ".join(str(exc).split())  # one line, whatever the message held
        print(f"tritpack: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
