"""The engine options of every command that builds an engine, defined once.

:func:`add_engine_options` adds ``--lanes``, ``--codec``, ``--registered``,
``--impl`` and ``--pipelined`` to a parser; :func:`engine_options` turns the
parsed values into the keyword arguments of
:class:`~tritpack.hw.decoder.TernaryDecoder` and
:func:`~tritpack.hw.verilog.generate_verilog`, checked, so a bad combination is
refused with one line before any work starts.

This module imports only the standard library, :mod:`tritpack.golden` and the
Amaranth-free registry :mod:`tritpack.hw.lanes`, so that command-line plugins
can use it at load time.
"""

from __future__ import annotations

import argparse

from tritpack import golden
from tritpack.golden.lut_io import resolve_codec

from .lanes import IMPLS, REGISTRY, check_impl

__all__ = ["ENGINE_OPTIONS", "add_engine_options", "engine_options", "positive_float"]

#: The keys of :func:`engine_options`, in the order of the engine's parameters.
ENGINE_OPTIONS = ("lanes", "codec", "registered", "impl", "pipelined")


def add_engine_options(parser: argparse.ArgumentParser, *, lanes_default: int | None = 64,
                       ) -> None:
    """Add the engine options to ``parser``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The (sub)command's parser.
    lanes_default : int or None
        Default of ``--lanes``; None lets the command choose (``args.lanes`` is
        then None when the option is not given).
    """
    if lanes_default is not None and lanes_default not in golden.LANES:
        raise ValueError(f"lanes_default must be one of {', '.join(map(str, golden.LANES))}, "
                         f"not {lanes_default!r}")
    lanes = ", ".join(map(str, golden.LANES))
    default = f" (default {lanes_default})" if lanes_default is not None else ""
    group = parser.add_argument_group("engine")
    group.add_argument("--lanes", type=int, default=lanes_default, choices=golden.LANES,
                       metavar="N", help=f"bytes decoded per clock: {lanes}{default}")
    group.add_argument("--codec", default="standard", metavar="standard|tq1|LUTFILE",
                       help="codec name or a LUT file (.json or .hex) (default standard)")
    group.add_argument("--registered", action="store_true",
                       help="register ready too (AXI register slice): no combinational path "
                       "through the engine")
    impls = "; ".join(f"{e.name}: {e.summary}" for e in REGISTRY.values())
    group.add_argument("--impl", default=IMPLS[0], choices=IMPLS,
                       help=f"lane decoder: {impls} (default {IMPLS[0]})")
    group.add_argument("--pipelined", action="store_true",
                       help="register the decoded output too: latency 2 clocks, higher Fmax")


def positive_float(text: str) -> float:
    """The argparse ``type`` of an option that takes a number > 0 (a period, a rate, seconds).

    Parameters
    ----------
    text : str
        The option's value as given.

    Returns
    -------
    float
        The number.

    Raises
    ------
    argparse.ArgumentTypeError
        If ``text`` is not a number, or is zero, negative or NaN; argparse
        prints it after the option's name (``argument --mhz: expected ...``).
    """
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, not {text!r}")
    return value


def engine_options(args: argparse.Namespace) -> dict:
    """The checked engine keyword arguments from the options of :func:`add_engine_options`.

    Returns
    -------
    dict
        ``lanes`` (int, or None when the command left it to itself), ``codec``
        (a :class:`golden.Lut`, a LUT file loaded and validated), ``registered``,
        ``impl``, ``pipelined``: the keyword arguments of
        :class:`~tritpack.hw.decoder.TernaryDecoder`.

    Raises
    ------
    ValueError
        In one line: an unknown codec or a malformed LUT file, an unknown
        ``--lanes`` or ``--impl``, or ``--impl`` with a codec it cannot build
        (``arith`` with a custom LUT), or ``--impl bram`` without ``--pipelined``.
    OSError
        If the LUT file cannot be read.
    """
    lanes = args.lanes
    if lanes is not None and (isinstance(lanes, bool) or lanes not in golden.LANES):
        raise ValueError(f"--lanes must be one of {', '.join(map(str, golden.LANES))}, "
                         f"not {lanes!r}")
    if args.impl not in IMPLS:
        raise ValueError(f"--impl must be one of {', '.join(IMPLS)}, not {args.impl!r}")
    codec = resolve_codec(args.codec)
    try:
        check_impl(args.impl, codec, bool(args.pipelined))
    except ValueError as exc:
        pipelined = " --pipelined" if args.pipelined else ""
        raise ValueError(f"--impl {args.impl} --codec {args.codec}{pipelined}: {exc}") from None
    return {"lanes": lanes, "codec": codec, "registered": bool(args.registered),
            "impl": args.impl, "pipelined": bool(args.pipelined)}
